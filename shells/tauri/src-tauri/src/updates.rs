//! In-app updates, only when a release is configured for them: `plugins.updater` in
//! tauri.conf.json must list at least one endpoint and the public key that signed the updates.
//! The updater plugin refuses any payload whose signature does not match that key.

use serde_json::Value;
use tauri::AppHandle;
use tauri_plugin_dialog::{DialogExt, MessageDialogButtons};
use tauri_plugin_updater::UpdaterExt;

pub fn enable_if_configured(app: &AppHandle) -> tauri::Result<()> {
    if !configured(app.config().plugins.0.get("updater")) {
        return Ok(());
    }
    app.plugin(tauri_plugin_updater::Builder::new().build())?;
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        if let Err(err) = check(app).await {
            eprintln!("update check failed: {err}");
        }
    });
    Ok(())
}

fn configured(updater: Option<&Value>) -> bool {
    let Some(updater) = updater else { return false };
    let has_key =
        updater.get("pubkey").and_then(Value::as_str).is_some_and(|k| !k.trim().is_empty());
    let has_endpoint =
        updater.get("endpoints").and_then(Value::as_array).is_some_and(|list| !list.is_empty());
    has_key && has_endpoint
}

async fn check(app: AppHandle) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let Some(update) = app.updater()?.check().await? else { return Ok(()) };
    let question = format!(
        "Flying Stable {} is available (you have {}). Install it and restart now?",
        update.version, update.current_version
    );
    let dialog_app = app.clone();
    let accepted = tauri::async_runtime::spawn_blocking(move || {
        dialog_app
            .dialog()
            .message(question)
            .title("Update available")
            .buttons(MessageDialogButtons::OkCancelCustom(
                "Install and Restart".into(),
                "Later".into(),
            ))
            .blocking_show()
    })
    .await?;
    if !accepted {
        return Ok(());
    }
    update.download_and_install(|_chunk, _total| {}, || {}).await?;
    // The restart skips RunEvent::Exit: stop the backend here so no process is left behind.
    crate::backend::stop(&app);
    app.restart();
}
