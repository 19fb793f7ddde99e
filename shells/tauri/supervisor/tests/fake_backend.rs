//! The supervisor's failure paths against a stand-in interpreter (a shell script), so they run
//! without a stage: a server that never answers, dies early, prints something else or ignores
//! stdin EOF, and each time no process (children included) may be left behind.
#![cfg(unix)]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use desktop_django_supervisor::manifest::{current_platform, MANIFEST_NAME};
use desktop_django_supervisor::process::pid_is_alive;
use desktop_django_supervisor::{Config, StartError, Supervisor};
use serde_json::Value;

use common::{repo_root, TempDir};

/// Pretends to be `python -I -m flying_stable.desktop <role>`; `$4` is the role. Every run
/// records its own pid and the pid of a child it leaves running, to prove tree kills.
const FAKE_PYTHON: &str = r#"#!/bin/sh
role="$4"
mode="$(cat "$DESKTOP_DJANGO_STAGE_DIR/mode")"
echo $$ > "$DESKTOP_DJANGO_APP_DATA_DIR/$role.pid"
sleep 300 &
echo $! > "$DESKTOP_DJANGO_APP_DATA_DIR/$role.child.pid"
case "$role:$mode" in
  serve:early-exit) echo "ModuleNotFoundError: No module named 'flying_stable'" >&2; exit 3 ;;
  serve:garbage) echo "Watching for file changes with StatReloader" ;;
  serve:foreign) echo '{"event": "ready", "url": "http://0.0.0.0:8000", "pid": 1}' ;;
  serve:error) echo '{"event": "error", "message": "database is newer", "log": "/x/serve.log"}'; exit 1 ;;
  serve:stubborn) echo "{\"event\": \"ready\", \"url\": \"http://127.0.0.1:9\", \"pid\": $$}" ;;
esac
wait
"#;

struct FakeStage {
    stage: TempDir,
    app_data: TempDir,
}

impl FakeStage {
    fn new(mode: &str) -> Self {
        let stage = TempDir::new("fake-stage");
        let vector = repo_root().join("tests/stage/vectors/valid/minimal-linux.json");
        let mut manifest: Value =
            serde_json::from_str(&fs::read_to_string(vector).unwrap()).unwrap();
        manifest["python"]["platform"] = Value::from(current_platform());
        fs::write(stage.path().join(MANIFEST_NAME), manifest.to_string()).unwrap();
        let python = stage.path().join("python/bin/python3");
        fs::create_dir_all(python.parent().unwrap()).unwrap();
        fs::write(&python, FAKE_PYTHON).unwrap();
        fs::set_permissions(&python, fs::Permissions::from_mode(0o755)).unwrap();
        fs::write(stage.path().join("mode"), mode).unwrap();
        Self { stage, app_data: TempDir::new("fake-app-data") }
    }

    fn config(&self) -> Config {
        let mut config = Config::new(self.stage.path(), self.app_data.path());
        config.ready_timeout = Duration::from_secs(2);
        config.stop_grace = Duration::from_millis(300);
        config.echo_stderr = false;
        config
    }

    fn start(&self) -> Result<Supervisor, StartError> {
        Supervisor::start(self.config(), |_| {})
    }

    /// Every pid the fake processes recorded; `patience` waits for files still being written.
    fn recorded_pids(&self, patience: Duration) -> Vec<u32> {
        ["serve.pid", "serve.child.pid", "worker.pid", "worker.child.pid"]
            .iter()
            .filter_map(|name| read_pid(&self.app_data.path().join(name), patience))
            .collect()
    }

    fn assert_nothing_left(&self) {
        let pids = self.recorded_pids(Duration::ZERO);
        assert!(!pids.is_empty(), "the fake backend never ran");
        let deadline = Instant::now() + Duration::from_secs(5);
        while pids.iter().any(|pid| pid_is_alive(*pid)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let alive: Vec<u32> = pids.into_iter().filter(|pid| pid_is_alive(*pid)).collect();
        assert!(alive.is_empty(), "left running: {alive:?}");
    }
}

fn read_pid(path: &Path, patience: Duration) -> Option<u32> {
    let deadline = Instant::now() + patience;
    loop {
        if let Some(pid) = fs::read_to_string(path).ok().and_then(|s| s.trim().parse().ok()) {
            return Some(pid);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

#[test]
fn a_server_that_never_answers_times_out_and_is_killed_with_its_children() {
    let fake = FakeStage::new("silent");
    let started = Instant::now();
    let err = fake.start().unwrap_err();
    assert!(matches!(err, StartError::Timeout { .. }), "{err}");
    assert!(err.to_string().contains("did not report ready within 2 s"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
    fake.assert_nothing_left();
}

#[test]
fn a_server_that_dies_early_is_reported_with_its_stderr() {
    let fake = FakeStage::new("early-exit");
    let err = fake.start().unwrap_err();
    let StartError::ExitedEarly { status, stderr_tail } = &err else { panic!("{err}") };
    assert!(status.contains('3'), "{status}");
    assert!(stderr_tail.contains("No module named 'flying_stable'"), "{stderr_tail}");
    fake.assert_nothing_left();
}

#[test]
fn the_launcher_error_line_becomes_the_error() {
    let fake = FakeStage::new("error");
    let err = fake.start().unwrap_err();
    assert!(
        matches!(&err, StartError::Backend { message, log: Some(log) } if message == "database is newer" && log == "/x/serve.log"),
        "{err}"
    );
    assert_eq!(err.to_string(), "database is newer (details in /x/serve.log)");
    fake.assert_nothing_left();
}

#[test]
fn anything_but_the_ready_line_is_refused() {
    for mode in ["garbage", "foreign"] {
        let fake = FakeStage::new(mode);
        let err = fake.start().unwrap_err();
        assert!(matches!(err, StartError::Protocol { .. }), "{mode}: {err}");
        fake.assert_nothing_left();
    }
}

#[test]
fn processes_that_ignore_stdin_eof_are_killed_after_the_grace_period() {
    let fake = FakeStage::new("stubborn");
    let supervisor = fake.start().expect("the fake server reports ready");
    assert_eq!(supervisor.url(), "http://127.0.0.1:9");
    assert!(supervisor.worker_pid().is_some());
    assert_eq!(
        fake.recorded_pids(Duration::from_secs(2)).len(),
        4,
        "serve, worker and one child each"
    );

    let started = Instant::now();
    supervisor.shutdown();
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(300), "killed before the grace period: {took:?}");
    assert!(took < Duration::from_secs(5), "shutdown took {took:?}");
    fake.assert_nothing_left();
}

#[test]
fn dropping_the_supervisor_also_stops_everything() {
    let fake = FakeStage::new("stubborn");
    drop(fake.start().expect("the fake server reports ready"));
    fake.assert_nothing_left();
}
