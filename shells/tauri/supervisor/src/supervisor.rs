//! Start the staged backend (serve, then worker), watch both, and stop both.

use std::ffi::OsString;
use std::fmt;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::ChildStdout;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::manifest::{self, ManifestError, Role, RuntimeManifest};
use crate::process::ChildProcess;
use crate::protocol::{LauncherEvent, Origin, RolledBack};
use crate::token::SessionToken;

const POLL: Duration = Duration::from_millis(200);
const READY_POLL: Duration = Duration::from_millis(100);

/// Everything the supervisor needs to know; [`Config::new`] fills in sensible durations.
#[derive(Debug, Clone)]
pub struct Config {
    /// The stage folder (`.stage/backend` in development, the bundled resource when packaged).
    pub stage_dir: PathBuf,
    /// The writable per-user folder; the backend keeps its database and `logs/` there.
    pub app_data_dir: PathBuf,
    /// How long `serve` may take to print its ready line (a first start migrates and seeds).
    pub ready_timeout: Duration,
    /// How long both processes get to exit after stdin EOF before their trees are killed.
    pub stop_grace: Duration,
    pub worker_backoff: Backoff,
    /// Extra environment for both roles, e.g. `DJANGO_SETTINGS_MODULE`.
    pub extra_env: Vec<(String, String)>,
    /// Copy the children's stderr to ours, prefixed with the role (development and tests).
    pub echo_stderr: bool,
}

impl Config {
    pub fn new(stage_dir: impl Into<PathBuf>, app_data_dir: impl Into<PathBuf>) -> Self {
        Self {
            stage_dir: stage_dir.into(),
            app_data_dir: app_data_dir.into(),
            ready_timeout: Duration::from_secs(60),
            stop_grace: Duration::from_secs(5),
            worker_backoff: Backoff::default(),
            extra_env: Vec::new(),
            echo_stderr: true,
        }
    }
}

/// Restart delays for a worker that keeps dying: doubling from `initial` up to `max`, back to
/// `initial` once a worker has stayed up for `reset_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
    pub reset_after: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(30),
            reset_after: Duration::from_secs(60),
        }
    }
}

impl Backoff {
    /// The delay before restart number `attempt` (0-based).
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.initial.checked_mul(factor).map_or(self.max, |delay| delay.min(self.max))
    }
}

/// What happens after start, reported from the supervisor's own thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The worker stopped on its own; it is restarted after `restart_in`.
    WorkerExited {
        status: String,
        restart_in: Duration,
        stderr_tail: String,
    },
    WorkerRestarted {
        pid: u32,
    },
    WorkerRestartFailed {
        error: String,
        retry_in: Duration,
    },
    /// The web server is gone: the app window cannot work any more. Not restarted, because a
    /// server that dies once usually dies again and the user should see why (the log).
    ServerExited {
        status: String,
        stderr_tail: String,
    },
}

/// Why the backend could not be started. Every variant says what to look at next.
#[derive(Debug)]
pub enum StartError {
    Manifest(ManifestError),
    Randomness(String),
    AppData {
        path: PathBuf,
        error: io::Error,
    },
    Spawn {
        role: Role,
        executable: PathBuf,
        error: io::Error,
    },
    /// `serve` printed its error line.
    Backend {
        message: String,
        log: Option<String>,
    },
    /// `serve` exited before printing anything.
    ExitedEarly {
        status: String,
        stderr_tail: String,
    },
    Timeout {
        after: Duration,
        stderr_tail: String,
    },
    /// `serve` printed something that is not the launcher protocol.
    Protocol {
        line: String,
        detail: String,
    },
    /// The OS refused a thread for the supervisor (the children are stopped again).
    Thread(io::Error),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Manifest(err) => write!(f, "the staged backend is not usable: {err}"),
            StartError::Randomness(err) => {
                write!(f, "no session token: the OS random source failed ({err})")
            }
            StartError::AppData { path, error } => {
                write!(f, "cannot create the app data folder {}: {error}", path.display())
            }
            StartError::Spawn { role, executable, error } => {
                write!(f, "cannot start `{role}` with {}: {error}", executable.display())
            }
            StartError::Backend { message, log: Some(log) } => {
                write!(f, "{message} (details in {log})")
            }
            StartError::Backend { message, log: None } => f.write_str(message),
            StartError::ExitedEarly { status, stderr_tail } => {
                write!(f, "the backend exited ({status}) before it was ready")?;
                write_tail(f, stderr_tail)
            }
            StartError::Timeout { after, stderr_tail } => {
                write!(f, "the backend did not report ready within {} s", after.as_secs())?;
                write_tail(f, stderr_tail)
            }
            StartError::Thread(error) => write!(f, "cannot start the supervisor thread: {error}"),
            StartError::Protocol { line, detail } => {
                write!(f, "the backend printed {line:?} instead of its ready line ({detail})")
            }
        }
    }
}

fn write_tail(f: &mut fmt::Formatter<'_>, tail: &str) -> fmt::Result {
    if tail.is_empty() {
        Ok(())
    } else {
        write!(f, "; its last output:\n{tail}")
    }
}

impl std::error::Error for StartError {}

impl From<ManifestError> for StartError {
    fn from(err: ManifestError) -> Self {
        StartError::Manifest(err)
    }
}

/// A running backend. Dropping it stops both processes; [`Supervisor::shutdown`] does the
/// same and waits for it.
pub struct Supervisor {
    origin: Origin,
    rolled_back: Option<RolledBack>,
    token: SessionToken,
    server_pid: u32,
    worker_pid: Arc<AtomicU32>,
    app_data_dir: PathBuf,
    manifest: RuntimeManifest,
    stop: Option<Sender<()>>,
    monitor: Option<JoinHandle<()>>,
}

impl fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Supervisor")
            .field("origin", &self.origin)
            .field("server_pid", &self.server_pid)
            .field("worker_pid", &self.worker_pid())
            .finish_non_exhaustive()
    }
}

impl Supervisor {
    /// Validate the stage, spawn `serve`, wait for its ready line, spawn `worker`, and start
    /// watching both. `on_event` runs on the supervisor's thread: keep it short.
    pub fn start<F>(mut config: Config, on_event: F) -> Result<Self, StartError>
    where
        F: Fn(Event) + Send + 'static,
    {
        // The children run in the stage folder, so a relative path would mean something else
        // to them than to us.
        config.stage_dir = absolute(&config.stage_dir);
        config.app_data_dir = absolute(&config.app_data_dir);
        let manifest = manifest::load(&config.stage_dir, true)?;
        std::fs::create_dir_all(&config.app_data_dir)
            .map_err(|error| StartError::AppData { path: config.app_data_dir.clone(), error })?;
        let token =
            SessionToken::generate().map_err(|err| StartError::Randomness(err.to_string()))?;
        let env = child_env(&config, &token);

        let serve_launch = manifest.launch(Role::Serve);
        let (mut server, stdout) =
            ChildProcess::spawn(Role::Serve, &serve_launch, &env, config.echo_stderr).map_err(
                |error| StartError::Spawn {
                    role: Role::Serve,
                    executable: serve_launch.executable.clone(),
                    error,
                },
            )?;
        let stdout = stdout.expect("serve is spawned with a piped stdout");
        let (origin, rolled_back) = match wait_for_ready(&mut server, stdout, config.ready_timeout)
        {
            Ok(ready) => ready,
            Err(err) => {
                // Whatever state it is in, a server that did not start must not linger.
                let _ = server.stop(Duration::from_secs(2));
                return Err(err);
            }
        };
        let server_pid = server.pid();

        // The worker only starts once the server has migrated the database.
        let worker_launch = manifest.launch(Role::Worker);
        let worker =
            match ChildProcess::spawn(Role::Worker, &worker_launch, &env, config.echo_stderr) {
                Ok((worker, _)) => worker,
                Err(error) => {
                    let _ = server.stop(config.stop_grace);
                    return Err(StartError::Spawn {
                        role: Role::Worker,
                        executable: worker_launch.executable,
                        error,
                    });
                }
            };
        let worker_pid = Arc::new(AtomicU32::new(worker.pid()));

        let (stop_tx, stop_rx) = mpsc::channel();
        let monitor = Monitor {
            server,
            server_reported: false,
            worker: Some(worker),
            worker_attempt: 0,
            restart_at: None,
            worker_pid: Arc::clone(&worker_pid),
            launch: worker_launch,
            env,
            config: config.clone(),
            on_event: Box::new(on_event),
        };
        let handle = thread::Builder::new()
            .name("backend-supervisor".into())
            .spawn(move || monitor.run(stop_rx))
            .map_err(StartError::Thread)?;

        Ok(Self {
            origin,
            rolled_back,
            token,
            server_pid,
            worker_pid,
            app_data_dir: config.app_data_dir,
            manifest,
            stop: Some(stop_tx),
            monitor: Some(handle),
        })
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        self.origin.url()
    }

    /// The URL the app window opens first: it sets the auth cookie and redirects to `next`.
    pub fn bootstrap_url(&self, next: &str) -> String {
        self.origin.bootstrap_url(self.token.expose(), next)
    }

    /// What this serve reported when it had just undone a failed backend update.
    pub fn rolled_back(&self) -> Option<&RolledBack> {
        self.rolled_back.as_ref()
    }

    pub fn token(&self) -> &SessionToken {
        &self.token
    }

    pub fn server_pid(&self) -> u32 {
        self.server_pid
    }

    /// The current worker's pid, `None` while it waits to be restarted.
    pub fn worker_pid(&self) -> Option<u32> {
        match self.worker_pid.load(Ordering::SeqCst) {
            0 => None,
            pid => Some(pid),
        }
    }

    pub fn manifest(&self) -> &RuntimeManifest {
        &self.manifest
    }

    pub fn app_data_dir(&self) -> &Path {
        &self.app_data_dir
    }

    pub fn logs_dir(&self) -> PathBuf {
        logs_dir(&self.app_data_dir)
    }

    /// Stop both processes (stdin EOF, grace period, then kill their trees) and wait for it.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(handle) = self.monitor.take() {
            let _ = handle.join();
        }
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    std::env::current_dir().map(|cwd| cwd.join(path)).unwrap_or_else(|_| path.to_path_buf())
}

/// `<app data>/logs`, where the launcher writes `serve.log` and `worker.log`.
pub fn logs_dir(app_data_dir: &Path) -> PathBuf {
    app_data_dir.join("logs")
}

fn child_env(config: &Config, token: &SessionToken) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = vec![
        ("DESKTOP_DJANGO_APP_DATA_DIR".into(), config.app_data_dir.clone().into()),
        ("DESKTOP_DJANGO_AUTH_TOKEN".into(), token.expose().into()),
        ("DESKTOP_DJANGO_STAGE_DIR".into(), config.stage_dir.clone().into()),
    ];
    env.extend(config.extra_env.iter().map(|(k, v)| (k.into(), v.into())));
    env
}

/// Read the first line of `serve`'s stdout on a helper thread so the wait can time out.
fn wait_for_ready(
    server: &mut ChildProcess,
    stdout: ChildStdout,
    timeout: Duration,
) -> Result<(Origin, Option<RolledBack>), StartError> {
    let (tx, rx) = mpsc::channel::<io::Result<Option<String>>>();
    thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let first = match reader.read_line(&mut line) {
            Ok(0) => Ok(None),
            Ok(_) => Ok(Some(line)),
            Err(err) => Err(err),
        };
        let _ = tx.send(first);
        // Keep draining so a chatty child never blocks on a full pipe.
        io::copy(&mut reader, &mut io::sink()).ok();
    });
    // Poll rather than block: a grandchild can inherit stdout and keep the pipe open after
    // `serve` itself died, so EOF alone cannot be trusted to report an early exit.
    let deadline = Instant::now() + timeout;
    let first = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left.min(READY_POLL)) {
            Ok(Ok(Some(line))) => break line,
            Ok(Ok(None)) | Ok(Err(_)) | Err(RecvTimeoutError::Disconnected) => {
                let status = wait_briefly(server);
                return Err(StartError::ExitedEarly { status, stderr_tail: server.stderr_tail() });
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
        if let Ok(Some(status)) = server.try_wait() {
            // It may have printed its error line just before exiting.
            if let Ok(Ok(Some(line))) = rx.recv_timeout(READY_POLL) {
                break line;
            }
            return Err(StartError::ExitedEarly {
                status: status.to_string(),
                stderr_tail: server.stderr_tail(),
            });
        }
        if Instant::now() >= deadline {
            return Err(StartError::Timeout { after: timeout, stderr_tail: server.stderr_tail() });
        }
    };
    match LauncherEvent::parse(&first) {
        Ok(LauncherEvent::Ready { url, rolled_back, .. }) => Origin::parse(&url)
            .map(|origin| (origin, rolled_back))
            .map_err(|detail| StartError::Protocol { line: first.trim().to_owned(), detail }),
        Ok(LauncherEvent::Error { message, log }) => Err(StartError::Backend { message, log }),
        Err(detail) => Err(StartError::Protocol { line: first.trim().to_owned(), detail }),
    }
}

/// Stdout closed: the process is exiting. Give it a moment so the status is known.
fn wait_briefly(child: &mut ChildProcess) -> String {
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return status.to_string();
        }
        thread::sleep(Duration::from_millis(20));
    }
    "still running with stdout closed".to_owned()
}

/// The supervisor thread's state: it owns both children, so nothing else can race it.
struct Monitor {
    server: ChildProcess,
    server_reported: bool,
    worker: Option<ChildProcess>,
    worker_attempt: u32,
    restart_at: Option<Instant>,
    worker_pid: Arc<AtomicU32>,
    launch: manifest::Launch,
    env: Vec<(OsString, OsString)>,
    config: Config,
    on_event: Box<dyn Fn(Event) + Send>,
}

impl Monitor {
    fn run(mut self, stop: Receiver<()>) {
        // Anything but a timeout (a stop request, or the Supervisor handle is gone) ends it.
        while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(POLL) {
            self.check();
        }
        self.stop_all();
    }

    fn check(&mut self) {
        if !self.server_reported {
            if let Ok(Some(status)) = self.server.try_wait() {
                self.server_reported = true;
                // Already exited: this only sweeps whatever it left in its process group.
                let _ = self.server.finish(Instant::now());
                (self.on_event)(Event::ServerExited {
                    status: status.to_string(),
                    stderr_tail: self.server.stderr_tail(),
                });
            }
        }
        if let Some(worker) = self.worker.as_mut() {
            if let Ok(Some(status)) = worker.try_wait() {
                let _ = worker.finish(Instant::now());
                if worker.uptime() >= self.config.worker_backoff.reset_after {
                    self.worker_attempt = 0;
                }
                let restart_in = self.config.worker_backoff.delay(self.worker_attempt);
                let stderr_tail = worker.stderr_tail();
                self.worker = None;
                self.worker_pid.store(0, Ordering::SeqCst);
                self.restart_at = Some(Instant::now() + restart_in);
                (self.on_event)(Event::WorkerExited {
                    status: status.to_string(),
                    restart_in,
                    stderr_tail,
                });
            }
        }
        // No point restarting a worker for a server that is gone.
        if self.server_reported {
            return;
        }
        if let Some(at) = self.restart_at {
            if Instant::now() >= at {
                self.restart_worker();
            }
        }
    }

    fn restart_worker(&mut self) {
        self.worker_attempt = self.worker_attempt.saturating_add(1);
        match ChildProcess::spawn(Role::Worker, &self.launch, &self.env, self.config.echo_stderr) {
            Ok((worker, _)) => {
                let pid = worker.pid();
                self.worker_pid.store(pid, Ordering::SeqCst);
                self.worker = Some(worker);
                self.restart_at = None;
                (self.on_event)(Event::WorkerRestarted { pid });
            }
            Err(error) => {
                let retry_in = self.config.worker_backoff.delay(self.worker_attempt);
                self.restart_at = Some(Instant::now() + retry_in);
                (self.on_event)(Event::WorkerRestartFailed { error: error.to_string(), retry_in });
            }
        }
    }

    /// Close both stdins first so the two graceful exits overlap, then wait out one shared
    /// grace period before killing whatever is left.
    fn stop_all(&mut self) {
        let deadline = Instant::now() + self.config.stop_grace;
        if let Some(worker) = self.worker.as_mut() {
            worker.close_stdin();
        }
        self.server.close_stdin();
        if let Some(mut worker) = self.worker.take() {
            let _ = worker.finish(deadline);
        }
        let _ = self.server.finish(deadline);
        self.worker_pid.store(0, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let backoff = Backoff::default();
        let delays: Vec<u64> = (0..8).map(|n| backoff.delay(n).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(backoff.delay(u32::MAX), backoff.max);
    }

    #[test]
    fn children_get_the_contract_environment() {
        let mut config = Config::new("stage", "data");
        config.extra_env.push(("DJANGO_SETTINGS_MODULE".into(), "x.settings".into()));
        let token = SessionToken::generate().unwrap();
        let env = child_env(&config, &token);
        let get = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        assert_eq!(get("DESKTOP_DJANGO_APP_DATA_DIR"), Some("data".into()));
        assert_eq!(get("DESKTOP_DJANGO_STAGE_DIR"), Some("stage".into()));
        assert_eq!(get("DESKTOP_DJANGO_AUTH_TOKEN"), Some(token.expose().into()));
        assert_eq!(get("DJANGO_SETTINGS_MODULE"), Some("x.settings".into()));
    }

    #[test]
    fn a_missing_stage_names_the_manifest_file() {
        let config =
            Config::new(std::env::temp_dir().join("no-such-stage-here"), std::env::temp_dir());
        let err = Supervisor::start(config, |_| {}).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("runtime-manifest.json") && text.contains("nox -s stage"), "{text}");
    }
}
