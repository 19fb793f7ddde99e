//! One launcher child process: spawn it in a group of its own, stream its stderr, and stop it
//! the way the launcher contract asks (stdin EOF, a grace period, then kill the whole tree).

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::manifest::{self, Launch, ManifestError, Role};

/// How many stderr lines to keep for error messages when a child fails.
const STDERR_TAIL_LINES: usize = 40;
const POLL: Duration = Duration::from_millis(50);

/// The last lines a child wrote on stderr, shared with the thread that reads them.
#[derive(Debug, Clone, Default)]
pub struct OutputTail(Arc<Mutex<VecDeque<String>>>);

impl OutputTail {
    fn push(&self, line: String) {
        let mut lines = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if lines.len() == STDERR_TAIL_LINES {
            lines.pop_front();
        }
        lines.push_back(line);
    }

    pub fn text(&self) -> String {
        let lines = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        lines.iter().map(String::as_str).collect::<Vec<_>>().join("\n")
    }
}

/// A running launcher role. Its stdin stays open for as long as we want it alive: the launcher
/// treats EOF as "the shell is gone", so even a crashed shell cannot leave it behind.
#[derive(Debug)]
pub struct ChildProcess {
    role: Role,
    child: Child,
    stdin: Option<ChildStdin>,
    stderr_tail: OutputTail,
    started: Instant,
}

/// `launch` as a command: its interpreter, arguments and folder, in our own environment
/// without PYTHONHOME and PYTHONPATH. Every process started from the stage starts here.
pub fn launch_command(launch: &Launch) -> Command {
    let mut command = Command::new(&launch.executable);
    command
        .args(&launch.args)
        .current_dir(&launch.stage_dir)
        // A developer's PYTHONHOME or PYTHONPATH would point the bundled interpreter at a
        // foreign standard library; the manifest's `-I` covers most, this covers the rest.
        .env_remove("PYTHONHOME")
        .env_remove("PYTHONPATH");
    command
}

/// Another launcher command of the stage in `stage_dir`: the interpreter and arguments the
/// manifest gives `serve`, without the final `serve` (the caller adds its own), with the
/// contract's folders and never the session token: these commands serve nothing, and must not
/// be able to carry it anywhere. Stdin is closed, so nothing waits on us.
pub fn launcher_command(stage_dir: &Path, app_data_dir: &Path) -> Result<Command, ManifestError> {
    let mut launch = manifest::load(stage_dir, false)?.launch(Role::Serve);
    if launch.args.last().map(String::as_str) != Some(Role::Serve.as_str()) {
        return Err(ManifestError::new("must end with \"serve\"", "launcher.serve"));
    }
    launch.args.pop();
    let mut command = launch_command(&launch);
    command
        .env("DESKTOP_DJANGO_APP_DATA_DIR", app_data_dir)
        .env("DESKTOP_DJANGO_STAGE_DIR", stage_dir)
        .env_remove("DESKTOP_DJANGO_AUTH_TOKEN")
        .stdin(Stdio::null());
    Ok(command)
}

impl ChildProcess {
    /// Start `launch` with `env` added to (and PYTHONHOME/PYTHONPATH removed from) our own
    /// environment. Stdout is handed back for `serve` (the ready line) and discarded otherwise.
    pub fn spawn(
        role: Role,
        launch: &Launch,
        env: &[(OsString, OsString)],
        echo_stderr: bool,
    ) -> io::Result<(Self, Option<ChildStdout>)> {
        let mut command = launch_command(launch);
        command
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(if role == Role::Serve { Stdio::piped() } else { Stdio::null() })
            .stderr(Stdio::piped());
        isolate(&mut command);
        let mut child = command.spawn()?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let stderr_tail = OutputTail::default();
        if let Some(stderr) = child.stderr.take() {
            forward_stderr(role, stderr, stderr_tail.clone(), echo_stderr);
        }
        Ok((Self { role, child, stdin, stderr_tail, started: Instant::now() }, stdout))
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    pub fn stderr_tail(&self) -> String {
        self.stderr_tail.text()
    }

    /// `Some(status)` once the process has exited (and is reaped).
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        self.child.try_wait()
    }

    /// Ask for a graceful stop: the launcher exits on stdin EOF.
    pub fn close_stdin(&mut self) {
        self.stdin.take();
    }

    /// Wait until `deadline` for a graceful exit, then kill the process tree.
    pub fn finish(&mut self, deadline: Instant) -> io::Result<ExitStatus> {
        self.close_stdin();
        loop {
            if let Some(status) = self.child.try_wait()? {
                sweep_group_after_exit(self.pid());
                return Ok(status);
            }
            if Instant::now() >= deadline {
                break;
            }
            thread::sleep(POLL);
        }
        self.kill_tree()
    }

    /// The whole sequence for one process: EOF, `grace`, then kill.
    pub fn stop(&mut self, grace: Duration) -> io::Result<ExitStatus> {
        self.finish(Instant::now() + grace)
    }

    /// Kill the process and everything it started, then reap it.
    pub fn kill_tree(&mut self) -> io::Result<ExitStatus> {
        if let Some(status) = self.child.try_wait()? {
            return Ok(status);
        }
        if !kill_tree_by_pid(self.pid()) {
            // The tree killer is unavailable; at least the process we own must go.
            let _ = self.child.kill();
        }
        self.child.wait()
    }
}

impl Drop for ChildProcess {
    /// Never leave a child behind, even on a panic path.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.stop(Duration::from_millis(500));
        }
    }
}

fn forward_stderr(role: Role, stderr: impl Read + Send + 'static, tail: OutputTail, echo: bool) {
    thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if echo {
                eprintln!("[{role}] {line}");
            }
            tail.push(line);
        }
    });
}

/// Put the child in a process group of its own so the whole tree can be signalled at once,
/// and (Windows) give it no console window of its own.
#[cfg(unix)]
fn isolate(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    command.process_group(0);
}

#[cfg(windows)]
fn isolate(command: &mut Command) {
    use std::os::windows::process::CommandExt;
    const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
    const CREATE_NO_WINDOW: u32 = 0x0800_0000;
    command.creation_flags(CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW);
}

#[cfg(not(any(unix, windows)))]
fn isolate(_command: &mut Command) {}

/// Kill the group led by `pid` (Unix) or the tree rooted at `pid` (Windows). The group id is
/// the leader's pid because we spawned it with `process_group(0)`; this crate has no libc
/// binding, so the system's `kill` does the signalling.
#[cfg(unix)]
fn kill_tree_by_pid(pid: u32) -> bool {
    run_quietly(Command::new("kill").args(["-s", "KILL", "--", &format!("-{pid}")]))
}

#[cfg(windows)]
fn kill_tree_by_pid(pid: u32) -> bool {
    run_quietly(Command::new("taskkill").args(["/PID", &pid.to_string(), "/T", "/F"]))
}

#[cfg(not(any(unix, windows)))]
fn kill_tree_by_pid(_pid: u32) -> bool {
    false
}

/// The leader exited on its own; anything it left in its group goes too. A group id cannot be
/// reused while a member is alive, so this can only reach our own stragglers (or nothing).
#[cfg(unix)]
fn sweep_group_after_exit(pid: u32) {
    let _ = run_quietly(Command::new("kill").args(["-s", "KILL", "--", &format!("-{pid}")]));
}

/// Windows finds a tree through the live parent, which is gone by now: nothing to sweep.
#[cfg(not(unix))]
fn sweep_group_after_exit(_pid: u32) {}

fn run_quietly(command: &mut Command) -> bool {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|status| status.success())
        .unwrap_or(false)
}

/// True while a process with this pid exists and has not exited (tests and diagnostics).
#[cfg(unix)]
pub fn pid_is_alive(pid: u32) -> bool {
    run_quietly(Command::new("kill").args(["-s", "0", &pid.to_string()])) && !is_zombie(pid)
}

/// An exited process whose parent has not reaped it yet still answers `kill -0`. A killed
/// grandchild is reparented to init, which may take its time to reap it.
#[cfg(target_os = "linux")]
fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| stat.rsplit_once(')').map(|(_, rest)| rest.trim_start().starts_with('Z')))
        .unwrap_or(false)
}

#[cfg(all(unix, not(target_os = "linux")))]
fn is_zombie(_pid: u32) -> bool {
    false
}

#[cfg(windows)]
pub fn pid_is_alive(pid: u32) -> bool {
    Command::new("tasklist")
        .args(["/FI", &format!("PID eq {pid}"), "/NH", "/FO", "CSV"])
        .stderr(Stdio::null())
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).contains(&format!("\"{pid}\"")))
        .unwrap_or(false)
}
