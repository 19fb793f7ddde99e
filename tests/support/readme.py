"""The README's install lines, read the way a newcomer reads them: the shell block under
"### Debian and Ubuntu" (and, behind a TLS-intercepting proxy, the block under that heading).
`nox -s newcomer` runs them in a fresh root; a test holds their apt packages against what
`.ci/run` installs."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from desktop_django_testing.paths import REPO_ROOT

README = REPO_ROOT / "README.md"
CI_RUN = REPO_ROOT / ".ci" / "run"
DEBIAN_HEADING = "### Debian and Ubuntu"


PROXY_HEADING = "### Behind a TLS-intercepting proxy"


def sh_lines(heading: str, readme: Path = README) -> list[str]:
    """The commands of the first ```sh block under `heading`, one per line."""
    text = readme.read_text(encoding="utf-8")
    if heading not in text:
        raise ValueError(f"{readme} has no {heading!r} section")
    section = text[text.index(heading) :]
    block = re.search(r"^```sh\n(.*?)^```", section, re.MULTILINE | re.DOTALL)
    if block is None:
        raise ValueError(f"{readme}: no ```sh block under {heading!r}")
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


def debian_install_lines(readme: Path = README) -> list[str]:
    """The README's Debian and Ubuntu install lines."""
    return sh_lines(DEBIAN_HEADING, readme)


def proxy_lines(readme: Path = README) -> list[str]:
    """What the README asks of a user whose network intercepts TLS with a site CA."""
    return sh_lines(PROXY_HEADING, readme)


def rust_fix(os_name: str, readme: Path = README) -> str:
    """The command the README's OS table gives for a current Rust on `os_name` (its first
    `backticked` command in the Rust column), e.g. Debian 13's `sudo apt-get install …`."""
    text = readme.read_text(encoding="utf-8")
    header = next((line for line in text.splitlines() if line.startswith("| OS |")), None)
    if header is None or "Rust" not in header:
        raise ValueError(f"{readme} has no OS table with a Rust column")
    titles = [cell.strip() for cell in header.split("|")]
    column = next(number for number, title in enumerate(titles) if title.startswith("Rust"))
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) > column and cells[1].startswith(os_name):
            found = re.search(r"`([^`]+)`", cells[column])
            if found:
                return found.group(1)
    raise ValueError(f"{readme}'s OS table gives no Rust command for {os_name!r}")


def apt_packages(command: str) -> set[str]:
    """The package names of one `apt-get install` command (options and sudo left out)."""
    words = shlex.split(command)
    if "apt-get" not in words or "install" not in words:
        return set()
    return {word for word in words[words.index("install") + 1 :] if not word.startswith("-")}


def readme_apt_packages(readme: Path = README) -> set[str]:
    return set().union(*(apt_packages(line) for line in debian_install_lines(readme)))


def ci_apt_packages(script: Path = CI_RUN) -> set[str]:
    """What `.ci/run` installs: its `apt-get install` command with the continuation lines."""
    joined = script.read_text(encoding="utf-8").replace("\\\n", " ")
    commands = [line for line in joined.splitlines() if "apt-get install" in line]
    return set().union(*(apt_packages(line.split(">")[0]) for line in commands))
