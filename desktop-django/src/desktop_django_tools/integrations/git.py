"""Thin wrapper over the git CLI for build metadata and the files a build copies.

A folder that is not in a git work tree (or a machine without git) has no metadata, and a
build goes on without it: `in_work_tree` and `head` say so. Any other failure of a git
command is an error naming the command, never an empty answer.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from desktop_django_tools.errors import ToolError


class GitError(ToolError):
    pass


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    if shutil.which("git") is None:
        raise GitError("git is not installed", "install git (Debian: sudo apt-get install git)")
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, check=False)


def output(repo: Path, *args: str) -> str:
    """What `git ARGS` prints in `repo`, stripped; a failure is a GitError naming it."""
    done = _git(repo, *args)
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise GitError(f"`git {' '.join(args)}` failed in {repo} (exit {done.returncode}): "
                       f"{said[0]}", "fix the repository, or run from outside it")  # fmt: skip
    return done.stdout.decode("utf-8", "surrogateescape").strip()


def in_work_tree(folder: Path) -> bool:
    """Whether git is installed and `folder` is inside a git work tree."""
    if shutil.which("git") is None:
        return False
    done = _git(folder, "rev-parse", "--is-inside-work-tree")
    return done.returncode == 0 and done.stdout.strip() == b"true"


def head(repo: Path) -> str | None:
    """The commit checked out, or None outside a work tree and before the first commit."""
    if not in_work_tree(repo):
        return None
    done = _git(repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if done.returncode == 1 and not done.stdout.strip():
        return None
    return output(repo, "rev-parse", "--verify", "HEAD^{commit}")


def visible_files(folder: Path) -> set[Path] | None:
    """Every file under `folder` that git does not ignore (tracked, or new and not ignored),
    as absolute paths; None when `folder` is not in a git work tree (or git is missing)."""
    if not in_work_tree(folder):
        return None
    listed = output(
        folder, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."
    )
    return {(folder / name).absolute() for name in listed.split("\0") if name}
