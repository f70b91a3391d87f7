#!/usr/bin/env python3
"""Rewrite the README's configuration reference from the settings dataclasses."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pi_pause import config  # noqa: E402

readme = ROOT / "README.md"
text = readme.read_text()
start = re.search(r"<!-- config-reference:start.*?-->\n", text)
end = text.index("<!-- config-reference:end -->")
readme.write_text(text[:start.end()] + config.reference_markdown() + "\n" + text[end:])
print("README.md: configuration reference updated")
