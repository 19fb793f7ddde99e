//! The bridge between the app and the supervisor crate: where the stage and the app data
//! live, the startup status the splash shows, and the backend's lifetime.

use std::path::PathBuf;
use std::sync::Mutex;
use std::thread;
use std::time::Instant;

use desktop_django_supervisor::process::pid_is_alive;
use desktop_django_supervisor::{Config, Event, Supervisor};
use serde::Serialize;
use serde_json::json;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};

use crate::announce::announce;
use crate::{smoke, windows};

/// The event the splash listens to; the payload is a [`StartupStatus`].
pub const STATUS_EVENT: &str = "startup-status";

/// What the splash shows. Serialized as `{"state": "starting"}` and so on.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum StartupStatus {
    Starting,
    Ready,
    Failed { message: String, logs: String },
}

/// Managed state: the folders, the status, and the running supervisor.
pub struct Backend {
    pub stage_dir: PathBuf,
    pub app_data_dir: PathBuf,
    status: Mutex<StartupStatus>,
    lifetime: Mutex<Lifetime>,
}

/// One lock for both, so a quit during start-up cannot slip between the check and the store.
#[derive(Default)]
struct Lifetime {
    quitting: bool,
    supervisor: Option<Supervisor>,
}

impl Backend {
    pub fn logs_dir(&self) -> PathBuf {
        desktop_django_supervisor::logs_dir(&self.app_data_dir)
    }

    pub fn status(&self) -> StartupStatus {
        self.status.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Resolve the folders and register the state. `DESKTOP_DJANGO_STAGE_DIR` and
/// `DESKTOP_DJANGO_APP_DATA_DIR` override them for development (`nox -s dev-tauri`).
pub fn install(app: &AppHandle) -> tauri::Result<()> {
    let stage_dir = match std::env::var_os("DESKTOP_DJANGO_STAGE_DIR") {
        Some(dir) => PathBuf::from(dir),
        // tauri.conf.json bundles .stage/backend as the `backend` resource folder.
        None => app.path().resource_dir()?.join("backend"),
    };
    let app_data_dir = match std::env::var_os("DESKTOP_DJANGO_APP_DATA_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => app.path().app_data_dir()?,
    };
    app.manage(Backend {
        stage_dir,
        app_data_dir,
        status: Mutex::new(StartupStatus::Starting),
        lifetime: Mutex::new(Lifetime::default()),
    });
    Ok(())
}

/// Start serve and worker off the main thread (a first start migrates the database), then
/// swap the splash for the app window.
pub fn start_in_background(app: AppHandle) {
    thread::spawn(move || {
        let state = app.state::<Backend>();
        let mut config = Config::new(&state.stage_dir, &state.app_data_dir);
        config.echo_stderr = cfg!(debug_assertions);
        let events_app = app.clone();
        match Supervisor::start(config, move |event| on_event(&events_app, event)) {
            Ok(supervisor) => {
                let origin = supervisor.origin().clone();
                let bootstrap = supervisor.bootstrap_url("/");
                let (server_pid, worker_pid) = (supervisor.server_pid(), supervisor.worker_pid());
                {
                    let mut lifetime = state.lifetime.lock().unwrap_or_else(|p| p.into_inner());
                    if lifetime.quitting {
                        // The user quit while we were starting: leave nothing behind.
                        drop(lifetime);
                        supervisor.shutdown();
                        return;
                    }
                    lifetime.supervisor = Some(supervisor);
                }
                announce(
                    "backend-ready",
                    json!({"url": origin.url(), "serverPid": server_pid, "workerPid": worker_pid}),
                );
                set_status(&app, StartupStatus::Ready);
                if let Err(err) = windows::open_main(&app, origin, &bootstrap) {
                    fail(&app, format!("The app window could not be opened: {err}"));
                }
            }
            Err(err) => fail(&app, err.to_string()),
        }
    });
}

/// Stop serve and worker (stdin EOF, grace period, then kill) and say how long it took. Runs
/// before an update is installed and on exit; the second call finds nothing left to stop.
/// False if a process outlived the stop.
pub fn stop(app: &AppHandle) -> bool {
    let Some(state) = app.try_state::<Backend>() else { return true };
    let supervisor = {
        let mut lifetime = state.lifetime.lock().unwrap_or_else(|p| p.into_inner());
        lifetime.quitting = true;
        lifetime.supervisor.take()
    };
    let Some(supervisor) = supervisor else { return true };
    let started = Instant::now();
    let pids: Vec<u32> =
        [Some(supervisor.server_pid()), supervisor.worker_pid()].into_iter().flatten().collect();
    supervisor.shutdown();
    let stopped = !pids.iter().any(|&pid| pid_is_alive(pid));
    announce("stopped", json!({"seconds": started.elapsed().as_secs_f64(), "allStopped": stopped}));
    stopped
}

fn set_status(app: &AppHandle, status: StartupStatus) {
    let state = app.state::<Backend>();
    *state.status.lock().unwrap_or_else(|p| p.into_inner()) = status.clone();
    let _ = app.emit_to(windows::SPLASH, STATUS_EVENT, status);
}

fn fail(app: &AppHandle, message: String) {
    eprintln!("backend start failed: {message}");
    let logs = app.state::<Backend>().logs_dir().display().to_string();
    announce("error", json!({"message": message, "log": logs}));
    if smoke::active(app) {
        smoke::fail(app, "the backend did not start");
        return;
    }
    set_status(app, StartupStatus::Failed { message, logs });
}

/// Called on the supervisor's thread: hand anything slow (a dialog) to a thread of its own.
fn on_event(app: &AppHandle, event: Event) {
    match event {
        Event::ServerExited { status, .. } => {
            let app = app.clone();
            thread::spawn(move || server_died(&app, &status));
        }
        Event::WorkerExited { status, restart_in, .. } => {
            eprintln!("worker exited ({status}); restarting in {} ms", restart_in.as_millis());
            announce("worker-exited", json!({"status": status}));
        }
        Event::WorkerRestarted { pid } => announce("worker-restarted", json!({"pid": pid})),
        Event::WorkerRestartFailed { error, .. } => eprintln!("worker restart failed: {error}"),
    }
}

/// The web server is gone: the window cannot work any more. Say so, offer the logs, quit.
fn server_died(app: &AppHandle, status: &str) {
    announce("server-exited", json!({"status": status}));
    if smoke::active(app) {
        smoke::fail(app, "the server stopped");
        return;
    }
    let name = &app.package_info().name;
    let open_logs = app
        .dialog()
        .message(format!(
            "The {name} server stopped unexpectedly ({status}). The app will close; \
             its logs explain what happened."
        ))
        .title(format!("{name} stopped"))
        .kind(MessageDialogKind::Error)
        .buttons(MessageDialogButtons::OkCancelCustom("Open Logs Folder".into(), "Quit".into()))
        .blocking_show();
    if open_logs {
        let _ = crate::commands::open_folder(app, &app.state::<Backend>().logs_dir());
    }
    app.exit(1);
}
