"""The wrapping guide, the agent skill and llms.txt stay in step with the command: every
`wrap` command they show parses, and every option of the command is documented in each."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest
from desktop_django_testing.paths import REPO_ROOT
from desktop_django_tools.cli import parser

ROOT = REPO_ROOT
DOCS = [
    ROOT / "docs" / "wrapping.md",
    ROOT / "skills" / "wrap-existing-django" / "SKILL.md",
    ROOT / "llms.txt",
]
WRAP_COMMAND = re.compile(r"(?:nox -s wrap --|desktop-django wrap)((?: [^`\n|]*)?)")


def wrap_options() -> set[str]:
    wrap = parser()._subparsers._group_actions[0].choices["wrap"]
    return {opt for action in wrap._actions for opt in action.option_strings} - {"-h", "--help"}


def shown_commands(text: str) -> list[list[str]]:
    commands = []
    for match in WRAP_COMMAND.finditer(text):
        words = shlex.split(match.group(1).replace("[", " ").replace("]", " "), comments=True)
        # Placeholders stand for one value each; `...` and alternatives are prose.
        words = [w for w in words if w not in ("...", "|") and not w.startswith("(")]
        commands.append(words)
    return commands


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_every_option_is_documented(doc):
    text = doc.read_text(encoding="utf-8")
    missing = sorted(opt for opt in wrap_options() if opt not in text)
    assert not missing, f"{doc.name} does not mention {missing}"


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_every_shown_wrap_command_parses(doc):
    commands = shown_commands(doc.read_text(encoding="utf-8"))
    assert commands, f"{doc.name} shows no wrap command"
    for words in commands:
        args = words or ["PATH"]
        if args[0].startswith("-"):  # "desktop-django wrap" named in prose, options after it
            args = ["PATH", *args]
        try:
            parser().parse_args(["wrap", *args])
        except SystemExit:
            pytest.fail(f"{doc.name} shows a wrap command the parser rejects: {words}")


def test_stage_options_named_in_the_guide_exist():
    help_text = subprocess.run(
        [sys.executable, "-m", "desktop_django_tools", "stage", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    guide = DOCS[0].read_text(encoding="utf-8")
    for line in guide.splitlines():
        if line.startswith("nox -s stage --"):
            for option in re.findall(r"--[a-z][a-z-]+", line):
                assert option in help_text, f"docs/wrapping.md names {option}: not in stage"
