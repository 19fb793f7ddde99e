//! The app's only IPC commands, allowed to the splash window alone (capabilities/splash.json).

use std::path::Path;

use tauri::{AppHandle, Manager, State};
use tauri_plugin_opener::OpenerExt;

use crate::backend::{Backend, StartupStatus};

/// The splash asks once on load, then listens for `startup-status` events.
#[tauri::command]
pub fn startup_status(backend: State<'_, Backend>) -> StartupStatus {
    backend.status()
}

#[tauri::command]
pub fn open_app_data_folder(app: AppHandle) -> Result<(), String> {
    open_folder(&app, &app.state::<Backend>().app_data_dir)
}

#[tauri::command]
pub fn open_logs_folder(app: AppHandle) -> Result<(), String> {
    open_folder(&app, &app.state::<Backend>().logs_dir())
}

/// Open a folder in the OS file manager, creating it first: a failed first start may not have
/// written anything yet, and an error for a missing folder would help no one.
pub fn open_folder(app: &AppHandle, folder: &Path) -> Result<(), String> {
    std::fs::create_dir_all(folder)
        .map_err(|err| format!("cannot create {}: {err}", folder.display()))?;
    app.opener()
        .open_path(folder.to_string_lossy(), None::<&str>)
        .map_err(|err| format!("cannot open {}: {err}", folder.display()))
}
