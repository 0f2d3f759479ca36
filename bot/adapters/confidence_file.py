"""The fitted answer confidence model and FAQ picker, read from their JSON files (scripts/calibrate.py, `lawbot train faq`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from bot.core.confidence import ConfidenceModel
from bot.core.faq_pick import FaqPicker

log = logging.getLogger(__name__)
T = TypeVar("T")


def _load(path: Path, parse: Callable[[Mapping[str, object]], T], what: str, instead: str) -> T | None:
    """`parse` of the JSON at `path`, or None (logged: `instead` says what decides then) when it is missing or unusable."""
    if not path.is_file():
        log.warning("no %s at %s: %s", what, path, instead)
        return None
    try:
        return parse(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError) as exc:
        log.error("%s %s unusable (%s): %s", what, path, exc, instead)
        return None


def load_confidence_model(path: Path) -> ConfidenceModel | None:
    """The model, or None (the writer's own confidence decides) when the file is missing or unusable."""
    return _load(path, ConfidenceModel.from_dict, "answer confidence model", "the writer's confidence decides")


def load_faq_picker(path: Path) -> FaqPicker | None:
    """The picker, or None (the matcher-score thresholds decide) when the file is missing or unusable."""
    return _load(path, FaqPicker.from_dict, "FAQ picker", "FAQ answers chosen by the matcher's score")
