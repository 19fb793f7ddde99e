//! Read and validate `runtime-manifest.json`, the stage contract.
//!
//! This mirrors the reference reader (`desktop_django.manifest`, Python) check for check and in
//! the same order, so both name the same field for the same broken manifest; the shared vectors
//! under `tests/stage/vectors/` prove it. Fields are named as JSON paths (`launcher.serve[1]`).

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

pub const SCHEMA_VERSION: i64 = 2;
pub const MANIFEST_NAME: &str = "runtime-manifest.json";

/// Environment names every manifest must declare: the launcher refuses to start without them.
const REQUIRED_ENV: [&str; 2] = ["DESKTOP_DJANGO_APP_DATA_DIR", "DESKTOP_DJANGO_AUTH_TOKEN"];

/// The manifest is missing or invalid. `field` is a JSON path (empty for the whole document),
/// `path` the manifest file when the error came from [`load`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    pub message: String,
    pub field: String,
    pub path: Option<PathBuf>,
}

impl ManifestError {
    pub(crate) fn new(message: impl Into<String>, field: impl Into<String>) -> Self {
        Self { message: message.into(), field: field.into(), path: None }
    }

    fn file(message: impl Into<String>, path: &Path) -> Self {
        Self { message: message.into(), field: String::new(), path: Some(path.to_path_buf()) }
    }

    fn at(mut self, path: &Path) -> Self {
        self.path = Some(path.to_path_buf());
        self
    }
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "{}: ", path.display())?;
        }
        if !self.field.is_empty() {
            write!(f, "field `{}`: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ManifestError {}

/// The two processes a shell starts from one stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Serve,
    Worker,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Serve => "serve",
            Role::Worker => "worker",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a shell needs to start one role: the interpreter, its arguments and the working folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    pub executable: PathBuf,
    pub args: Vec<String>,
    pub stage_dir: PathBuf,
}

/// A validated manifest together with the stage folder it describes.
#[derive(Debug, Clone)]
pub struct RuntimeManifest {
    stage_dir: PathBuf,
    data: Value,
}

impl RuntimeManifest {
    /// Wrap an already validated document (see [`validate`]).
    pub fn from_value(stage_dir: impl Into<PathBuf>, data: Value) -> Result<Self, ManifestError> {
        validate(&data)?;
        Ok(Self { stage_dir: stage_dir.into(), data })
    }

    pub fn stage_dir(&self) -> &Path {
        &self.stage_dir
    }

    pub fn app_id(&self) -> &str {
        self.str_at(&["app", "id"])
    }

    pub fn app_version(&self) -> &str {
        self.str_at(&["app", "version"])
    }

    pub fn platform(&self) -> &str {
        self.str_at(&["python", "platform"])
    }

    /// The interpreter inside the stage; the manifest spells it with '/' on every OS.
    pub fn python_executable(&self) -> PathBuf {
        join_relative(&self.stage_dir, self.str_at(&["python", "executable"]))
    }

    pub fn launch(&self, role: Role) -> Launch {
        let args = self.data["launcher"][role.as_str()]
            .as_array()
            .map(|items| items.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        Launch { executable: self.python_executable(), args, stage_dir: self.stage_dir.clone() }
    }

    fn str_at(&self, keys: &[&str]) -> &str {
        keys.iter().fold(&self.data, |value, key| &value[*key]).as_str().unwrap_or_default()
    }
}

/// `<os>-<arch>` as the manifest spells it: linux-x86_64, darwin-arm64, windows-x86_64.
pub fn current_platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "aarch64" => "arm64",
        other => other,
    };
    format!("{os}-{arch}")
}

/// Read `<stage_dir>/runtime-manifest.json` and validate it. With `check_files`, also refuse a
/// stage built for another platform or whose interpreter is missing.
pub fn load(
    stage_dir: impl AsRef<Path>,
    check_files: bool,
) -> Result<RuntimeManifest, ManifestError> {
    let stage_dir = stage_dir.as_ref();
    let path = stage_dir.join(MANIFEST_NAME);
    let raw = fs::read_to_string(&path).map_err(|err| match err.kind() {
        io::ErrorKind::NotFound => {
            ManifestError::file("file is missing: run `nox -s stage` first", &path)
        }
        _ => ManifestError::file(format!("cannot read: {err}"), &path),
    })?;
    let data: Value = serde_json::from_str(&raw)
        .map_err(|err| ManifestError::file(format!("not valid JSON ({err})"), &path))?;
    let manifest = RuntimeManifest::from_value(stage_dir, data).map_err(|err| err.at(&path))?;
    if check_files {
        let here = current_platform();
        if manifest.platform() != here {
            return Err(ManifestError::new(
                format!(
                    "this stage was built for {} and cannot run on {here}",
                    manifest.platform()
                ),
                "python.platform",
            )
            .at(&path));
        }
        let executable = manifest.python_executable();
        if !executable.is_file() {
            return Err(ManifestError::new(
                format!("the interpreter {} does not exist", executable.display()),
                "python.executable",
            )
            .at(&path));
        }
    }
    Ok(manifest)
}

/// Return the first problem found, checking fields in the reference reader's order.
pub fn validate(data: &Value) -> Result<(), ManifestError> {
    let obj = data.as_object().ok_or_else(|| ManifestError::new("must be a JSON object", ""))?;
    let version = integer(obj, "schemaVersion", "")?;
    if version != SCHEMA_VERSION {
        return Err(ManifestError::new(
            format!("unsupported schema version {version} (this reader knows {SCHEMA_VERSION})"),
            "schemaVersion",
        ));
    }

    let app = object(obj, "app", "")?;
    text(app, "name", "app")?;
    text(app, "id", "app")?;
    matching(app, "version", "app", is_version, "a version like 1.2.3")?;

    let build = object(obj, "build", "")?;
    text(build, "gitSha", "build")?;
    text(build, "timestamp", "build")?;

    let python = object(obj, "python", "")?;
    matching(python, "version", "python", is_version, "a version like 3.13.1")?;
    relative_path(python, "executable", "python")?;
    text(python, "platform", "python")?;

    let launcher = object(obj, "launcher", "")?;
    text(launcher, "module", "launcher")?;
    for role in [Role::Serve, Role::Worker] {
        let argv = array(launcher, role.as_str(), "launcher")?;
        if argv.is_empty() {
            return Err(ManifestError::new("must not be empty", format!("launcher.{role}")));
        }
        for (index, item) in argv.iter().enumerate() {
            // Like the reference reader: any non-empty string is a valid argument.
            if !matches!(item.as_str(), Some(s) if !s.is_empty()) {
                return Err(ManifestError::new(
                    "must be a non-empty string",
                    format!("launcher.{role}[{index}]"),
                ));
            }
        }
    }
    let names = array(launcher, "env", "launcher")?;
    for (index, name) in names.iter().enumerate() {
        if !matches!(name.as_str(), Some(s) if is_env_name(s)) {
            return Err(ManifestError::new(
                "must be an environment variable name",
                format!("launcher.env[{index}]"),
            ));
        }
    }
    for required in REQUIRED_ENV {
        if !names.iter().any(|name| name.as_str() == Some(required)) {
            return Err(ManifestError::new(format!("must list {required}"), "launcher.env"));
        }
    }

    let paths = object(obj, "paths", "")?;
    relative_path(paths, "staticfiles", "paths")?;

    let size = object(obj, "size", "")?;
    for key in ["bytes", "files"] {
        if integer(size, key, "size")? < 0 {
            return Err(ManifestError::new("must not be negative", format!("size.{key}")));
        }
    }

    let index = object(obj, "index", "")?;
    relative_path(index, "path", "index")?;
    matching(index, "sha256", "index", is_sha256, "64 lowercase hex characters")?;
    Ok(())
}

fn field_name(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

fn get<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    parent: &str,
) -> Result<&'a Value, ManifestError> {
    obj.get(key).ok_or_else(|| ManifestError::new("is missing", field_name(parent, key)))
}

fn wrong_type(kind: &str, parent: &str, key: &str) -> ManifestError {
    ManifestError::new(format!("must be {kind}"), field_name(parent, key))
}

fn object<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    parent: &str,
) -> Result<&'a Map<String, Value>, ManifestError> {
    get(obj, key, parent)?.as_object().ok_or_else(|| wrong_type("an object", parent, key))
}

fn array<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    parent: &str,
) -> Result<&'a Vec<Value>, ManifestError> {
    get(obj, key, parent)?.as_array().ok_or_else(|| wrong_type("an array", parent, key))
}

/// JSON `true` and `1.0` are not integers here, exactly as in the reference reader.
fn integer(obj: &Map<String, Value>, key: &str, parent: &str) -> Result<i64, ManifestError> {
    let value = get(obj, key, parent)?;
    match value {
        Value::Number(n) if n.is_i64() => Ok(n.as_i64().unwrap_or_default()),
        // Larger than i64: still an integer, and certainly not negative.
        Value::Number(n) if n.is_u64() => Ok(i64::MAX),
        _ => Err(wrong_type("an integer", parent, key)),
    }
}

fn string<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    parent: &str,
) -> Result<&'a str, ManifestError> {
    get(obj, key, parent)?.as_str().ok_or_else(|| wrong_type("a string", parent, key))
}

fn text<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    parent: &str,
) -> Result<&'a str, ManifestError> {
    let value = string(obj, key, parent)?;
    if value.chars().all(is_python_space) {
        return Err(ManifestError::new("must not be empty", field_name(parent, key)));
    }
    Ok(value)
}

fn matching<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    parent: &str,
    test: fn(&str) -> bool,
    wanted: &str,
) -> Result<&'a str, ManifestError> {
    let value = string(obj, key, parent)?;
    if !test(value) {
        return Err(ManifestError::new(
            format!("must be {wanted}, not {value:?}"),
            field_name(parent, key),
        ));
    }
    Ok(value)
}

fn relative_path<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    parent: &str,
) -> Result<&'a str, ManifestError> {
    let value = text(obj, key, parent)?;
    let has_drive = {
        let mut chars = value.chars();
        matches!((chars.next(), chars.next()), (Some(letter), Some(':')) if letter.is_ascii_alphabetic())
    };
    if value.starts_with('/')
        || value.contains('\\')
        || value.split('/').any(|part| part == "..")
        || has_drive
    {
        return Err(ManifestError::new(
            format!("must be a relative path inside the stage using '/', not {value:?}"),
            field_name(parent, key),
        ));
    }
    Ok(value)
}

/// `str.strip()` in Python also strips the ASCII separators U+001C..U+001F.
fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

fn leading_digits(s: &str) -> usize {
    s.bytes().take_while(u8::is_ascii_digit).count()
}

/// `^\d+\.\d+\.\d+` : a version prefix; anything may follow (pre-release tags).
fn is_version(value: &str) -> bool {
    let mut rest = value;
    for part in 0..3 {
        let digits = leading_digits(rest);
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        if part < 2 {
            match rest.strip_prefix('.') {
                Some(after) => rest = after,
                None => return false,
            }
        }
    }
    true
}

fn is_sha256(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn is_env_name(value: &str) -> bool {
    let mut bytes = value.bytes();
    matches!(bytes.next(), Some(b'A'..=b'Z'))
        && bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// Join a manifest path ('/'-separated, already validated as relative) onto the stage folder.
fn join_relative(base: &Path, relative: &str) -> PathBuf {
    relative
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .fold(base.to_path_buf(), |path, part| path.join(part))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_prefix_allows_suffixes_but_needs_three_numbers() {
        assert!(is_version("3.13.1"));
        assert!(is_version("0.1.0rc1"));
        assert!(!is_version("3.13"));
        assert!(!is_version("v1.2.3"));
        assert!(!is_version("1..2"));
    }

    #[test]
    fn env_names_are_upper_snake_case() {
        assert!(is_env_name("DESKTOP_DJANGO_AUTH_TOKEN"));
        assert!(is_env_name("A1"));
        assert!(!is_env_name("1A"));
        assert!(!is_env_name("lower"));
        assert!(!is_env_name("WITH\n"));
        assert!(!is_env_name(""));
    }

    #[test]
    fn relative_paths_join_with_the_native_separator() {
        let joined = join_relative(Path::new("stage"), "python/bin/python3");
        assert_eq!(joined, Path::new("stage").join("python").join("bin").join("python3"));
    }

    #[test]
    fn platform_names_match_the_python_spelling() {
        let platform = current_platform();
        assert!(!platform.contains("macos") && !platform.contains("aarch64"), "{platform}");
        assert_eq!(platform.matches('-').count(), 1, "{platform}");
    }
}
