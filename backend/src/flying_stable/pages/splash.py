"""The splash screen is one self-contained HTML file (inline style and SVG, no script), so a
shell can show it from disk before any server runs. Its inline style is allowed by hash."""

import base64
import hashlib
import re
from functools import cache
from pathlib import Path

SPLASH_PATH = Path(__file__).resolve().parent / "splash.html"


@cache
def splash_csp() -> str:
    html = SPLASH_PATH.read_text(encoding="utf-8")
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(block.encode()).digest()).decode() + "'"
        for block in re.findall(r"<style>(.*?)</style>", html, flags=re.DOTALL)
    ]
    return f"default-src 'none'; img-src data:; style-src {' '.join(hashes)}"
