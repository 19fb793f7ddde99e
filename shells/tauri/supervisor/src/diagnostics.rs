//! Help > Export Diagnostics…: the launcher's own `diagnostics PATH` command, which writes one
//! zip for a support request (logs, manifest, versions, integrity check, app-data listing;
//! never the session token or the secret key). It runs with the interpreter, arguments and
//! folder the manifest gives `serve` (started the way every stage process is), with `serve`
//! swapped for `diagnostics PATH`.

use std::path::Path;
use std::process::Command;

use crate::manifest::ManifestError;
use crate::process;

/// The command, ready to run; `destination` is a zip file or a folder for a dated one.
pub fn command(
    stage_dir: &Path,
    app_data_dir: &Path,
    destination: &Path,
) -> Result<Command, ManifestError> {
    let mut command = process::launcher_command(stage_dir, app_data_dir)?;
    command.arg("diagnostics").arg(destination);
    Ok(command)
}

/// Run it and return the zip's path from the launcher's JSON line, or its error text.
pub fn export(stage_dir: &Path, app_data_dir: &Path, destination: &Path) -> Result<String, String> {
    let output = command(stage_dir, app_data_dir, destination)
        .map_err(|err| err.to_string())?
        .output()
        .map_err(|err| format!("cannot run the launcher: {err}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).trim().to_string());
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or("{}");
    let written = serde_json::from_str::<serde_json::Value>(line)
        .ok()
        .and_then(|value| value["path"].as_str().map(str::to_string));
    Ok(written.unwrap_or_else(|| destination.display().to_string()))
}
