"""A build's manifest: reading it, and the error a build that cannot be served raises."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"


class IndexFormatError(ValueError):
    """A build folder that cannot be served: unreadable manifest, unknown format, missing files.

    Not an EmbedderMismatch: a server keeps its old index and reports a failed (not refused) switch.
    """


def read_manifest(build_dir: Path) -> dict[str, Any]:
    """The manifest of a build; IndexFormatError (naming the folder) when it is not readable."""
    try:
        manifest = json.loads((build_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexFormatError(
            f"index build {build_dir}: {MANIFEST} is unreadable ({exc}); rebuild the index"
        ) from exc
    if not isinstance(manifest, dict):
        raise IndexFormatError(f"index build {build_dir}: {MANIFEST} is not a JSON object")
    return manifest
