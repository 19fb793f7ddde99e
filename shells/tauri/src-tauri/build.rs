fn main() {
    // Listing the app's commands generates `allow-<command>` permissions for them and, more
    // importantly, denies every command to any window whose capability does not allow it.
    let commands = &["startup_status", "open_app_data_folder", "open_logs_folder"];
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(commands));
    tauri_build::try_build(attributes).expect("tauri-build failed");
}
