//! The bridge between the app and the supervisor crate: where the stage and the app data
//! live, the startup status the splash shows, and the backend's lifetime. The backend starts
//! from the slot the resolution rule names (`trial::start`: a trial is gated and confirmed, a
//! failed one rolled back; docs/backend-updates.md), and restarts after Help > Install Backend
//! Update… installed a layer.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::thread;
use std::time::Instant;

use desktop_django_supervisor::process::pid_is_alive;
use desktop_django_supervisor::{backend_update, gate, trial};
use desktop_django_supervisor::{Config, Event, Origin, RolledBack, Supervisor};
use serde::Serialize;
use serde_json::json;
use tauri::{AppHandle, Context, Emitter, Env, Manager, Runtime};
use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};

use crate::announce::announce;
use crate::early_start::{EarlyStart, Outcome};
use crate::{install_argument, smoke, windows};

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
    /// As in [`Folders`].
    pub stage_dir: PathBuf,
    pub app_data_dir: PathBuf,
    status: Mutex<StartupStatus>,
    lifetime: Mutex<Lifetime>,
    /// The running backend's origin: the app window's navigation lock reads it, so a restart
    /// onto a new port keeps the same window.
    origin: Mutex<Option<Origin>>,
    /// This launch's `--install-backend-update FILE`, taken once the backend first serves.
    layer_to_install: Mutex<Option<PathBuf>>,
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

    pub fn origin(&self) -> Option<Origin> {
        self.origin.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The stage folder the running backend serves from (the factory stage or a slot).
    fn serving_stage(&self) -> Option<PathBuf> {
        let lifetime = self.lifetime.lock().unwrap_or_else(|p| p.into_inner());
        lifetime.supervisor.as_ref().map(|s| s.manifest().stage_dir().to_path_buf())
    }
}

/// Where the app's stage and app data are. Resolved from the generated context, before the
/// app is built (the backend starts then: early_start.rs), by Tauri's own rules: the bundled
/// `backend` resource folder, and `<data dir>/<identifier>` as `PathResolver::app_data_dir`
/// gives it (tauri.conf.json sets no `appDirectoriesOverride`). `DESKTOP_DJANGO_STAGE_DIR` and
/// `DESKTOP_DJANGO_APP_DATA_DIR` override them for development (`nox -s dev-tauri`).
pub struct Folders {
    /// The factory stage (inside the app); the slot that serves may be another folder.
    pub stage_dir: PathBuf,
    pub app_data_dir: PathBuf,
}

impl Folders {
    pub fn resolve<R: Runtime>(context: &Context<R>) -> Result<Folders, String> {
        let stage_dir = match std::env::var_os("DESKTOP_DJANGO_STAGE_DIR") {
            Some(dir) => PathBuf::from(dir),
            // tauri.conf.json bundles .stage/backend as the `backend` resource folder.
            None => tauri::utils::platform::resource_dir(context.package_info(), &Env::default())
                .map_err(|err| format!("the app's resource folder is unknown: {err}"))?
                .join("backend"),
        };
        let app_data_dir = match std::env::var_os("DESKTOP_DJANGO_APP_DATA_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => dirs::data_dir()
                .ok_or("this user has no data folder (is HOME set?)")?
                .join(&context.config().identifier),
        };
        Ok(Folders { stage_dir, app_data_dir })
    }
}

/// Register the state.
pub fn install(app: &AppHandle, folders: Folders) {
    let cwd = std::env::current_dir().unwrap_or_default();
    app.manage(Backend {
        stage_dir: folders.stage_dir,
        app_data_dir: folders.app_data_dir,
        status: Mutex::new(StartupStatus::Starting),
        lifetime: Mutex::new(Lifetime::default()),
        origin: Mutex::new(None),
        layer_to_install: Mutex::new(install_argument::layer_in(std::env::args_os(), &cwd)),
    });
}

/// The supervisor's settings for these folders.
pub fn config(folders: &Folders) -> Config {
    let mut config = Config::new(&folders.stage_dir, &folders.app_data_dir);
    config.echo_stderr = cfg!(debug_assertions);
    config
}

/// Wait for the early start (or start now, when there was none) off the main thread (a first
/// start migrates the database), then swap the splash for the app window.
pub fn start_in_background(app: AppHandle, early: Option<EarlyStart>) {
    thread::spawn(move || {
        let outcome = match early {
            Some(early) => early.join(&app),
            None => start_now(&app),
        };
        show_started(&app, outcome);
    });
}

/// Start the slot the rule names, with this app's event handling.
fn start_now(app: &AppHandle) -> Outcome {
    let state = app.state::<Backend>();
    let folders =
        Folders { stage_dir: state.stage_dir.clone(), app_data_dir: state.app_data_dir.clone() };
    let events_app = app.clone();
    trial::start(config(&folders), gate::DEADLINE, move |event| on_event(&events_app, event))
        .map_err(|err| err.to_string())
}

/// Show a started backend: the app window on its bootstrap URL (a new window at first, the
/// same one after a restart). Runs on a thread of its own.
fn show_started(app: &AppHandle, outcome: Outcome) {
    let state = app.state::<Backend>();
    let started = match outcome {
        Ok(started) => started,
        Err(message) => return fail(app, message),
    };
    if let Some(failure) = &started.trial_failure {
        eprintln!("backend {} failed its trial: {failure}", started.resolution.slot);
    }
    let supervisor = started.supervisor;
    let origin = supervisor.origin().clone();
    let bootstrap = supervisor.bootstrap_url("/");
    let (server_pid, worker_pid) = (supervisor.server_pid(), supervisor.worker_pid());
    let slot = started.resolution.slot.clone();
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
    *state.origin.lock().unwrap_or_else(|p| p.into_inner()) = Some(origin.clone());
    announce(
        "backend-ready",
        json!({"url": origin.url(), "serverPid": server_pid, "workerPid": worker_pid, "slot": slot}),
    );
    if let Some(rolled_back) = started.rolled_back {
        tell_rolled_back(app, &rolled_back);
    }
    // This launch's layer, before the window shows the version it replaces: once installed,
    // the restart onto its trial shows the window. Taken, so that restart installs nothing.
    let layer = state.layer_to_install.lock().unwrap_or_else(|p| p.into_inner()).take();
    if layer.is_some_and(|layer| install_layer(app, &layer)) {
        return;
    }
    set_status(app, StartupStatus::Ready);
    if let Err(err) = windows::show_backend(app, &bootstrap) {
        fail(app, format!("The app window could not be opened: {err}"));
    }
}

/// The one sentence after a rollback, on stdout and (unless smoke testing) in a dialog.
fn tell_rolled_back(app: &AppHandle, rolled_back: &RolledBack) {
    let message = rolled_back.message();
    eprintln!("{message}");
    announce(
        "rolled-back",
        json!({"from": rolled_back.from, "to": rolled_back.to, "log": rolled_back.log, "message": message}),
    );
    if smoke::active(app) {
        return;
    }
    let app = app.clone();
    thread::spawn(move || {
        app.dialog()
            .message(message)
            .title("Backend update rolled back")
            .kind(MessageDialogKind::Warning)
            .blocking_show();
    });
}

/// Help > Install Backend Update… (`layer` None: a file picker first) or a later launch's
/// `--install-backend-update FILE`: the same flow, off the main thread.
pub fn install_update_in_background(app: &AppHandle, layer: Option<PathBuf>) {
    let app = app.clone();
    thread::spawn(move || {
        let layer = layer.or_else(|| pick_layer(&app));
        if let Some(layer) = layer {
            install_layer(&app, &layer);
        }
    });
}

fn pick_layer(app: &AppHandle) -> Option<PathBuf> {
    let picked = app
        .dialog()
        .file()
        .set_title("Install Backend Update")
        .add_filter("Backend update", &["layer"])
        .blocking_pick_file();
    picked.as_ref().and_then(|file| file.as_path()).map(Path::to_path_buf)
}

/// `backend-update apply FILE` with the interpreter of the slot that serves now (it holds the
/// trusted key), then a restart onto the new slot's trial, which the health gate confirms or
/// rolls back. A refusal changes nothing: the serving version goes on. True once restarted.
fn install_layer(app: &AppHandle, layer: &Path) -> bool {
    let state = app.state::<Backend>();
    let Some(serving) = state.serving_stage() else {
        error_dialog(
            app,
            "The backend is not running; start the app again, then install the update.".into(),
        );
        return false;
    };
    // Said here with the file's name: the applier would only see a missing path.
    if let Err(err) = std::fs::File::open(layer) {
        let message = format!("The backend update {} cannot be read: {err}.", layer.display());
        announce("update-refused", json!({"message": message}));
        error_dialog(app, message);
        return false;
    }
    match backend_update::apply(&serving, &state.stage_dir, &state.app_data_dir, layer) {
        Ok(version) => {
            announce("update-applied", json!({"version": version}));
            restart(app);
            true
        }
        Err(message) => {
            announce("update-refused", json!({"message": message}));
            error_dialog(app, message);
            false
        }
    }
}

fn error_dialog(app: &AppHandle, message: String) {
    if smoke::active(app) {
        return;
    }
    app.dialog()
        .message(message)
        .title("Backend update not installed")
        .kind(MessageDialogKind::Error)
        .blocking_show();
}

/// Stop the running backend and start the slot the rule names now, in the same window.
fn restart(app: &AppHandle) {
    let state = app.state::<Backend>();
    *state.origin.lock().unwrap_or_else(|p| p.into_inner()) = None;
    let supervisor = state.lifetime.lock().unwrap_or_else(|p| p.into_inner()).supervisor.take();
    if let Some(supervisor) = supervisor {
        supervisor.shutdown();
    }
    show_started(app, start_now(app));
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
pub fn on_event(app: &AppHandle, event: Event) {
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
