//! Start the backend from the slot the resolution rule chooses ([`slots`]). A slot on trial
//! must pass the health gate ([`gate`]) and is then confirmed; if it fails in any way (an
//! error line, a crash, no ready line, the gate's deadline), its backend is stopped, the rule
//! is asked again, and the previous slot starts. That slot's serve puts the database back from
//! the trial's backup and says so in its ready line (`rolledBack`), which becomes the one
//! sentence the user sees.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::manifest;
use crate::protocol::RolledBack;
use crate::slots::{self, Mode, Resolution, FACTORY};
use crate::supervisor::{logs_dir, Config, Event, StartError, Supervisor};
use crate::{backend_update, gate};

/// Tells the fallback slot's serve that the trial failed, when the rule cannot know it (the
/// trial's interpreter died before serve counted its start). serve otherwise reads the state
/// itself, so a shell killed mid-trial also ends up back on the previous slot.
pub const ROLLBACK_ENV: &str = "DESKTOP_DJANGO_ROLLBACK";
/// The installed app's own stage, for serve and the backend-update commands of every slot:
/// they apply the rule themselves.
pub const FACTORY_STAGE_ENV: &str = "DESKTOP_DJANGO_FACTORY_STAGE_DIR";

/// A running backend and how it was chosen.
#[derive(Debug)]
pub struct Started {
    pub supervisor: Supervisor,
    /// The rule's answer for the slot that runs now.
    pub resolution: Resolution,
    /// Set when this backend replaced a slot that failed (now, or on an earlier launch).
    pub rolled_back: Option<RolledBack>,
    /// Why the trial failed, when it failed during this start.
    pub trial_failure: Option<String>,
}

type Callback = Arc<dyn Fn(Event) + Send + Sync>;

/// Start the slot the rule chooses; `config.stage_dir` is the factory stage (inside the app).
/// `on_event` receives the running backend's events, as with [`Supervisor::start`]; a trial's
/// events reach it only once the trial passed.
pub fn start<F>(
    mut config: Config,
    gate_deadline: Duration,
    on_event: F,
) -> Result<Started, StartError>
where
    F: Fn(Event) + Send + Sync + 'static,
{
    config.stage_dir = absolute(&config.stage_dir);
    config.app_data_dir = absolute(&config.app_data_dir);
    let factory_version = manifest::load(&config.stage_dir, true)?.app_version().to_owned();
    let on_event: Callback = Arc::new(on_event);
    let choice = slots::choose(&config.app_data_dir, &factory_version);
    if choice.mode != Mode::Trial {
        let supervisor = start_slot(&config, &choice.slot, false, forward(&on_event))?;
        let rolled_back = supervisor.rolled_back().cloned();
        return Ok(Started { supervisor, resolution: choice, rolled_back, trial_failure: None });
    }
    match run_trial(&config, &choice, gate_deadline, &on_event) {
        Ok(supervisor) => {
            Ok(Started { supervisor, resolution: choice, rolled_back: None, trial_failure: None })
        }
        Err(failure) => roll_back(&config, &factory_version, &choice, failure, &on_event),
    }
}

fn forward(on_event: &Callback) -> impl Fn(Event) + Send + 'static {
    let on_event = Arc::clone(on_event);
    move |event| on_event(event)
}

fn start_slot<F>(
    config: &Config,
    slot: &str,
    rollback: bool,
    on_event: F,
) -> Result<Supervisor, StartError>
where
    F: Fn(Event) + Send + 'static,
{
    let mut slot_config = config.clone();
    slot_config.stage_dir = slots::slot_dir(slot, &config.stage_dir, &config.app_data_dir);
    let factory = config.stage_dir.display().to_string();
    slot_config.extra_env.push((FACTORY_STAGE_ENV.into(), factory));
    if rollback {
        slot_config.extra_env.push((ROLLBACK_ENV.into(), "1".into()));
    }
    Supervisor::start(slot_config, on_event)
}

/// Start the trial slot, hold back its events while the gate runs, and confirm it.
fn run_trial(
    config: &Config,
    choice: &Resolution,
    gate_deadline: Duration,
    on_event: &Callback,
) -> Result<Supervisor, String> {
    let gating = Arc::new(AtomicBool::new(true));
    let server_exited = Arc::new(AtomicBool::new(false));
    let events = {
        let (gating, server_exited, on_event) =
            (Arc::clone(&gating), Arc::clone(&server_exited), Arc::clone(on_event));
        move |event: Event| {
            if matches!(event, Event::ServerExited { .. }) {
                server_exited.store(true, Ordering::SeqCst);
                if gating.load(Ordering::SeqCst) {
                    return; // the trial's failure, handled here rather than as a crash
                }
            }
            on_event(event);
        }
    };
    let supervisor =
        start_slot(config, &choice.slot, false, events).map_err(|err| err.to_string())?;
    let passed = gate::pass(
        supervisor.origin(),
        supervisor.token().expose(),
        &config.app_data_dir,
        || supervisor.worker_pid(),
        gate_deadline,
        &server_exited,
    )
    .and_then(|()| {
        let slot_dir = slots::slot_dir(&choice.slot, &config.stage_dir, &config.app_data_dir);
        backend_update::confirm(&slot_dir, &config.stage_dir, &config.app_data_dir)
            .map_err(|err| format!("the slot could not be confirmed: {err}"))
    });
    gating.store(false, Ordering::SeqCst);
    // A server that exited just as the gate passed was held back: it still failed.
    let passed = passed.and_then(|()| match server_exited.load(Ordering::SeqCst) {
        true => Err("the web server exited during the trial".to_owned()),
        false => Ok(()),
    });
    match passed {
        Ok(()) => Ok(supervisor),
        Err(failure) => {
            supervisor.shutdown();
            Err(failure)
        }
    }
}

fn roll_back(
    config: &Config,
    factory_version: &str,
    failed: &Resolution,
    failure: String,
    on_event: &Callback,
) -> Result<Started, StartError> {
    let mut back = slots::choose(&config.app_data_dir, factory_version);
    let told = back.slot == failed.slot;
    if told {
        // The trial's interpreter died before serve could count its start: the rule cannot
        // know the trial ran, so start the fallback slot and say it (docs/backend-updates.md).
        let present = slots::complete_slots(&config.app_data_dir);
        let slot = slots::read_state(&config.app_data_dir)
            .as_deref()
            .and_then(slots::parse_state)
            .map_or_else(
                || FACTORY.to_owned(),
                |s| slots::fallback(&s, &present, factory_version).to_owned(),
            );
        back = Resolution { slot, mode: Mode::Rollback, reason: "trial-failed".into() };
    }
    let supervisor = start_slot(config, &back.slot, told, forward(on_event))?;
    // Normally serve reports it; the shell knows enough to say it anyway.
    let rolled_back = supervisor.rolled_back().cloned().unwrap_or_else(|| RolledBack {
        from: failed.slot.clone(),
        to: supervisor.manifest().app_version().to_owned(),
        log: Some(serve_log(&config.app_data_dir).display().to_string()),
    });
    Ok(Started {
        supervisor,
        resolution: back,
        rolled_back: Some(rolled_back),
        trial_failure: Some(failure),
    })
}

fn serve_log(app_data_dir: &Path) -> PathBuf {
    logs_dir(app_data_dir).join("serve.log")
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    std::env::current_dir().map(|cwd| cwd.join(path)).unwrap_or_else(|_| path.to_path_buf())
}
