//! The shared stage-contract vectors (`tests/stage/vectors/`), the same files the Python
//! reference reader runs: a vector one reader accepts and another rejects is a contract bug.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use desktop_django_supervisor::manifest::{self, current_platform, Role, MANIFEST_NAME};
use serde_json::Value;

use common::{repo_root, TempDir};

fn vectors(kind: &str) -> Vec<PathBuf> {
    let dir = repo_root().join("tests/stage/vectors").join(kind);
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()))
        .map(|entry| entry.expect("dir entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    paths
}

fn read_json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn name(path: &Path) -> String {
    path.file_stem().unwrap_or_default().to_string_lossy().into_owned()
}

#[test]
fn there_are_enough_vectors_to_mean_something() {
    assert!(vectors("valid").len() >= 3);
    assert!(vectors("invalid").len() >= 20);
}

#[test]
fn valid_vectors_are_accepted() {
    for path in vectors("valid") {
        if let Err(err) = manifest::validate(&read_json(&path)) {
            panic!("{}: rejected: {err}", name(&path));
        }
    }
}

#[test]
fn invalid_vectors_are_rejected_naming_the_field() {
    let mut failures = Vec::new();
    for path in vectors("invalid") {
        let vector = read_json(&path);
        let wanted = vector["field"].as_str().expect("vector has a field");
        let description = vector["description"].as_str().unwrap_or_default();
        match manifest::validate(&vector["manifest"]) {
            Ok(()) => failures.push(format!("{}: accepted ({description})", name(&path))),
            Err(err) if err.field != wanted => failures.push(format!(
                "{}: named `{}` instead of `{wanted}` ({description}): {err}",
                name(&path),
                err.field
            )),
            Err(err) if !wanted.is_empty() && !err.to_string().contains(&format!("`{wanted}`")) => {
                failures.push(format!("{}: message does not name `{wanted}`: {err}", name(&path)))
            }
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A stage folder holding a valid manifest for this machine, with or without its interpreter.
fn stage_with(platform: &str, with_interpreter: bool) -> TempDir {
    let stage = TempDir::new("stage");
    let mut data = read_json(&repo_root().join("tests/stage/vectors/valid/minimal-linux.json"));
    data["python"]["platform"] = Value::from(platform);
    let executable = data["python"]["executable"].as_str().unwrap().to_owned();
    fs::write(stage.path().join(MANIFEST_NAME), data.to_string()).unwrap();
    if with_interpreter {
        let exe = stage.path().join(&executable);
        fs::create_dir_all(exe.parent().unwrap()).unwrap();
        fs::write(exe, b"").unwrap();
    }
    stage
}

#[test]
fn load_reports_a_missing_manifest_with_its_path_and_the_fix() {
    let stage = TempDir::new("empty");
    let err = manifest::load(stage.path(), true).unwrap_err();
    assert_eq!(err.path.as_deref(), Some(stage.path().join(MANIFEST_NAME).as_path()));
    assert!(err.to_string().contains("nox -s stage"), "{err}");
}

#[test]
fn load_reports_broken_json_with_its_path() {
    let stage = TempDir::new("broken");
    fs::write(stage.path().join(MANIFEST_NAME), "{not json").unwrap();
    let err = manifest::load(stage.path(), true).unwrap_err();
    assert!(err.message.starts_with("not valid JSON"), "{err}");
    assert!(err.to_string().contains(MANIFEST_NAME), "{err}");
}

#[test]
fn load_refuses_a_stage_built_for_another_platform() {
    let stage = stage_with("plan9-mips", true);
    let err = manifest::load(stage.path(), true).unwrap_err();
    assert_eq!(err.field, "python.platform", "{err}");
    // Without file checks (inspecting a stage built elsewhere) the same manifest is fine.
    assert!(manifest::load(stage.path(), false).is_ok());
}

#[test]
fn load_refuses_a_stage_without_its_interpreter() {
    let stage = stage_with(&current_platform(), false);
    let err = manifest::load(stage.path(), true).unwrap_err();
    assert_eq!(err.field, "python.executable", "{err}");
}

#[test]
fn load_resolves_the_interpreter_and_argv_inside_the_stage() {
    let stage = stage_with(&current_platform(), true);
    let loaded = manifest::load(stage.path(), true).unwrap();
    let expected = stage.path().join("python").join("bin").join("python3");
    assert_eq!(loaded.python_executable(), expected);
    let serve = loaded.launch(Role::Serve);
    assert_eq!(serve.args, ["-I", "-m", "flying_stable.desktop", "serve"]);
    assert_eq!(serve.stage_dir, stage.path());
    assert_eq!(loaded.launch(Role::Worker).args.last().map(String::as_str), Some("worker"));
}
