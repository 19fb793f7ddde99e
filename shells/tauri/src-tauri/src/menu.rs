//! The app window's menu, with the two troubleshooting commands under Help.

use tauri::menu::{Menu, MenuBuilder, SubmenuBuilder, HELP_SUBMENU_ID};
use tauri::{AppHandle, Manager, Wry};

use crate::backend::Backend;
use crate::commands::open_folder;

const OPEN_APP_DATA: &str = "open-app-data-folder";
const OPEN_LOGS: &str = "open-logs-folder";

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
    let help = SubmenuBuilder::with_id(app, HELP_SUBMENU_ID, "Help")
        .text(OPEN_APP_DATA, "Open App Data Folder")
        .text(OPEN_LOGS, "Open Logs Folder")
        .build()?;
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

/// Menu events are app-wide; only our two items need handling (predefined items act alone).
pub fn install(app: &AppHandle) -> tauri::Result<()> {
    app.on_menu_event(|app, event| {
        let backend = app.state::<Backend>();
        let folder = match event.id().0.as_str() {
            OPEN_APP_DATA => backend.app_data_dir.clone(),
            OPEN_LOGS => backend.logs_dir(),
            _ => return,
        };
        if let Err(err) = open_folder(app, &folder) {
            eprintln!("{err}");
        }
    });
    Ok(())
}
