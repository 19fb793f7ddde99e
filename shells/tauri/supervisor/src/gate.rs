//! The health gate of a backend update (docs/backend-updates.md): a slot on trial is marked
//! good only once, after its ready line, `/health/` answers 200 to the session token and the
//! task worker has started, within a deadline. Anything less and the shell rolls back.
//!
//! "The worker has started" means more than a live pid: the worker records itself in
//! `<app data>/worker.owner.json` once it has imported the project and holds the worker lock,
//! so a new version whose code fails to import is caught here, not minutes later.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::protocol::Origin;

/// The worker imports Django and the project first; on a loaded machine that takes seconds.
pub const DEADLINE: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(200);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
pub const WORKER_OWNER_FILE: &str = "worker.owner.json";
/// The server's owner record: the process that holds the app data's instance lock.
pub const APP_OWNER_FILE: &str = "app.owner.json";
const TOKEN_HEADER: &str = "X-Desktop-Django-Token";

/// The status code of `GET /health/` with the token, or None when nothing answered.
///
/// Hand-written on a TcpStream rather than with an HTTP client crate: this crate stays at
/// serde, serde_json, getrandom and url so it builds in seconds, and all the gate reads is the
/// status line of one request to our own loopback server.
pub fn health_status(origin: &Origin, token: &str) -> Option<u16> {
    let host = origin.host().trim_start_matches('[').trim_end_matches(']');
    let address = (host, origin.port()).to_socket_addrs().ok()?.next()?;
    let mut stream = TcpStream::connect_timeout(&address, REQUEST_TIMEOUT).ok()?;
    stream.set_read_timeout(Some(REQUEST_TIMEOUT)).ok()?;
    stream.set_write_timeout(Some(REQUEST_TIMEOUT)).ok()?;
    let request = format!(
        "GET /health/ HTTP/1.1\r\nHost: {}:{}\r\n{TOKEN_HEADER}: {token}\r\nConnection: close\r\n\r\n",
        origin.host(),
        origin.port()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut head = [0u8; 64];
    let read = stream.read(&mut head).ok()?;
    // "HTTP/1.1 200 OK": the code is the second word of the status line.
    let line = String::from_utf8_lossy(&head[..read]);
    line.split_whitespace().nth(1)?.parse().ok()
}

/// True when the worker that recorded itself in app data is the one we started.
pub fn worker_has_started(app_data_dir: &Path, worker_pid: Option<u32>) -> bool {
    let Some(pid) = worker_pid else { return false };
    recorded_pid(app_data_dir, WORKER_OWNER_FILE) == Some(u64::from(pid))
}

/// The pid an owner record in app data names (the runtime's instance lock writes
/// `app.owner.json` and `worker.owner.json`), when the record is there and readable.
pub fn recorded_pid(app_data_dir: &Path, record: &str) -> Option<u64> {
    std::fs::read_to_string(app_data_dir.join(record))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|owner| owner["pid"].as_u64())
}

/// Wait until the backend is healthy and its worker started; the error names what was still
/// missing at the deadline, or that the server exited (`server_exited`, set by the caller).
pub fn pass(
    origin: &Origin,
    token: &str,
    app_data_dir: &Path,
    worker_pid: impl Fn() -> Option<u32>,
    deadline: Duration,
    server_exited: &AtomicBool,
) -> Result<(), String> {
    let until = Instant::now() + deadline;
    let mut healthy = false;
    let mut last_status = None;
    loop {
        if server_exited.load(Ordering::SeqCst) {
            return Err("the web server exited during the trial".into());
        }
        if !healthy {
            last_status = health_status(origin, token);
            healthy = last_status == Some(200);
        }
        // Checked every round: a worker that started and then died is not a started worker.
        let worker_started = worker_has_started(app_data_dir, worker_pid());
        if healthy && worker_started {
            return Ok(());
        }
        if Instant::now() >= until {
            let mut missing = Vec::new();
            if !healthy {
                missing.push(match last_status {
                    Some(code) => format!("/health/ answered HTTP {code}"),
                    None => "/health/ answered nothing".to_owned(),
                });
            }
            if !worker_started {
                missing.push("the task worker did not start".to_owned());
            }
            return Err(format!(
                "not healthy within {} s: {}",
                deadline.as_secs(),
                missing.join("; ")
            ));
        }
        thread::sleep(POLL);
    }
}
