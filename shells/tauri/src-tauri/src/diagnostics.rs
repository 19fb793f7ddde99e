//! Help > Export Diagnostics…: the launcher writes one dated zip into `<app data>/diagnostics`
//! (no token, no secret key); the folder then opens so the user can attach it to a request.

use std::thread;

use serde_json::json;
use tauri::{AppHandle, Manager};
use tauri_plugin_dialog::{DialogExt, MessageDialogKind};

use crate::announce::announce;
use crate::backend::Backend;
use crate::commands::open_folder;

/// Off the main thread: the launcher checks the database's integrity, which takes a moment.
pub fn export_in_background(app: &AppHandle) {
    let app = app.clone();
    thread::spawn(move || {
        let backend = app.state::<Backend>();
        let folder = backend.app_data_dir.join("diagnostics");
        let result = std::fs::create_dir_all(&folder)
            .map_err(|err| format!("cannot create {}: {err}", folder.display()))
            .and_then(|()| {
                desktop_django_supervisor::diagnostics::export(
                    &backend.stage_dir,
                    &backend.app_data_dir,
                    &folder,
                )
            });
        match result {
            Ok(zip) => {
                announce("diagnostics", json!({"path": zip}));
                if let Err(err) = open_folder(&app, &folder) {
                    eprintln!("{err}");
                }
            }
            Err(err) => {
                announce("diagnostics-failed", json!({"message": err}));
                app.dialog()
                    .message(format!("The diagnostics could not be written: {err}"))
                    .title("Export Diagnostics")
                    .kind(MessageDialogKind::Error)
                    .blocking_show();
            }
        }
    });
}
