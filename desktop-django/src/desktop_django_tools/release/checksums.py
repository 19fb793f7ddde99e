"""Write SHA256SUMS in the GNU coreutils format, which `sha256sum -c`, `shasum -a 256 -c`
and verify.py all read (and which PowerShell can compare with `Get-FileHash`)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from desktop_django_tools.release.verify import CHECKSUMS, parse_checksums, sha256_of


def checksum_line(digest: str, name: str) -> str:
    """`<sha256>  <name>`; a name with a backslash, newline or carriage return is escaped
    and the line marked with a leading backslash, exactly as sha256sum itself does."""
    if any(c in name for c in "\\\n\r"):
        escaped = name.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
        return f"\\{digest}  {escaped}\n"
    return f"{digest}  {name}\n"


def write_checksums(folder: Path, names: Iterable[str]) -> Path:
    """Hash `names` (paths relative to `folder`, in POSIX form) into folder/SHA256SUMS."""
    lines = [checksum_line(sha256_of(folder / name), name) for name in sorted(names)]
    text = "".join(lines)
    parsed, problems = parse_checksums(text)
    if problems or len(parsed) != len(lines):  # never write a file our own verifier rejects
        raise ValueError(f"cannot list these names in {CHECKSUMS}: {problems}")
    path = folder / CHECKSUMS
    # Bytes, not text: no newline translation on Windows, or sha256sum -c would misread it.
    path.write_bytes(text.encode("utf-8"))
    return path
