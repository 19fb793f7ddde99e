//! One JSON line per milestone on stdout, so tests and scripts can follow the app without
//! scraping logs: the same events as the Positron shell (`backend-ready`, `page-loaded`,
//! `smoke-test`, `stopped`) plus the worker's restarts. Never carries the session token.

use std::io::Write;

use serde_json::{Map, Value};

pub fn announce(event: &str, details: Value) {
    let mut line = Map::new();
    line.insert("event".into(), event.into());
    if let Value::Object(details) = details {
        line.extend(details);
    }
    let mut stdout = std::io::stdout().lock();
    // A closed stdout (the launcher of the app went away) must not take the app down with it.
    let _ = writeln!(stdout, "{}", Value::Object(line));
    let _ = stdout.flush();
}
