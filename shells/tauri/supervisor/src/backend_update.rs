//! The launcher's `backend-update` commands (docs/backend-updates.md), run with a slot's own
//! interpreter like `serve`: `apply FILE` verifies a signed layer and builds the new slot,
//! `confirm` marks the slot on trial good. The data logic is all the Python side's; the shell
//! runs the command and reads its one JSON line.

use std::path::Path;

use serde_json::Value;

use crate::process;
use crate::trial::FACTORY_STAGE_ENV;

/// The last JSON object a command printed, if any.
fn last_json_line(stdout: &str) -> Option<Value> {
    stdout
        .lines()
        .rev()
        .filter(|line| line.trim_start().starts_with('{'))
        .find_map(|line| serde_json::from_str::<Value>(line).ok().filter(Value::is_object))
}

fn run(
    stage_dir: &Path,
    factory_dir: &Path,
    app_data_dir: &Path,
    args: &[&std::ffi::OsStr],
) -> Result<Value, String> {
    let mut command =
        process::launcher_command(stage_dir, app_data_dir).map_err(|err| err.to_string())?;
    command.arg("backend-update").args(args).env(FACTORY_STAGE_ENV, factory_dir);
    let output = command.output().map_err(|err| format!("cannot run the launcher: {err}"))?;
    let result = last_json_line(&String::from_utf8_lossy(&output.stdout));
    if let Some(result) = &result {
        if result["event"] == "error" {
            let message = result["message"].as_str().unwrap_or("the backend update failed");
            return Err(message.to_owned());
        }
    }
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.trim().lines().last().unwrap_or_default().to_owned();
        return Err(if last.is_empty() {
            format!("the launcher exited ({})", output.status)
        } else {
            last
        });
    }
    Ok(result.unwrap_or(Value::Null))
}

/// Apply the layer in `file` on top of the slot in `stage_dir` (the one serving now;
/// `factory_dir` is the stage inside the app); returns the new slot's version, which the next
/// start puts on trial.
pub fn apply(
    stage_dir: &Path,
    factory_dir: &Path,
    app_data_dir: &Path,
    file: &Path,
) -> Result<String, String> {
    let args = ["apply".as_ref(), file.as_os_str()];
    let result = run(stage_dir, factory_dir, app_data_dir, &args)?;
    match (result["event"].as_str(), result["version"].as_str()) {
        (Some("update-applied"), Some(version)) => Ok(version.to_owned()),
        _ => Err(format!("the apply command did not report the new version: {result}")),
    }
}

/// Mark the slot on trial good; `stage_dir` is that slot.
pub fn confirm(stage_dir: &Path, factory_dir: &Path, app_data_dir: &Path) -> Result<(), String> {
    run(stage_dir, factory_dir, app_data_dir, &["confirm".as_ref()]).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_json_object_is_the_result() {
        let out = "warming up\n{\"event\": \"progress\"}\n{\"event\": \"update-applied\", \"version\": \"0.2.0\"}\n";
        assert_eq!(last_json_line(out).unwrap()["version"], "0.2.0");
        assert_eq!(last_json_line("no json here\n[1, 2]\n"), None);
    }
}
