//! The app window's menu: the troubleshooting commands under Help (the two folders and the
//! support zip), a backend update from a file, and the update check when a release is
//! configured for updates.

use tauri::menu::{Menu, MenuBuilder, SubmenuBuilder, HELP_SUBMENU_ID};
use tauri::{AppHandle, Manager, Wry};

use crate::backend::{self, Backend};
use crate::commands::open_folder;
use crate::{diagnostics, updates};

const OPEN_APP_DATA: &str = "open-app-data-folder";
const OPEN_LOGS: &str = "open-logs-folder";
const EXPORT_DIAGNOSTICS: &str = "export-diagnostics";
const CHECK_FOR_UPDATES: &str = "check-for-updates";
const INSTALL_BACKEND_UPDATE: &str = "install-backend-update";

/// Whether Help offers the update check (managed state, set once at setup).
pub struct UpdatesEnabled(pub bool);

pub fn build(app: &AppHandle) -> tauri::Result<Menu<Wry>> {
    let menu = MenuBuilder::new(app);
    #[cfg(target_os = "macos")]
    let menu = menu.item(&app_submenu(app)?);
    let file = SubmenuBuilder::new(app, "File").close_window().separator().quit().build()?;
    // Without these, copy and paste shortcuts do nothing in a macOS webview.
    let edit = SubmenuBuilder::new(app, "Edit")
        .undo()
        .redo()
        .separator()
        .cut()
        .copy()
        .paste()
        .select_all()
        .build()?;
    // The macOS help menu is recognised by this id.
    let mut help = SubmenuBuilder::with_id(app, HELP_SUBMENU_ID, "Help")
        .text(OPEN_APP_DATA, "Open App Data Folder")
        .text(OPEN_LOGS, "Open Logs Folder")
        .text(EXPORT_DIAGNOSTICS, "Export Diagnostics…")
        // A signed backend layer from a file (a USB stick): docs/backend-updates.md.
        .separator()
        .text(INSTALL_BACKEND_UPDATE, "Install Backend Update…");
    if app.state::<UpdatesEnabled>().0 {
        help = help.separator().text(CHECK_FOR_UPDATES, "Check for Updates…");
    }
    let help = help.build()?;
    menu.item(&file).item(&edit).item(&help).build()
}

#[cfg(target_os = "macos")]
fn app_submenu(app: &AppHandle) -> tauri::Result<tauri::menu::Submenu<Wry>> {
    SubmenuBuilder::new(app, app.package_info().name.clone())
        .about(None)
        .separator()
        .hide()
        .hide_others()
        .show_all()
        .separator()
        .quit()
        .build()
}

/// Menu events are app-wide; only our own items need handling (predefined items act alone).
pub fn install(app: &AppHandle, updates_enabled: bool) {
    app.manage(UpdatesEnabled(updates_enabled));
    app.on_menu_event(|app, event| {
        let backend = app.state::<Backend>();
        let folder = match event.id().0.as_str() {
            OPEN_APP_DATA => backend.app_data_dir.clone(),
            OPEN_LOGS => backend.logs_dir(),
            CHECK_FOR_UPDATES => return updates::check_in_background(app, updates::Trigger::User),
            EXPORT_DIAGNOSTICS => return diagnostics::export_in_background(app),
            INSTALL_BACKEND_UPDATE => return backend::install_update_in_background(app, None),
            _ => return,
        };
        if let Err(err) = open_folder(app, &folder) {
            eprintln!("{err}");
        }
    });
}
