//! The supervisor against the real staged backend (`nox -s stage`): ready line, token and
//! cookie authentication, worker supervision, and a shutdown that leaves no process behind.
//!
//! The stage is `$DESKTOP_DJANGO_STAGE_DIR` or `<repo>/.stage/backend`. Without one these tests
//! fail saying so (`nox -s tests-tauri` builds it first).

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use desktop_django_supervisor::manifest::MANIFEST_NAME;
use desktop_django_supervisor::process::pid_is_alive;
use desktop_django_supervisor::{Backoff, Config, Event, StartError, Supervisor};

use common::{http, repo_root, TempDir};

const TOKEN_HEADER: &str = "X-Desktop-Django-Token";

fn stage_dir() -> PathBuf {
    let dir = std::env::var_os("DESKTOP_DJANGO_STAGE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".stage").join("backend"));
    if dir.join(MANIFEST_NAME).is_file() {
        return dir;
    }
    // cargo test cannot skip at run time, and a test that did not run must not pass:
    // `nox -s tests-tauri` builds the stage first, so a missing one is a failure here.
    panic!(
        "no staged backend at {} (run `nox -s stage` or set DESKTOP_DJANGO_STAGE_DIR)",
        dir.display()
    );
}

fn start(
    stage: PathBuf,
    app_data: &TempDir,
    backoff: Backoff,
) -> Result<(Supervisor, Receiver<Event>), StartError> {
    let mut config = Config::new(stage, app_data.path());
    config.worker_backoff = backoff;
    let (tx, rx) = mpsc::channel();
    let supervisor = Supervisor::start(config, move |event| {
        let _ = tx.send(event);
    })?;
    Ok((supervisor, rx))
}

fn wait_for(events: &Receiver<Event>, within: Duration, wanted: impl Fn(&Event) -> bool) -> Event {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match events.recv_timeout(left) {
            Ok(event) if wanted(&event) => return event,
            Ok(_) => continue,
            Err(_) => panic!("no matching supervisor event within {within:?}"),
        }
    }
}

fn wait_until_dead(pid: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if !pid_is_alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Kill one process from outside, as a crash or the OOM killer would.
fn kill_hard(pid: u32) {
    let status = if cfg!(windows) {
        Command::new("taskkill")
            .args(["/PID", &pid.to_string(), "/F"])
            .stdout(Stdio::null())
            .status()
    } else {
        Command::new("kill").args(["-s", "KILL", &pid.to_string()]).status()
    };
    assert!(status.is_ok_and(|s| s.success()), "could not kill {pid}");
}

/// True while any process is left in the group the supervisor created for `pid`.
#[cfg(unix)]
fn group_is_alive(pid: u32) -> bool {
    Command::new("kill")
        .args(["-s", "0", "--", &format!("-{pid}")])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(not(unix))]
fn group_is_alive(pid: u32) -> bool {
    pid_is_alive(pid)
}

#[test]
fn backend_starts_authenticates_and_stops_without_leftovers() {
    let stage = stage_dir();
    let app_data = TempDir::new("app-data");
    let (supervisor, events) = start(stage, &app_data, Backoff::default()).expect("backend starts");
    let origin = supervisor.origin().clone();
    assert_eq!(origin.host(), "127.0.0.1");
    let token = supervisor.token().expose().to_owned();

    let health =
        http::get(origin.host(), origin.port(), "/health/", &[(TOKEN_HEADER, &token)]).unwrap();
    assert_eq!(health.status, 200, "{}", health.text());
    let anonymous = http::get(origin.host(), origin.port(), "/health/", &[]).unwrap();
    assert_eq!(anonymous.status, 403);
    let wrong =
        http::get(origin.host(), origin.port(), "/health/", &[(TOKEN_HEADER, &"0".repeat(64))])
            .unwrap();
    assert_eq!(wrong.status, 403);

    // The bootstrap URL trades the token for a cookie and redirects without it.
    let bootstrap = supervisor.bootstrap_url("/");
    let path = bootstrap.strip_prefix(&origin.url()).unwrap();
    let redirect = http::get(origin.host(), origin.port(), path, &[]).unwrap();
    assert_eq!(redirect.status, 302);
    let location = redirect.header("Location").expect("Location header");
    assert_eq!(location, "/");
    let cookie = redirect
        .header_values("Set-Cookie")
        .into_iter()
        .find(|c| c.contains(&token))
        .expect("a cookie carrying the session token")
        .to_owned();
    let attributes = cookie.to_ascii_lowercase();
    for attribute in ["httponly", "samesite=strict", "path=/"] {
        assert!(attributes.contains(attribute), "cookie lacks {attribute}: {cookie}");
    }
    let pair = cookie.split(';').next().unwrap().trim().to_owned();
    let home = http::get(origin.host(), origin.port(), "/", &[("Cookie", &pair)]).unwrap();
    assert_eq!(home.status, 200);

    let server_pid = supervisor.server_pid();
    let worker_pid = supervisor.worker_pid().expect("worker started");
    assert!(pid_is_alive(server_pid) && pid_is_alive(worker_pid));
    assert!(supervisor.logs_dir().is_dir(), "the launcher writes its logs under app data");

    supervisor.shutdown();
    for pid in [server_pid, worker_pid] {
        assert!(!pid_is_alive(pid), "pid {pid} survived shutdown");
        assert!(!group_is_alive(pid), "process group {pid} survived shutdown");
    }
    let unexpected: Vec<Event> = events.try_iter().collect();
    assert!(unexpected.is_empty(), "unexpected events: {unexpected:?}");
}

#[test]
fn a_killed_worker_is_restarted_and_a_dead_server_is_reported() {
    let stage = stage_dir();
    let app_data = TempDir::new("app-data");
    let backoff = Backoff {
        initial: Duration::from_millis(200),
        max: Duration::from_secs(1),
        reset_after: Duration::from_secs(60),
    };
    let (supervisor, events) = start(stage, &app_data, backoff).expect("backend starts");
    let first_worker = supervisor.worker_pid().expect("worker started");

    kill_hard(first_worker);
    let exited =
        wait_for(&events, Duration::from_secs(10), |e| matches!(e, Event::WorkerExited { .. }));
    assert!(
        matches!(exited, Event::WorkerExited { restart_in, .. } if restart_in == backoff.initial)
    );
    let restarted =
        wait_for(&events, Duration::from_secs(10), |e| matches!(e, Event::WorkerRestarted { .. }));
    let Event::WorkerRestarted { pid: second_worker } = restarted else { unreachable!() };
    assert_ne!(second_worker, first_worker);
    assert!(pid_is_alive(second_worker));
    assert_eq!(supervisor.worker_pid(), Some(second_worker));

    let server_pid = supervisor.server_pid();
    kill_hard(server_pid);
    wait_for(&events, Duration::from_secs(10), |e| matches!(e, Event::ServerExited { .. }));

    supervisor.shutdown();
    assert!(wait_until_dead(second_worker), "worker {second_worker} survived shutdown");
    assert!(!pid_is_alive(server_pid));
}

#[test]
fn a_launcher_error_line_is_reported_with_its_log() {
    let stage = stage_dir();
    let app_data = TempDir::new("app-data");
    let (first, _events) =
        start(stage.clone(), &app_data, Backoff::default()).expect("backend starts");

    // One server per app data folder: the second one answers with its error line.
    match start(stage, &app_data, Backoff::default()) {
        Err(StartError::Backend { message, log }) => {
            assert!(!message.is_empty());
            assert!(log.is_some(), "the error line names its log file");
        }
        Err(other) => panic!("expected the launcher's error line, got: {other}"),
        Ok(_) => panic!("a second backend started on the same app data folder"),
    }
    first.shutdown();
}

#[test]
fn export_diagnostics_writes_a_zip_without_the_session_token() {
    let stage = stage_dir();
    let app_data = TempDir::new("diagnostics");
    let (supervisor, _events) = start(stage.clone(), &app_data, Backoff::default()).unwrap();
    let token = supervisor.token().expose().to_string();
    supervisor.shutdown();
    let zip = app_data.path().join("support.zip");
    let written = desktop_django_supervisor::diagnostics::export(&stage, app_data.path(), &zip)
        .expect("the launcher wrote the zip");
    assert_eq!(PathBuf::from(&written), zip);
    let bytes = std::fs::read(&zip).unwrap();
    assert_eq!(&bytes[..2], b"PK");
    assert!(!bytes.windows(token.len()).any(|w| w == token.as_bytes()));
}
