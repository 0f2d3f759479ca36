"""The FAQ topics citizens subscribe to: each topic file's `slug` and `topic` in knowledge_base/faq."""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

import yaml

from bot.core.subscriptions import Topic

log = logging.getLogger(__name__)

# the desk's file of approved answers (bot/desk/app.py APPROVED_FAQ_FILE) mixes subjects: not a topic
NOT_TOPICS = frozenset({"da-duyet"})
_ENTRIES = re.compile(r"^entries\s*:", re.MULTILINE)


def read_topics(faq_dir: Path | str) -> list[Topic]:
    """(slug, name) of every topic file, in file-name order; only each file's head is parsed."""
    topics: list[Topic] = []
    for path in sorted(Path(faq_dir).glob("*.yaml")):
        if path.stem in NOT_TOPICS:
            continue
        try:
            text = path.read_text(encoding="utf-8")
            m = _ENTRIES.search(text)
            head = yaml.safe_load(text[: m.start()] if m else text) or {}
        except (OSError, yaml.YAMLError) as exc:
            log.error("FAQ file %s skipped for topics: %s", path.name, exc)
            continue
        if not isinstance(head, dict):
            continue
        slug = str(head.get("slug") or path.stem)[:64]
        topics.append(Topic(slug, str(head.get("topic") or slug)))
    return topics


class FaqTopics:
    """The topics, re-read when the folder's files change (a new topic file appears while serving)."""

    def __init__(self, faq_dir: Path | str) -> None:
        self.faq_dir = Path(faq_dir)
        self._lock = threading.Lock()
        self._seen: tuple[tuple[str, int], ...] | None = None
        self._topics: list[Topic] = []

    def _signature(self) -> tuple[tuple[str, int], ...]:
        try:
            return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in self.faq_dir.glob("*.yaml")))
        except OSError:
            return ()

    def __call__(self) -> list[Topic]:
        signature = self._signature()
        with self._lock:
            if signature != self._seen:
                self._topics, self._seen = read_topics(self.faq_dir), signature
            return list(self._topics)
