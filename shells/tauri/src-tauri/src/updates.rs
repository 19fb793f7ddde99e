//! In-app updates, only when a release is configured for them: `plugins.updater` in
//! tauri.conf.json must list at least one endpoint and the public key that signed the updates
//! (the plugin refuses any payload whose signature does not match it, and any version that is
//! not newer). Even then nothing is asked of the network unless the user chooses Help > Check
//! for Updates, or the release opts into a check at start with
//! `plugins.desktop-django.checkForUpdatesOnStart: true`.

use serde_json::{json, Value};
use tauri::AppHandle;
use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};
use tauri_plugin_updater::UpdaterExt;

use crate::announce::announce;

/// Our own settings, beside the plugins' in tauri.conf.json (a `--config` merge can set them).
const SETTINGS: &str = "desktop-django";

/// Who started a check: only a check the user asked for reports "no update".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Start,
    User,
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Register the updater plugin when a release is configured for it. Returns whether it was,
/// so the menu offers the check only then.
pub fn enable_if_configured(app: &AppHandle) -> tauri::Result<bool> {
    let plugins = &app.config().plugins.0;
    if !configured(plugins.get("updater")) {
        return Ok(false);
    }
    app.plugin(tauri_plugin_updater::Builder::new().build())?;
    if check_on_start(plugins.get(SETTINGS)) {
        check_in_background(app, Trigger::Start);
    }
    Ok(true)
}

pub fn check_in_background(app: &AppHandle, trigger: Trigger) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        if let Err(err) = check(&app, trigger).await {
            announce("update-failed", json!({"message": err.to_string()}));
            if trigger == Trigger::User {
                tell(&app, MessageDialogKind::Error, format!("The update failed: {err}")).await;
            }
        }
    });
}

fn configured(updater: Option<&Value>) -> bool {
    let Some(updater) = updater else { return false };
    let has_key =
        updater.get("pubkey").and_then(Value::as_str).is_some_and(|k| !k.trim().is_empty());
    let has_endpoint =
        updater.get("endpoints").and_then(Value::as_array).is_some_and(|list| !list.is_empty());
    has_key && has_endpoint
}

fn check_on_start(settings: Option<&Value>) -> bool {
    settings.and_then(|s| s.get("checkForUpdatesOnStart")).and_then(Value::as_bool) == Some(true)
}

async fn check(app: &AppHandle, trigger: Trigger) -> Result<(), Failure> {
    let name = app.package_info().name.clone();
    let Some(update) = app.updater()?.check().await? else {
        announce("update-none", json!({}));
        if trigger == Trigger::User {
            let text = format!("{name} {} is the latest version.", app.package_info().version);
            tell(app, MessageDialogKind::Info, text).await;
        }
        return Ok(());
    };
    announce(
        "update-available",
        json!({"version": update.version, "currentVersion": update.current_version}),
    );
    let question = format!(
        "{name} {} is available (you have {}). Install it and restart now?",
        update.version, update.current_version
    );
    if !ask(app, question).await? {
        return Ok(());
    }
    // Download and verify the signature first, while the app still works; nothing is
    // installed unless the bytes match the configured key.
    let bytes = update.download(|_chunk, _total| {}, || {}).await?;
    // Then stop the backend, before the installer runs: on Windows the plugin exits the app
    // once the installer starts, and an installer must not replace files a running backend
    // holds open.
    crate::backend::stop(app);
    announce("update-installing", json!({"version": update.version}));
    if let Err(err) = update.install(bytes) {
        // The backend is down; a restart brings this version back up with its data as it was.
        tell(app, MessageDialogKind::Error, format!("The update could not be installed: {err}"))
            .await;
        app.request_restart();
        return Ok(());
    }
    // Called off the main thread, a restart goes through RunEvent::Exit like any quit, so the
    // exit path runs too (and finds the backend already stopped).
    app.request_restart();
    Ok(())
}

/// A native dialog blocks its thread: run it on the blocking pool, not the async runtime.
async fn ask(app: &AppHandle, question: String) -> Result<bool, Failure> {
    let app = app.clone();
    let accepted = tauri::async_runtime::spawn_blocking(move || {
        app.dialog()
            .message(question)
            .title("Update available")
            .buttons(MessageDialogButtons::OkCancelCustom(
                "Install and Restart".into(),
                "Later".into(),
            ))
            .blocking_show()
    })
    .await?;
    Ok(accepted)
}

async fn tell(app: &AppHandle, kind: MessageDialogKind, text: String) {
    let app = app.clone();
    let _ = tauri::async_runtime::spawn_blocking(move || {
        app.dialog().message(text).title("Updates").kind(kind).blocking_show()
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_updater_needs_both_a_key_and_an_endpoint() {
        assert!(!configured(None));
        assert!(!configured(Some(&json!({"pubkey": "", "endpoints": []}))));
        assert!(!configured(Some(&json!({"pubkey": "key", "endpoints": []}))));
        assert!(!configured(Some(&json!({"pubkey": "  ", "endpoints": ["https://x/"]}))));
        assert!(configured(Some(&json!({"pubkey": "key", "endpoints": ["https://x/"]}))));
    }

    #[test]
    fn nothing_is_checked_at_start_unless_opted_in() {
        assert!(!check_on_start(None));
        assert!(!check_on_start(Some(&json!({}))));
        assert!(!check_on_start(Some(&json!({"checkForUpdatesOnStart": "yes"}))));
        assert!(check_on_start(Some(&json!({"checkForUpdatesOnStart": true}))));
    }
}
