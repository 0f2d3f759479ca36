"""The fitted answer confidence model, read from its JSON file (written by scripts/calibrate.py)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from bot.core.confidence import ConfidenceModel

log = logging.getLogger(__name__)


def load_confidence_model(path: Path) -> ConfidenceModel | None:
    """The model, or None (the writer's own confidence decides) when the file is missing or unusable."""
    if not path.is_file():
        log.warning("no answer confidence model at %s: the writer's confidence decides", path)
        return None
    try:
        return ConfidenceModel.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError) as exc:
        log.error("answer confidence model %s unusable (%s): the writer's confidence decides", path, exc)
        return None
