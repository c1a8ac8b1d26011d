"""Where synthbeam keeps what it prepares once per machine (model, corpus, responses)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_home() -> Path:
    """``$SYNTHBEAM_CACHE``, else ``$XDG_CACHE_HOME/synthbeam``, else ``~/.cache/synthbeam``."""
    root = os.environ.get("SYNTHBEAM_CACHE")
    if root:
        return Path(root)
    return Path(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")) / "synthbeam"
