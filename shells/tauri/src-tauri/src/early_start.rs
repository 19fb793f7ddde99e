//! The backend started at the top of `main()`, before the window toolkit loads. Started from
//! `setup`, serve was spawned only after GTK and WebKit had initialised (the start-up timeline
//! of `nox -s bench -- --only timeline`: serve's interpreter came up a second after the
//! shell's spawn); started here, serve's own start (the interpreter, Django, the database)
//! runs while the toolkit loads. The app does not exist yet, so the supervisor's events are
//! held until `setup` hands the app over, then replayed in order.

use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};
use std::thread;

use desktop_django_supervisor::process::pid_is_alive;
use desktop_django_supervisor::{gate, trial, Event};
use tauri::AppHandle;

use crate::backend::{self, Folders};

/// What a start gives: the running backend, or the sentence that says why it did not start.
pub type Outcome = Result<trial::Started, String>;

/// A start under way on a thread of its own.
pub struct EarlyStart {
    outcome: mpsc::Receiver<Outcome>,
    relay: Arc<Mutex<Relay>>,
}

/// Where the supervisor's events go: held while the app is being built, then to the app.
enum Relay {
    Holding(Vec<Event>),
    To(AppHandle),
}

impl EarlyStart {
    /// Start the slot the rule names, unless another instance of the app serves this app data
    /// now: that launch is handed over by the single-instance plugin and exits, and a serve
    /// started for it would only be refused by the instance lock.
    pub fn begin(folders: &Folders) -> Option<EarlyStart> {
        if another_instance_serves(&folders.app_data_dir) {
            return None;
        }
        let relay = Arc::new(Mutex::new(Relay::Holding(Vec::new())));
        let events = Arc::clone(&relay);
        let config = backend::config(folders);
        let (send, outcome) = mpsc::channel();
        thread::spawn(move || {
            let started =
                trial::start(config, gate::DEADLINE, move |event| pass_on(&events, event))
                    .map_err(|err| err.to_string());
            // Nobody waits for it when the app could not be built; the children then see their
            // stdin close with this process and stop.
            let _ = send.send(started);
        });
        Some(EarlyStart { outcome, relay })
    }

    /// Give the held events to the app, send it the later ones, and wait for the outcome.
    pub fn join(self, app: &AppHandle) -> Outcome {
        {
            let mut relay = self.relay.lock().unwrap_or_else(|p| p.into_inner());
            // Replayed under the lock, so a later event cannot overtake a held one.
            if let Relay::Holding(held) = std::mem::replace(&mut *relay, Relay::To(app.clone())) {
                for event in held {
                    backend::on_event(app, event);
                }
            }
        }
        self.outcome
            .recv()
            .unwrap_or_else(|_| Err("the backend's start-up thread stopped unexpectedly".into()))
    }
}

fn pass_on(relay: &Mutex<Relay>, event: Event) {
    let mut relay = relay.lock().unwrap_or_else(|p| p.into_inner());
    match &mut *relay {
        Relay::Holding(held) => held.push(event),
        Relay::To(app) => backend::on_event(app, event),
    }
}

/// The runtime's owner record of the app data's instance lock names a process that still runs.
fn another_instance_serves(app_data_dir: &Path) -> bool {
    gate::recorded_pid(app_data_dir, gate::APP_OWNER_FILE)
        .and_then(|pid| u32::try_from(pid).ok())
        .is_some_and(pid_is_alive)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A fresh app data folder, removed afterwards.
    struct AppData(PathBuf);

    impl AppData {
        fn with_owner(owner: Option<&str>) -> AppData {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let name = format!(
                "early-start-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::SeqCst)
            );
            let folder = std::env::temp_dir().join(name);
            std::fs::create_dir_all(&folder).unwrap();
            if let Some(owner) = owner {
                std::fs::write(folder.join("app.owner.json"), owner).unwrap();
            }
            AppData(folder)
        }
    }

    impl Drop for AppData {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn serves(owner: Option<&str>) -> bool {
        another_instance_serves(&AppData::with_owner(owner).0)
    }

    #[test]
    fn a_live_owner_is_another_instance() {
        assert!(serves(Some(&format!("{{\"pid\": {}}}", std::process::id()))));
    }

    #[test]
    fn no_record_a_damaged_one_or_a_gone_owner_is_none() {
        assert!(!serves(None));
        assert!(!serves(Some("{not json")));
        assert!(!serves(Some("{\"pid\": \"7\"}")));
        let mut gone = std::process::Command::new("true").spawn().unwrap();
        let pid = gone.id();
        gone.wait().unwrap();
        assert!(!serves(Some(&format!("{{\"pid\": {pid}}}"))));
    }
}
