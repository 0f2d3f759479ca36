"""The fitted answer confidence model and FAQ picker, read from their JSON files (scripts/calibrate.py, `lawbot train faq`)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from bot.core.confidence import ConfidenceModel
from bot.core.faq_pick import FaqPicker

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


def load_faq_picker(path: Path) -> FaqPicker | None:
    """The picker, or None (the matcher-score thresholds decide) when the file is missing or unusable."""
    if not path.is_file():
        log.warning("no FAQ picker at %s: FAQ answers chosen by the matcher's score", path)
        return None
    try:
        return FaqPicker.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError) as exc:
        log.error("FAQ picker %s unusable (%s): FAQ answers chosen by the matcher's score", path, exc)
        return None
