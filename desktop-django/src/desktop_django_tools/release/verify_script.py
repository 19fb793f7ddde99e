"""The verify.py a release carries: release/verify.py with the runtime modules it imports
(Ed25519 and minisign, backend layers) written inline, so that it is one file that needs
nothing but a Python 3.8+ standard library, while the code exists once, in the runtime."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

SOURCE = Path(__file__).with_name("verify.py")
# From `# INLINE <module>` to `# END INLINE`: an import of that module, in the source tree.
_BLOCK = re.compile(r"^# INLINE (?P<module>[\w.]+)\n.*?^# END INLINE\n", re.M | re.S)
# Lines an inlined module cannot keep: the future import (verify.py has its own, first) and
# imports of other inlined modules (their names are already defined above it).
_DROPPED = re.compile(r"^from (__future__|desktop_django\.\w+) import [^\n(]*(\([^)]*\))?\n", re.M)


def module_text(module: str) -> str:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise RuntimeError(f"verify.py inlines {module}, which cannot be found")
    text = Path(spec.origin).read_text(encoding="utf-8")
    return _DROPPED.sub("", text)


def standalone_text() -> str:
    source = SOURCE.read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        module = match.group("module")
        return f"# --- {module}, inlined ---\n{module_text(module)}\n# --- end of {module} ---\n"

    text = _BLOCK.sub(inline, source)
    if "from desktop_django" in text or "import desktop_django" in text:
        raise RuntimeError("verify.py still imports desktop_django after inlining")
    return text


def write(target: Path) -> Path:
    target.write_text(standalone_text(), encoding="utf-8", newline="\n")
    return target
