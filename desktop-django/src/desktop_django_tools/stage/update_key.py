"""The key a stage trusts backend layers from: the project's committed release public key,
shipped as `update-key.pub` at the stage's root (docs/backend-updates.md, section 4).

Copied before the stage is indexed, so it is a file of the stage like any other (a layer
that changes it is signed with the key it replaces). A project with no committed key ships
none, and its installed apps accept no layer.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from desktop_django.layers import UPDATE_KEY
from desktop_django.minisign import key_id_text, parse_public_key

from desktop_django_tools.release.credentials import PUBLIC_KEY_IN_REPO
from desktop_django_tools.stage.errors import StageError


def ship(stage_root: Path, repo: Path) -> str | None:
    """Copy `<repo>/release/release-signing-key.pub` to `<stage>/update-key.pub` when it
    exists; return the key ID, or None when the project has no committed key."""
    source = repo / PUBLIC_KEY_IN_REPO
    if not source.is_file():
        return None
    try:
        key_id, _public = parse_public_key(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise StageError(
            f"{source} is not a minisign public key ({exc})",
            "commit the release.pub that `desktop-django keygen` writes (docs/release.md)",
        ) from None
    shutil.copyfile(source, stage_root / UPDATE_KEY)
    return key_id_text(key_id)
