//! Build script: writes the splash the app bundles, then runs tauri-build.
//!
//! The splash is the backend's own splash page (one source for every shell, as the Electron
//! shell's `scripts/prepare-assets.js` does it) plus what only this shell adds: the failure
//! view from `ui/`. Tauri hashes the page's inline style into the CSP when it embeds it.

use std::fs;
use std::path::{Path, PathBuf};

/// Listing the app's commands generates `allow-<command>` permissions for them and, more
/// importantly, denies every command to any window whose capability does not allow it.
const COMMANDS: &[&str] = &["startup_status", "open_app_data_folder", "open_logs_folder"];

/// Copied from `ui/` as they are: the splash's style and script, and the page the hidden app
/// window holds while the backend starts (windows.rs).
const UI_ASSETS: [&str; 3] = ["splash.css", "splash.js", "waiting.html"];

/// `build.frontendDist` in tauri.conf.json, relative to the shell folder.
const GENERATED_UI: &str = "generated/ui";

fn main() {
    let crate_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let shell_dir = crate_dir.parent().expect("src-tauri sits in the shell folder");
    let backend_splash = shell_dir.join("../../backend/src/flying_stable/pages/splash.html");
    write_splash(&backend_splash, &shell_dir.join("ui"), &shell_dir.join(GENERATED_UI));

    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    tauri_build::try_build(attributes).expect("tauri-build failed");
}

fn write_splash(backend_splash: &Path, shell_ui: &Path, out_dir: &Path) {
    let page = read(backend_splash);
    let failure_view = read(&shell_ui.join("failure.html"));
    let assets = "<link rel=\"stylesheet\" href=\"splash.css\">\n\
                  <script src=\"splash.js\" defer></script>\n";
    let page = insert_before(&page, "</head>", assets, backend_splash);
    let page = insert_before(&page, "</body>", &failure_view, backend_splash);
    fs::create_dir_all(out_dir)
        .unwrap_or_else(|err| panic!("cannot create {}: {err}", out_dir.display()));
    write(&out_dir.join("splash.html"), &page);
    for asset in UI_ASSETS {
        write(&out_dir.join(asset), &read(&shell_ui.join(asset)));
    }
    for source in [backend_splash, &shell_ui.join("failure.html")] {
        println!("cargo:rerun-if-changed={}", source.display());
    }
    for asset in UI_ASSETS {
        println!("cargo:rerun-if-changed={}", shell_ui.join(asset).display());
    }
}

/// The backend page must keep the anchor this script inserts at; say which file lost it.
fn insert_before(page: &str, anchor: &str, text: &str, source: &Path) -> String {
    let at = page.rfind(anchor).unwrap_or_else(|| {
        panic!("{} has no {anchor}: the Tauri splash is built from it", source.display())
    });
    format!("{}{text}{}", &page[..at], &page[at..])
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()))
}

/// Rewrite only on change, so an unchanged splash does not make cargo rebuild the app.
fn write(path: &Path, text: &str) {
    if fs::read_to_string(path).is_ok_and(|old| old == text) {
        return;
    }
    fs::write(path, text).unwrap_or_else(|err| panic!("cannot write {}: {err}", path.display()));
}
