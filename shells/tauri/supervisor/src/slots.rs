//! Which stage to start: the factory stage inside the app, or an updated slot in
//! `<app data>/stages/<version>/` (docs/backend-updates.md).
//!
//! The rule is the one in `desktop_django/slots.py` (Python) and the Electron shell's
//! `backend-slots.js`; all three run the shared vectors in `tests/contracts/stage-slots.json`,
//! so no two shells read the same state differently. The shell only reads here: the state file
//! is written by the Python side (apply, serve, confirm), atomically.

use std::cmp::Ordering;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The slot name of the read-only stage inside the installed app.
pub const FACTORY: &str = "factory";
pub const STAGES_DIR: &str = "stages";
pub const STATE_FILE: &str = "state.json";
/// Written last, after the whole slot was re-hashed: without it a folder is not a slot.
pub const COMPLETE_MARKER: &str = ".slot-complete";
const STATE_SCHEMA_VERSION: u64 = 1;

/// How the chosen slot starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A good slot (or the factory stage): start it as usual.
    Normal,
    /// An applied slot that has not proven itself: start it, then the health gate decides.
    Trial,
    /// A trial started and was never confirmed: start the previous slot, whose serve puts the
    /// database back from the trial's backup.
    Rollback,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Normal => "normal",
            Mode::Trial => "trial",
            Mode::Rollback => "rollback",
        }
    }
}

/// The rule's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// [`FACTORY`] or a version.
    pub slot: String,
    pub mode: Mode,
    pub reason: String,
}

/// The state file as far as the rule reads it (`parse_state` checks every field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub active: String,
    pub status: String,
    pub previous: String,
    pub attempts: u64,
    pub bad: Vec<String>,
}

/// `MAJOR.MINOR.PATCH` and an optional suffix (`0.2.0rc1`): ASCII digits, then letters,
/// digits and `.+-`, so a version is always a safe folder name.
fn version(text: &str) -> Option<([u64; 3], &str)> {
    let mut rest = text;
    let mut numbers = [0u64; 3];
    for (index, number) in numbers.iter_mut().enumerate() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        *number = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        if index < 2 {
            rest = rest.strip_prefix('.')?;
        }
    }
    let suffix_ok = rest.bytes().all(|b| b.is_ascii_alphanumeric() || b"._+-".contains(&b));
    suffix_ok.then_some((numbers, rest))
}

pub fn is_version(text: &str) -> bool {
    version(text).is_some()
}

/// Numerically by major.minor.patch; a version with a suffix (`1.2.0rc1`) comes before the
/// same version without one; suffixes compare as text. None when either is not a version.
pub fn compare_versions(a: &str, b: &str) -> Option<Ordering> {
    let key = |text| version(text).map(|(numbers, suffix)| (numbers, suffix.is_empty(), suffix));
    Some(key(a)?.cmp(&key(b)?))
}

fn is_slot_name(value: &Value) -> bool {
    value.as_str().is_some_and(|text| text == FACTORY || is_version(text))
}

/// A count: a non-negative JSON integer (never `true`, `1.5` or `"1"`).
fn count(value: &Value) -> Option<u64> {
    value.as_u64()
}

fn is_file_name(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"._+-".contains(&b))
        && !text.bytes().all(|b| b == b'.')
}

/// The state file's content, or None when it is not one the rule can trust (any field wrong).
pub fn parse_state(text: &str) -> Option<State> {
    let state: Value = serde_json::from_str(text).ok()?;
    let object = state.as_object()?;
    let field = |key: &str| object.get(key).unwrap_or(&Value::Null);
    let backup_ok = match field("trialBackup") {
        Value::Null => true,
        Value::String(name) => name.is_empty() || is_file_name(name),
        _ => false,
    };
    let highest_ok = match field("highestGood") {
        Value::Null => true,
        Value::String(version) => is_version(version),
        _ => false,
    };
    let bad = field("bad").as_array()?;
    let valid = field("schemaVersion").as_u64() == Some(STATE_SCHEMA_VERSION)
        && is_slot_name(field("active"))
        && is_slot_name(field("previous"))
        && matches!(field("status").as_str(), Some("trial" | "good"))
        && count(field("attempts")).is_some()
        && backup_ok
        && highest_ok
        && bad.iter().all(|item| item.as_str().is_some_and(is_version));
    valid.then(|| State {
        active: field("active").as_str().unwrap_or_default().to_owned(),
        status: field("status").as_str().unwrap_or_default().to_owned(),
        previous: field("previous").as_str().unwrap_or_default().to_owned(),
        attempts: count(field("attempts")).unwrap_or_default(),
        bad: bad.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
    })
}

/// Where to go when the active slot cannot be used: the previous slot if it is complete, not
/// bad and newer than the factory, else the factory.
pub fn fallback<'a>(state: &'a State, slots: &[String], factory_version: &str) -> &'a str {
    let previous = state.previous.as_str();
    let usable = previous != FACTORY
        && is_version(previous)
        && slots.iter().any(|s| s == previous)
        && !state.bad.iter().any(|s| s == previous)
        && compare_versions(previous, factory_version) == Some(Ordering::Greater);
    if usable {
        previous
    } else {
        FACTORY
    }
}

/// The resolution rule, a pure function: `state` is the state file's text (None when there
/// is none), `slots` the folder names in `<app data>/stages/` that hold the complete marker,
/// `factory_version` the version of the stage inside the app.
pub fn resolve(state: Option<&str>, slots: &[String], factory_version: &str) -> Resolution {
    let answer = |slot: &str, mode: Mode, reason: &str| Resolution {
        slot: slot.to_owned(),
        mode,
        reason: reason.to_owned(),
    };
    let Some(text) = state else {
        return answer(FACTORY, Mode::Normal, "no-state");
    };
    let Some(state) = parse_state(text) else {
        return answer(FACTORY, Mode::Normal, "invalid-state");
    };
    let complete = |slot: &str| is_version(slot) && slots.iter().any(|s| s == slot);
    let is_bad = |slot: &str| state.bad.iter().any(|s| s == slot);
    let newer = |a: &str, b: &str| compare_versions(a, b) == Some(Ordering::Greater);
    let fallback = fallback(&state, slots, factory_version);

    let active = state.active.as_str();
    if active == FACTORY {
        return answer(FACTORY, Mode::Normal, "factory-active");
    }
    if state.status == "trial" && state.attempts >= 1 {
        // A trial started and was never confirmed: it crashed, was killed or failed.
        return answer(fallback, Mode::Rollback, "trial-unconfirmed");
    }
    if is_bad(active) {
        return answer(fallback, Mode::Normal, "active-bad");
    }
    if !complete(active) {
        return answer(fallback, Mode::Normal, "active-missing");
    }
    if !newer(active, factory_version) {
        // The user installed an installer at least as new as the updated backend.
        return answer(FACTORY, Mode::Normal, "factory-newer");
    }
    if state.status == "good" {
        return answer(active, Mode::Normal, "good");
    }
    answer(active, Mode::Trial, "trial")
}

/// `<app data>/stages`
pub fn stages_dir(app_data_dir: &Path) -> PathBuf {
    app_data_dir.join(STAGES_DIR)
}

/// The versions under `<app data>/stages/` whose folder is complete.
pub fn complete_slots(app_data_dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(stages_dir(app_data_dir)) else { return Vec::new() };
    let mut found: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| is_version(name))
        .filter(|name| stages_dir(app_data_dir).join(name).join(COMPLETE_MARKER).is_file())
        .collect();
    found.sort();
    found
}

/// The state file's text; None when there is none; empty (invalid) when it cannot be read.
pub fn read_state(app_data_dir: &Path) -> Option<String> {
    match fs::read_to_string(stages_dir(app_data_dir).join(STATE_FILE)) {
        Ok(text) => Some(text),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(_) => Some(String::new()),
    }
}

/// The folder of a slot: the factory stage, or its folder in app data.
pub fn slot_dir(slot: &str, factory_dir: &Path, app_data_dir: &Path) -> PathBuf {
    if slot == FACTORY {
        factory_dir.to_path_buf()
    } else {
        stages_dir(app_data_dir).join(slot)
    }
}

/// [`resolve`] against what is on disk now.
pub fn choose(app_data_dir: &Path, factory_version: &str) -> Resolution {
    resolve(read_state(app_data_dir).as_deref(), &complete_slots(app_data_dir), factory_version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_as_numbers_then_suffixes() {
        assert_eq!(compare_versions("0.10.0", "0.9.9"), Some(Ordering::Greater));
        assert_eq!(compare_versions("1.0.0", "1.0.0"), Some(Ordering::Equal));
        assert_eq!(compare_versions("1.0.0rc1", "1.0.0"), Some(Ordering::Less));
        assert_eq!(compare_versions("1.0.0rc2", "1.0.0rc1"), Some(Ordering::Greater));
        assert_eq!(compare_versions("1.0", "1.0.0"), None);
        assert_eq!(compare_versions("1.0.0/x", "1.0.0"), None);
    }
}
