//! Process supervision for a desktop shell around a staged Django backend.
//!
//! The Tauri app is a thin layer over this crate, which depends on nothing but serde,
//! serde_json, getrandom and url so it builds and tests in seconds. It implements the shell side of the two contracts in `docs/architecture.md`:
//!
//! - the stage contract: [`manifest`] reads and validates `runtime-manifest.json` exactly like
//!   the reference Python reader;
//! - the launcher contract: [`Supervisor`] spawns `serve` with a fresh [`SessionToken`], reads
//!   its ready line with a timeout, spawns `worker`, restarts the worker with backoff, reports a
//!   dead web server, and on shutdown closes both stdins, waits, then kills the process trees;
//! - backend updates: [`slots`] decides which stage to start (the factory stage or an updated
//!   slot in app data), and [`trial::start`] starts it, puts a slot on trial through the
//!   [`gate`], and rolls back to the previous slot when it fails.

pub mod backend_update;
pub mod diagnostics;
pub mod gate;
pub mod manifest;
pub mod process;
pub mod protocol;
pub mod slots;
pub mod supervisor;
pub mod token;
pub mod trial;

pub use manifest::{ManifestError, Role, RuntimeManifest};
pub use protocol::{LauncherEvent, Navigation, Origin, RolledBack, Url};
pub use supervisor::{logs_dir, Backoff, Config, Event, StartError, Supervisor};
pub use token::SessionToken;
