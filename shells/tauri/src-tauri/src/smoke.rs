//! `DESKTOP_DJANGO_SMOKE_TEST=1`: start, load the main page in the real window, stop everything
//! and exit 0; exit 1 if any of that fails or the page has not loaded in time. The same
//! contract as the Positron shell, so CI can prove an installed app works end to end.

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use serde_json::json;
use tauri::{AppHandle, Manager};

use crate::announce::announce;

pub const ENV: &str = "DESKTOP_DJANGO_SMOKE_TEST";
/// A first start migrates and seeds the database; under Xvfb on a slow CI machine that and the
/// first page take well under this.
const TIMEOUT: Duration = Duration::from_secs(90);

/// Managed state, present only in smoke mode.
pub struct SmokeTest {
    passed: AtomicBool,
}

pub fn install_if_requested(app: &AppHandle) {
    if std::env::var(ENV).as_deref() != Ok("1") {
        return;
    }
    app.manage(SmokeTest { passed: AtomicBool::new(false) });
    let app = app.clone();
    thread::spawn(move || {
        thread::sleep(TIMEOUT);
        if !app.state::<SmokeTest>().passed.load(Ordering::SeqCst) {
            fail(&app, "the main page did not load in time");
        }
    });
}

pub fn active(app: &AppHandle) -> bool {
    app.try_state::<SmokeTest>().is_some()
}

/// The main page has loaded: the test passed; stopping is all that is left.
pub fn page_loaded(app: &AppHandle) {
    let Some(smoke) = app.try_state::<SmokeTest>() else { return };
    if !smoke.passed.swap(true, Ordering::SeqCst) {
        announce("smoke-test", json!({"passed": true}));
        app.exit(0);
    }
}

pub fn fail(app: &AppHandle, reason: &str) {
    announce("smoke-test", json!({"passed": false, "reason": reason}));
    app.exit(1);
}
