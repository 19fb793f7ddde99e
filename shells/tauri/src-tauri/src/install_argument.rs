//! `--install-backend-update FILE` (or `=FILE`): Help > Install Backend Update…'s flow with
//! FILE instead of the file picker, for an administrator's script or "Open with" on a .layer.
//! Read from this launch's arguments (installed once the backend serves) and from a later
//! launch's, which the single-instance plugin hands to the running app with its folder.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

pub const FLAG: &str = "--install-backend-update";

/// The layer named on a command line (the program name first, as `std::env::args` gives it),
/// relative to `cwd` when it is relative. `=FILE` is the form that always arrives whole.
pub fn layer_in<I, S>(argv: I, cwd: &Path) -> Option<PathBuf>
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let mut arguments = argv.into_iter().map(Into::into).skip(1);
    while let Some(argument) = arguments.next() {
        let text = argument.to_string_lossy();
        let file = if text == FLAG {
            arguments.next()?
        } else if let Some(value) = text.strip_prefix(&format!("{FLAG}=")) {
            OsString::from(value)
        } else {
            continue;
        };
        if file.is_empty() {
            return None;
        }
        return Some(cwd.join(file));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const CWD: &str = "/home/user/Downloads";

    #[test]
    fn the_flag_and_its_file_or_the_equals_form() {
        let cwd = Path::new(CWD);
        let spaced = layer_in(["app", FLAG, "fix.layer"], cwd);
        assert_eq!(spaced, Some(PathBuf::from("/home/user/Downloads/fix.layer")));
        let joined = layer_in(["app", "--install-backend-update=/media/usb/fix.layer"], cwd);
        assert_eq!(joined, Some(PathBuf::from("/media/usb/fix.layer")));
    }

    #[test]
    fn no_flag_no_file_or_an_empty_one_is_nothing() {
        let cwd = Path::new(CWD);
        assert_eq!(layer_in(["app"], cwd), None);
        assert_eq!(layer_in(["app", "fix.layer"], cwd), None);
        assert_eq!(layer_in(["app", FLAG], cwd), None);
        assert_eq!(layer_in(["app", "--install-backend-update="], cwd), None);
        // The program's own name is never taken for the flag.
        assert_eq!(layer_in([FLAG, "x"], cwd), None);
    }
}
