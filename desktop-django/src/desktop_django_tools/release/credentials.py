"""Which signing credentials a package build has, said in one line when some are missing.

Standard library only: the package session reads it before anything is installed. Only
variable names are looked at; values are never printed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

# The project's published release key, committed: every signed release is checked against it,
# and the stage ships it as the key backend layers must be signed with.
PUBLIC_KEY_IN_REPO = Path("release") / "release-signing-key.pub"

RELEASE_KEY_VARS = ("DESKTOP_DJANGO_RELEASE_KEY", "DESKTOP_DJANGO_RELEASE_KEY_FILE")

# shell -> platform -> alternative complete sets of variables that make its packager sign.
CODE_SIGNING: dict[str, dict[str, tuple[tuple[str, ...], ...]]] = {
    "electron": {
        "darwin": (("CSC_LINK",), ("CSC_NAME",)),
        "win32": (("WIN_CSC_LINK",), ("CSC_LINK",)),
    },
    "tauri": {
        "darwin": (
            ("APPLE_CERTIFICATE", "APPLE_CERTIFICATE_PASSWORD"),
            ("APPLE_SIGNING_IDENTITY",),
        ),
        # Windows signing is configured in tauri.conf.json (bundle.windows.signCommand).
        "win32": (),
    },
    "positron": {},  # the packager signs ad hoc only (briefcase --adhoc-sign)
}


def _present(environ: Mapping[str, str], name: str) -> bool:
    return bool(environ.get(name, "").strip())


def signing_notice(shell: str, platform: str, environ: Mapping[str, str]) -> str | None:
    """One line when the artifacts (or their SHA256SUMS) will be unsigned, else None."""
    platform = "linux" if platform.startswith("linux") else platform
    sets = CODE_SIGNING.get(shell, {}).get(platform)
    gaps = []
    if sets is None or not sets:
        if platform == "linux":
            gaps.append("Linux packages carry no code signature")
        elif shell == "positron":
            gaps.append("Briefcase signs ad hoc only here")
        else:
            gaps.append(f"no code-signing credentials are read from the environment for {shell}")
    elif not any(all(_present(environ, name) for name in names) for names in sets):
        wanted = " or ".join("+".join(names) for names in sets)
        gaps.append(f"no code-signing credentials ({wanted})")
    if not any(_present(environ, name) for name in RELEASE_KEY_VARS):
        gaps.append(
            f"no release key ({RELEASE_KEY_VARS[0]}) to sign SHA256SUMS at `nox -s release`"
        )
    if not gaps:
        return None
    return f"package: {shell} artifacts will be unsigned: {'; '.join(gaps)}"
