"""FaqSearch over the vetted YAML files in knowledge_base/faq: lexical and sentence-vector matching, calibrated."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bot.core import logistic
from bot.core.faq_match import FaqMatcher, asked, content_words, gives
from bot.core.models import Citation
from bot.core.ports import FaqEntry, FaqMatch

log = logging.getLogger(__name__)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # thousands of entries: the C parser


def _citation(raw: dict[str, Any]) -> Citation | None:
    doc = str(raw.get("doc_number") or "").strip()
    article = str(raw.get("article") or "").strip()
    if not doc or not article:
        return None
    article_id = str(raw.get("article_id") or f"{doc}::{article}").strip()
    clause = raw.get("clause")
    point = raw.get("point")
    return Citation(article_id=article_id, doc_number=doc, article=article,
                    clause=str(clause) if clause not in (None, "") else None,
                    point=str(point).strip() if point not in (None, "") and clause not in (None, "") else None)


def load_faq(faq_dir: Path | str) -> list[FaqEntry]:
    """All entries of all `*.yaml` files (a broken file is logged and skipped, never fatal)."""
    entries: list[FaqEntry] = []
    for path in sorted(Path(faq_dir).glob("*.yaml")):
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER) or {}
        except (OSError, yaml.YAMLError) as exc:
            log.error("FAQ file %s skipped: %s", path.name, exc)
            continue
        topic = str(data.get("topic") or path.stem)
        for raw in data.get("entries") or []:
            entry = entry_from_yaml(raw, topic)
            if entry is not None:
                entries.append(entry)
    return entries


def entry_from_yaml(raw: Any, topic: str) -> FaqEntry | None:
    """One entry in its YAML form (a file's, or a desk-approved one from the database); None when unusable."""
    if not isinstance(raw, dict):
        return None
    questions = [str(q) for q in raw.get("questions") or [] if str(q).strip()]
    answer = str(raw.get("answer") or "").strip()
    if not questions or not answer:
        return None
    cites = [c for c in (_citation(r) for r in raw.get("citations") or [] if isinstance(r, dict)) if c]
    note = raw.get("note")
    return FaqEntry(id=str(raw.get("id") or ""), topic=topic, questions=questions,
                    answer=answer, citations=cites, reviewed_by=raw.get("reviewed_by"),
                    reviewed_at=str(raw["reviewed_at"]) if raw.get("reviewed_at") else None,
                    note=str(note).strip() if note else None)


def merge_entries(shipped: list[FaqEntry], approved: list[FaqEntry]) -> list[FaqEntry]:
    """The FAQ served: the shipped entries plus those approved in the desk; on the same id the desk's wins."""
    ids = {e.id for e in approved}
    return [e for e in shipped if e.id not in ids] + approved


FAQ_MODEL = Path(__file__).resolve().parents[2] / "knowledge_base" / "training" / "faq_matcher.json"
# Per candidate entry: best and second-best variant similarity by meaning, similarity to the entry's
# centroid, the lexical cosine, how far each stands above the best other entry, how much of the
# question's content words the entry's questions (and its answer) hold, and whether the answer states
# the kind of value asked (a duration, a percentage, an amount, an age), and how short the message is.
DENSE_FEATURES = ("dense", "dense2", "dense_mean", "lexical", "dense_margin", "lexical_margin",
                  "cover_questions", "cover_all", "asked_missing", "short")
LEXICAL_FEATURES = ("lexical", "lexical_margin", "cover_questions", "cover_all", "asked_missing", "short")
_CANDIDATES = 8  # per signal


@dataclass(frozen=True)
class Calibration:
    """Logistic map from match features to P(this entry answers the question), fitted by faq_train."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]

    def prob(self, values: dict[str, float]) -> float:
        return logistic.probability((values[f] for f in self.features), self.weights, self.mean, self.scale, self.bias)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Calibration:
        return cls(tuple(raw["features"]), tuple(float(x) for x in raw["weights"]), float(raw["bias"]),
                   tuple(float(x) for x in raw["mean"]), tuple(float(x) for x in raw["scale"]))


# Used until faq_matcher.json is fitted (and in tests of other parts): a plain reading of the
# lexical cosine, so 0.45 lexical is about an even chance.
_FALLBACK = {
    "lexical": Calibration(LEXICAL_FEATURES, (1.6, 0.8, 0.0, 0.0, 0.0, 0.0), -0.2, (0.35, 0.0, 0.0, 0.0, 0.0, 0.0),
                           (0.2, 0.15, 1.0, 1.0, 1.0, 1.0)),
    "dense": Calibration(DENSE_FEATURES, (1.5, 0.5, 0.0, 1.0, 1.0, 0.5, 0.0, 0.0, 0.0, 0.0), -1.0,
                         (0.88, 0.86, 0.0, 0.35, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
                         (0.04, 0.04, 1.0, 0.2, 0.03, 0.15, 1.0, 1.0, 1.0, 1.0)),
}


def load_calibrations(path: Path | str = FAQ_MODEL) -> dict[str, Calibration]:
    """The fitted calibrations ("dense", "lexical"); the fallback ones when the file is missing or broken."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        return {k: Calibration.from_json(raw[k]) for k in ("dense", "lexical")}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("FAQ matcher calibration %s unusable (%s): using the built-in one", path, exc)
        return dict(_FALLBACK)


# A line break, or a sentence end followed by a capital or a digit (not "Điều 5.1" or "v.v. và").
_SENTENCE_END = re.compile(r"\n+|(?<=[.!?;])\s+(?=[\"(0-9]|[^\W\d_](?<=[A-ZĐÀ-Ỹ]))")
_BULLET = re.compile(r"^\s*(?:[-*•+]|\d+[.)])\s+")
_MIN_SENTENCE = 30  # a shorter piece after an unfinished one (a list item "- 60 ngày;") reads with it


def answer_sentences(answer: str) -> list[str]:
    """An answer's sentences (lines, then sentence ends); a list joins the line that leads it in (ending
    in ":"), a short piece the unfinished one before it. Each is matched by meaning against the question,
    so an answer that states what is asked stands out."""
    out: list[str] = []
    for piece in _SENTENCE_END.split(answer):
        text = _BULLET.sub("", piece).strip()
        if not text:
            continue
        if out and (out[-1].endswith(":") or (len(text) < _MIN_SENTENCE and not out[-1].endswith("."))):
            out[-1] = f"{out[-1]} {text}"
        else:
            out.append(text)
    return out or [answer.strip()]


@dataclass(frozen=True)
class Candidate:
    entry: int
    values: dict[str, float]


class YamlFaqSearch:
    """FaqSearch port: every question variant matched lexically and, with sentence vectors, by meaning.

    The two signals (and how far the best entry stands above the next) are combined by a logistic
    calibration fitted on the FAQ itself (leave-one-variant-out and leave-one-entry-out, see
    bot/adapters/faq_train.py), so `FaqMatch.score` reads as the probability that the entry answers.
    `vectors` is a bot.adapters.vectors.TextVectors (None: lexical matching only). `answers`: also embed
    every answer sentence, so each match carries how well its answer reads as an answer to the question
    (only when the FAQ picker reads it: thousands of sentences to embed on a first start).
    """

    def __init__(self, faq_dir: Path | str | None = None, *, entries: list[FaqEntry] | None = None,
                 vectors: Any | None = None, calibrations: dict[str, Calibration] | None = None,
                 citation_ok: Callable[[Citation], bool] | None = None,
                 keep: Callable[[FaqEntry], FaqEntry | None] | None = None, answers: bool = False) -> None:
        if entries is None:
            entries = load_faq(faq_dir) if faq_dir is not None else []
        if citation_ok is not None:
            # a citation that does not resolve (index or register) must never reach a citizen
            entries = [dataclasses.replace(e, citations=[c for c in e.citations if citation_ok(c)])
                       for e in entries]
        if keep is not None:  # review state: retired or (when required) unreviewed entries are not served
            entries = [e for e in (keep(x) for x in entries) if e is not None]
        self.entries = entries
        self.matcher = FaqMatcher(entries)
        self.vectors = vectors
        cal = calibrations or load_calibrations()
        self.calibration = cal["dense"] if vectors is not None else cal["lexical"]
        owners = self.matcher.owners
        self._owners = np.asarray(owners, dtype=np.int64)
        self._starts = np.searchsorted(self._owners, np.arange(len(entries))).astype(np.int64)
        self._matrix: np.ndarray | None = None
        if vectors is not None and entries:
            texts = [q for e in entries for q in e.questions]
            self._matrix = np.asarray(vectors.many(texts, desc="FAQ questions"), dtype=np.float32)
        # the answers, sentence by sentence, on e5's passage side: what a question is answered by
        self._sentences: np.ndarray | None = None
        self._sentence_starts = np.zeros(0, dtype=np.int64)
        if answers and vectors is not None and entries:
            split = [answer_sentences(e.answer) for e in entries]
            self._sentence_starts = np.cumsum([0, *(len(s) for s in split)]).astype(np.int64)
            self._sentences = np.asarray(vectors.passages([t for s in split for t in s]), dtype=np.float32)
        self._variant_words = self.matcher.variant_words()
        self._answer_words = [content_words(e.answer, whole=True) for e in entries]
        self._gives = [gives(e.answer) for e in entries]

    # ------------------------------------------------------------------ signals

    def variant_vector(self, variant: int) -> np.ndarray | None:
        """The stored vector of one question variant (leave-one-out training reuses it as a query)."""
        return self._matrix[variant] if self._matrix is not None else None

    def query_vector(self, query: str) -> np.ndarray | None:
        return self.vectors.one(query) if self.vectors is not None and self._matrix is not None else None

    def _variants_of(self, entry: int) -> range:
        end = int(self._starts[entry + 1]) if entry + 1 < len(self._starts) else len(self._owners)
        return range(int(self._starts[entry]), end)

    def _cover(self, words: dict[str, float], total: float, entry: int, skip: set[int]) -> tuple[float, float]:
        """Idf-weighted share of the question's content words found in the entry's questions, and in them
        plus its answer (variants in `skip`, held out in training, do not count)."""
        if total <= 0:
            return 0.0, 0.0
        own: set[str] = set()
        for v in self._variants_of(entry):
            if v not in skip:
                own.update(self._variant_words[v])
        in_questions = sum(w for t, w in words.items() if t in own)
        answer = self._answer_words[entry]
        in_all = sum(w for t, w in words.items() if t in own or t in answer)
        return in_questions / total, in_all / total

    def candidates(self, query: str, qvec: np.ndarray | None = None, *, skip_variants: frozenset[int] = frozenset(),
                   skip_entry: int | None = None) -> list[Candidate]:
        """The best entries by either signal, with the features the calibration reads."""
        if not self.entries:
            return []
        words = {t: self.matcher.idf(t) for t in content_words(query)}
        total = sum(words.values())
        kinds = asked(query)
        short = 1.0 / (1.0 + len(words))  # a one- or two-word message ("khai sinh"): many entries fit it
        skip = set(skip_variants)
        if skip_entry is not None:
            skip.update(int(v) for v in np.flatnonzero(self._owners == skip_entry))
        lexical = self.matcher.scores(query, skip=frozenset(skip))
        pool = set(sorted(lexical, key=lexical.__getitem__, reverse=True)[:_CANDIDATES])
        dense_best: np.ndarray | None = None
        sims: np.ndarray | None = None
        if self._matrix is not None:
            if qvec is None:
                qvec = self.query_vector(query)
            sims = self._matrix @ np.asarray(qvec, dtype=np.float32)
            if skip:
                sims[list(skip)] = -1.0
            dense_best = np.maximum.reduceat(sims, self._starts)
            if skip_entry is not None:
                dense_best[skip_entry] = -1.0
            top = np.argpartition(-dense_best, min(_CANDIDATES, len(dense_best) - 1))[:_CANDIDATES]
            pool.update(int(i) for i in top)
        if skip_entry is not None:
            pool.discard(skip_entry)
            lexical.pop(skip_entry, None)
        lex_sorted = sorted(lexical.values(), reverse=True)
        lex_first = lex_sorted[0] if lex_sorted else 0.0
        lex_second = lex_sorted[1] if len(lex_sorted) > 1 else 0.0
        out = []
        if dense_best is not None:
            order = np.sort(dense_best)[::-1]
            d_first, d_second = float(order[0]), float(order[1]) if len(order) > 1 else 0.0
        for i in pool:
            lex = lexical.get(i, 0.0)
            cover_q, cover_a = self._cover(words, total, i, skip)
            values = {"lexical": lex, "lexical_margin": lex - (lex_second if lex >= lex_first else lex_first),
                      "cover_questions": cover_q, "cover_all": cover_a,
                      "asked_missing": float(len(kinds - self._gives[i])),
                      "short": short}
            if dense_best is not None and sims is not None and qvec is not None:
                d = float(dense_best[i])
                span = self._variants_of(i)
                kept = [v for v in span if v not in skip]
                own = np.sort(sims[span.start:span.stop])[::-1]
                values["dense"] = d
                values["dense2"] = float(own[1]) if len(own) > 1 and own[1] > -1 else d
                # the centroid of the entry's (kept) variants: one odd variant weighs less than in the max
                centre = self._matrix[kept].mean(axis=0) if kept and self._matrix is not None else None
                values["dense_mean"] = (float(centre @ qvec / (np.linalg.norm(centre) or 1.0))
                                        if centre is not None else 0.0)
                values["dense_margin"] = d - (d_second if d >= d_first else d_first)
            out.append(Candidate(i, values))
        return out

    def answer_features(self, entry: int, qvec: np.ndarray | None) -> dict[str, float]:
        """How well the entry's answer, sentence by sentence, reads as an answer to the question (e5
        query -> passage): the best sentence, the mean, the first; empty without answer vectors. A
        same-topic neighbour that answers another question has no sentence close to this one."""
        if self._sentences is None or qvec is None:
            return {}
        sims = self._sentences[self._sentence_starts[entry]:self._sentence_starts[entry + 1]] @ qvec
        if not len(sims):
            return {}
        return {"answer_max": float(sims.max()), "answer_mean": float(sims.mean()), "answer_first": float(sims[0])}

    def search(self, query: str, k: int = 3) -> list[FaqMatch]:
        qvec = self.query_vector(query) if query.strip() else None
        scored = [(self.calibration.prob(c.values), c.entry, c) for c in self.candidates(query, qvec)]
        scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
        return [FaqMatch(self.entries[i], p, {**c.values, **self.answer_features(i, qvec)})
                for p, i, c in scored[:k] if self.entries[i].citations]


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
                 check_every: float = 2.0, clock: Callable[[], float] = time.monotonic,
                 version: Callable[[], object] | None = None) -> None:
        self.faq_dir = Path(faq_dir)
        self._make = make
        self._check_every = check_every
        self._clock = clock
        # what else decides the served FAQ: the review state staff keep in the database
        self._version = version
        self._signature = self._current_signature()
        self._current = make(self.faq_dir)
        self._checked = clock()
        self._lock = threading.Lock()

    @property
    def entries(self) -> list[FaqEntry]:
        return self._current.entries

    def _current_signature(self) -> object:
        version: object = None
        if self._version is not None:
            try:
                version = self._version()
            except Exception:  # database unreachable: keep serving; a later check reloads
                log.warning("FAQ review state unreadable; serving the FAQ as loaded")
        return (faq_signature(self.faq_dir), version)

    def _refresh(self) -> None:
        now = self._clock()
        if now - self._checked < self._check_every or not self._lock.acquire(blocking=False):
            return  # checked recently, or another thread is reloading: serve the current FAQ
        try:
            self._checked = now
            signature = self._current_signature()
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
