//! The shared slot-resolution vectors (`tests/contracts/stage-slots.json`), which Python
//! (`desktop_django/slots.py`) and the Electron shell run too: one rule for which stage every
//! shell starts, checked against one file; and the folder reading that feeds the rule.

mod common;

use std::fs;

use desktop_django_supervisor::slots::{self, Mode, COMPLETE_MARKER};
use serde_json::Value;

use common::{repo_root, TempDir};

fn vectors() -> Value {
    let path = repo_root().join("tests/contracts/stage-slots.json");
    let text = fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_else(|| panic!("no {key} in {value}"))
}

/// A case's state file text: raw for damaged files, serialised otherwise, None for none.
fn state_text(case: &Value) -> Option<String> {
    if let Some(raw) = case.get("stateText") {
        return Some(raw.as_str().expect("stateText is text").to_owned());
    }
    match &case["state"] {
        Value::Null => None,
        state => Some(state.to_string()),
    }
}

#[test]
fn every_shared_vector_resolves_as_expected() {
    let vectors = vectors();
    assert_eq!(vectors["schemaVersion"], 1);
    let cases = vectors["cases"].as_array().expect("cases");
    assert!(cases.len() >= 20, "too few vectors to mean something");
    for case in cases {
        let present: Vec<String> = case["slots"]
            .as_array()
            .expect("slots")
            .iter()
            .map(|slot| slot.as_str().expect("slot names are text").to_owned())
            .collect();
        let resolved = slots::resolve(state_text(case).as_deref(), &present, text(case, "factory"));
        let expect = &case["expect"];
        let name = text(case, "name");
        assert_eq!(resolved.slot, text(expect, "slot"), "{name}");
        assert_eq!(resolved.mode.as_str(), text(expect, "mode"), "{name}");
        assert_eq!(resolved.reason, text(expect, "reason"), "{name}");
    }
}

#[test]
fn only_complete_version_folders_are_slots() {
    let app_data = TempDir::new("slots");
    let stages = slots::stages_dir(app_data.path());
    assert_eq!(slots::complete_slots(app_data.path()), Vec::<String>::new());
    assert_eq!(slots::read_state(app_data.path()), None);
    for name in ["0.2.0", "0.3.0", ".building-0.4.0-x1", "notes"] {
        fs::create_dir_all(stages.join(name)).unwrap();
        fs::write(stages.join(name).join(COMPLETE_MARKER), "").unwrap();
    }
    fs::remove_file(stages.join("0.3.0").join(COMPLETE_MARKER)).unwrap();
    assert_eq!(slots::complete_slots(app_data.path()), ["0.2.0"]);

    let state = r#"{"schemaVersion": 1, "active": "0.2.0", "status": "trial", "previous": "factory",
                    "attempts": 0, "trialBackup": null, "highestGood": null, "bad": []}"#;
    fs::write(stages.join(slots::STATE_FILE), state).unwrap();
    let chosen = slots::choose(app_data.path(), "0.1.0");
    assert_eq!((chosen.slot.as_str(), chosen.mode), ("0.2.0", Mode::Trial));
    let factory = app_data.path().join("factory-stage");
    assert_eq!(slots::slot_dir(&chosen.slot, &factory, app_data.path()), stages.join("0.2.0"));
    assert_eq!(slots::slot_dir(slots::FACTORY, &factory, app_data.path()), factory);
}
