"""VERIFY.txt: the exact commands that check a release folder by hand on each OS."""

from __future__ import annotations

from desktop_django_tools.release.artifacts import BACKEND_LAYER, INSTALLER, Artifact
from desktop_django_tools.release.signing import SigningKey
from desktop_django_tools.release.verify import CHECKSUMS, SIGNATURE

POWERSHELL_CHECK = (
    "Get-Content -Encoding UTF8 .\\SHA256SUMS | ForEach-Object { $h, $n = $_ -split '  ', 2; "
    'if ((Get-FileHash -Algorithm SHA256 -LiteralPath $n).Hash -eq $h) { "OK      $n" } '
    'else { "FAILED  $n" } }'
)


def verify_text(
    *,
    title: str,
    folder_name: str,
    artifacts: list[Artifact],
    hashes: dict[str, str],
    key: SigningKey | None,
    rehearsal: dict | None = None,
) -> str:
    """`hashes`: every other file listed in SHA256SUMS (VERIFY.txt cannot list itself);
    `rehearsal`: the manifest's mark of a release that is not for installing."""
    out = [title, "=" * len(title), ""]
    out += _rehearsal_warning(rehearsal)
    out += _where(folder_name)
    out += _signature_check(key)
    first = 2 if key is not None else 1
    out += _checksum_checks(first, key, rehearsal)
    out += _installers(artifacts, rehearsal)
    out += _layers(artifacts, key)
    out += ["SHA-256 of each file, to compare by eye:", ""]
    out += [f"    {digest}  {name}" for name, digest in sorted(hashes.items())]
    return "\n".join(out) + "\n"


def _rehearsal_warning(rehearsal: dict | None) -> list[str]:
    if not rehearsal:
        return []
    return [
        f"THIS IS A {rehearsal['kind'].upper()} REHEARSAL, NOT A RELEASE: {rehearsal['note']}.",
        "Nothing in this folder is for installing; the checks below prove only that the",
        "rehearsal's files are intact.",
        "",
    ]


def _where(folder_name: str) -> list[str]:
    return [
        "Check this folder before installing anything from it:",
        "",
        f"    {folder_name}",
        "",
        "Run every command below inside it. If any check fails, do not install: get a new copy.",
        "",
    ]


def _signature_check(key: SigningKey | None) -> list[str]:
    """Step 1 of a signed release (the key to compare, minisign's command), or what an
    unsigned one does not prove."""
    if key is None:
        return [
            "THIS RELEASE IS NOT SIGNED. The checks below prove the files are intact and",
            f"complete, not who made them: compare the SHA-256 of {CHECKSUMS} itself with the",
            "value your release engineer sent through another channel.",
            "",
        ]
    return [
        f"Release signing key: ID {key.key_id_text}",
        f"    {key.public_key_line}",
        "Compare this key ID with the one your organisation published for these releases,",
        "through another channel: this file alone proves nothing, since whoever altered the",
        "folder could have altered this file too.",
        "",
        f"1. The signature of {CHECKSUMS} (minisign: `apt install minisign`,",
        "   `brew install minisign`, or the Windows build from the minisign project):",
        "",
        f"       minisign -Vm {CHECKSUMS} -x {SIGNATURE} -P {key.public_key_line}",
        "",
        '   Expected: "Signature and comment signature verified".',
        "",
    ]


def _checksum_checks(step: int, key: SigningKey | None, rehearsal: dict | None) -> list[str]:
    """Steps `step` and `step + 1`: each file against SHA256SUMS on each OS, then verify.py."""
    pubkey_args = _public_key_args(key)
    return [
        f"{step}. Every file against {CHECKSUMS}:",
        "",
        "   Linux:",
        f"       sha256sum -c {CHECKSUMS}",
        "   macOS:",
        f"       shasum -a 256 -c {CHECKSUMS}",
        "   Windows (PowerShell):",
        f"       {POWERSHELL_CHECK}",
        "",
        "   Expected: every line ends in OK (sha256sum, shasum) or starts with OK (PowerShell).",
        "",
        f"{step + 1}. Everything at once, including files that should not be here, with any",
        "   Python 3.8 or later (standard library only):",
        "",
        f"   Linux and macOS:  python3 verify.py .{pubkey_args}",
        f"   Windows:          py -3 verify.py .{pubkey_args}",
        "",
        (
            "   Expected: the last line starts with REHEARSAL and the exit status is 3."
            if rehearsal
            else "   Expected: the last line starts with VERIFIED and the exit status is 0."
        ),
        "",
    ]


def _installers(artifacts: list[Artifact], rehearsal: dict | None) -> list[str]:
    installers = [a.name for a in artifacts if a.role == INSTALLER]
    if not installers:
        return []
    heading = (
        "Rehearsal packages (not for installing):" if rehearsal else "Installers in this folder:"
    )
    return [heading, *[f"    {name}" for name in installers], ""]


def _layers(artifacts: list[Artifact], key: SigningKey | None) -> list[str]:
    layers = [a.name for a in artifacts if a.role == BACKEND_LAYER]
    if not layers:
        return []
    return [
        "Backend layers in this folder (the backend alone, for an installed app of the",
        "version each names; Help > Install Backend Update... applies one):",
        *[f"    {name}" for name in layers],
        "verify.py above also checks each one's signature and every file inside it. A layer",
        "carried on its own is checked with",
        f"    python3 verify.py FILE.layer{_public_key_args(key) or ' --public-key-string KEY'}",
        "",
    ]


def _public_key_args(key: SigningKey | None) -> str:
    """verify.py's option naming the release key, when the release is signed."""
    return f" --public-key-string {key.public_key_line}" if key is not None else ""
