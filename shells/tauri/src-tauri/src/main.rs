//! Flying Stable in a Tauri v2 shell: the supervisor starts the staged backend on a background
//! thread before anything else (early_start.rs), a splash window from bundled HTML shows while
//! it starts, then the app window on the backend origin.

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod announce;
mod backend;
mod commands;
mod diagnostics;
mod early_start;
mod install_argument;
mod menu;
mod smoke;
mod updates;
mod windows;

use std::cell::Cell;
use std::path::Path;
use std::rc::Rc;

use tauri::{RunEvent, WindowEvent};

fn main() {
    let context = tauri::generate_context!();
    let folders = backend::Folders::resolve(&context);
    let early = folders.as_ref().ok().and_then(early_start::EarlyStart::begin);
    let app = tauri::Builder::default()
        // First, so a second launch hands over to the running app before anything else starts.
        // A later launch with --install-backend-update FILE hands its file over here too.
        .plugin(tauri_plugin_single_instance::init(|app, argv, cwd| {
            windows::focus_existing(app);
            if let Some(layer) = install_argument::layer_in(argv, Path::new(&cwd)) {
                backend::install_update_in_background(app, Some(layer));
            }
        }))
        .plugin(tauri_plugin_dialog::init())
        // Its injected click handler calls IPC from page scripts; the app window has no IPC, so
        // external links are handled natively instead (see windows.rs).
        .plugin(tauri_plugin_opener::Builder::new().open_js_links_on_click(false).build())
        .invoke_handler(tauri::generate_handler![
            commands::startup_status,
            commands::open_app_data_folder,
            commands::open_logs_folder
        ])
        .setup(|app| {
            let handle = app.handle();
            smoke::install_if_requested(handle);
            backend::install(handle, folders?);
            let updates_enabled = updates::enable_if_configured(handle)?;
            menu::install(handle, updates_enabled);
            // Tried again once the backend serves (windows::show_backend), and reported there.
            if let Err(err) = windows::prepare_main(handle) {
                eprintln!("the app window could not be prepared yet: {err}");
            }
            backend::start_in_background(handle.clone(), early);
            Ok(())
        })
        .build(context)
        .expect("the Tauri app could not be built");

    // Every way out (last window closed, File > Quit, an update's restart requested off the
    // main thread) passes RunEvent::Exit, where the backend is stopped.
    let all_stopped = Rc::new(Cell::new(true));
    let stopped = Rc::clone(&all_stopped);
    let code = app.run_return(move |app, event| match event {
        RunEvent::Exit => stopped.set(backend::stop(app)),
        RunEvent::WindowEvent { label, event: WindowEvent::Destroyed, .. }
            if label == windows::SPLASH =>
        {
            windows::splash_closed(app)
        }
        _ => {}
    });
    // A process left behind fails the exit (the smoke test depends on it).
    std::process::exit(if code == 0 && !all_stopped.get() { 1 } else { code });
}
