"""Sparse index: BM25 over syllables, syllable bigrams and their folded forms, one scipy CSC score matrix."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from tqdm import tqdm

from retrieval.normalize import strip_diacritics
from retrieval.tokenize import (
    TokenizerConfig,
    canonical_syllable,
    expand_abbreviations,
    query_expansions,
    query_has_accents,
    raw_tokens,
    strip_question_phrases,
    token_stream,
)
from retrieval.types import Article

Fields = Sequence[tuple[str, float]]  # (text, weight) per field of one document

_VOCAB_FILE = "vocab.json"
_BIGRAMS_FILE = "bigrams.npz"
_SCORES_FILE = "scores.{part}.npy"  # data / indices / indptr of the (documents x terms) CSC matrix
_PARAMS_FILE = "bm25.json"
# Builds made before 2026-12-06 stored the same three arrays under bm25s's file names.
_LEGACY_SCORES_FILE = "{part}.csc.index.npy"
_LEGACY_PARAMS_FILE = "params.index.json"
# What numpy, json, zipfile and scipy raise on a file cut short, emptied or overwritten
_DAMAGE = (OSError, ValueError, KeyError, EOFError, TypeError, IndexError, zipfile.BadZipFile)


@contextmanager
def _reading(name: str) -> Iterator[None]:
    """Turn whatever reading a damaged file raises into a ValueError that names the file."""
    try:
        yield
    except _DAMAGE as exc:
        raise ValueError(f"bm25/{name} is damaged ({type(exc).__name__}: {exc})") from exc


def article_fields(article: Article, config: TokenizerConfig) -> list[tuple[str, float]]:
    """The weighted text fields of an article that BM25 indexes."""
    fields = [
        (article.title, config.title_weight),
        (article.subtopic, config.subtopic_weight),
        (article.topic, config.topic_weight),
        (article.doc_title, config.doc_title_weight),
        (article.path, config.path_weight),
        (article.text, 1.0),
    ]
    return [(text, w) for text, w in fields if w > 0 and text]


class _Vocab:
    """Term ids: [accented syllables | accented bigrams | folded syllables | folded bigrams]."""

    def __init__(
        self,
        syllables: list[str],
        folded: list[str],
        bigram_keys: np.ndarray,
        folded_bigram_keys: np.ndarray,
    ) -> None:
        self.syllables = syllables
        self.folded = folded
        self.syl_index = {s: i for i, s in enumerate(syllables)}
        self.fold_index = {s: i for i, s in enumerate(folded)}
        self.bigram_keys = bigram_keys  # sorted int64 keys a * n_syl + b
        self.folded_bigram_keys = folded_bigram_keys  # sorted int64 keys a * n_fold + b
        self.n_syl = len(syllables)
        self.n_fold = len(folded)
        self.off_bigram = self.n_syl
        self.off_fold = self.off_bigram + len(bigram_keys)
        self.off_fold_bigram = self.off_fold + self.n_fold
        self.size = self.off_fold_bigram + len(folded_bigram_keys)

    @staticmethod
    def lookup(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
        """Positions of `wanted` in sorted `keys`, -1 when absent."""
        if len(keys) == 0 or len(wanted) == 0:
            return np.full(len(wanted), -1, dtype=np.int64)
        pos = np.searchsorted(keys, wanted).clip(0, len(keys) - 1)
        return np.where(keys[pos] == wanted, pos, -1)

    def save(self, out: Path) -> None:
        (out / _VOCAB_FILE).write_text(
            json.dumps({"syllables": self.syllables, "folded": self.folded}, ensure_ascii=False),
            encoding="utf-8",
        )
        np.savez(out / _BIGRAMS_FILE, accented=self.bigram_keys, folded=self.folded_bigram_keys)

    @classmethod
    def load(cls, path: Path) -> _Vocab:
        data = json.loads((path / _VOCAB_FILE).read_text(encoding="utf-8"))
        with np.load(path / _BIGRAMS_FILE) as keys:
            return cls(data["syllables"], data["folded"], keys["accented"], keys["folded"])


class BM25Index:
    """BM25 scores of every (document, term) pair, kept as a scipy CSC matrix (a column per term)."""

    def __init__(self, config: TokenizerConfig, vocab: _Vocab, matrix: sp.csc_matrix) -> None:
        self.config = config
        self.vocab = vocab
        self.n_docs = int(matrix.shape[0])
        self._matrix = matrix
        self._restorer: DiacriticRestorer | None = None

    # ---- building -------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        documents: Iterable[Fields],
        config: TokenizerConfig | None = None,
        *,
        progress: bool = False,
        total: int | None = None,
    ) -> BM25Index:
        """Index documents given as weighted fields; ids are positions in the iteration order."""
        config = config or TokenizerConfig()
        tf, doc_len, vocab = count_terms(documents, config, progress=progress, total=total)
        return cls(config, vocab, bm25_scores(tf, doc_len, config))

    # ---- persistence ----------------------------------------------------------------------
    def save(self, out_dir: Path | str) -> None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        m = self._matrix
        for part, array in (("data", m.data), ("indices", m.indices), ("indptr", m.indptr)):
            np.save(out / _SCORES_FILE.format(part=part), array)
        params = {"n_docs": self.n_docs, "n_terms": int(m.shape[1]), "k1": self.config.k1, "b": self.config.b}
        (out / _PARAMS_FILE).write_text(json.dumps(params, indent=1))
        self.vocab.save(out)
        (out / "tokenizer.json").write_text(json.dumps(self.config.to_dict(), indent=1))

    @classmethod
    def load(cls, path: Path | str, *, mmap: bool = False) -> BM25Index:
        """Load and check a saved index; ValueError naming the file when one is damaged.
        `mmap`: the score arrays stay on disk, shared by every process that maps them."""
        path = Path(path)
        with _reading("tokenizer.json"):
            config = TokenizerConfig.from_dict(json.loads((path / "tokenizer.json").read_text()))
        names, params_file = _SCORES_FILE, _PARAMS_FILE
        if not (path / params_file).is_file():
            names, params_file = _LEGACY_SCORES_FILE, _LEGACY_PARAMS_FILE
        with _reading(params_file):
            params = json.loads((path / params_file).read_text())
            n_docs = int(params.get("n_docs", params.get("num_docs", 0)))
        arrays = []
        for part in ("data", "indices", "indptr"):
            with _reading(names.format(part=part)):
                arrays.append(np.load(path / names.format(part=part), mmap_mode="r" if mmap else None))
        data, indices, indptr = arrays
        with _reading(f"{_VOCAB_FILE}, {_BIGRAMS_FILE}"):
            vocab = _Vocab.load(path)
        with _reading(names.format(part="*")):
            matrix = sp.csc_matrix((data, indices, indptr), shape=(n_docs, len(indptr) - 1))
        index = cls(config, vocab, matrix)
        index.check()
        return index

    def document_frequencies(self) -> np.ndarray:
        """How many documents hold each term (by term id)."""
        return np.diff(self._matrix.indptr).astype(np.float64)

    def check(self) -> None:
        """The score matrix and the vocabulary must fit each other, or a question's term ids would
        point outside the matrix (an IndexError on a citizen's question instead of at load)."""
        m, problems = self._matrix, []
        indptr, indices = m.indptr, m.indices
        if m.shape[1] != self.vocab.size:
            problems.append(f"{m.shape[1]} term columns for {self.vocab.size} terms")
        if len(indptr) == 0 or indptr[0] != 0 or indptr[-1] != len(indices):
            problems.append("the column pointers do not cover the stored scores")
        elif len(indptr) > 1 and bool(np.any(np.diff(indptr) < 0)):
            problems.append("the column pointers go backwards")
        if len(indices) and (int(indices.min()) < 0 or int(indices.max()) >= self.n_docs):
            problems.append(f"document numbers outside 0..{self.n_docs - 1}")
        for name, keys in (
            ("accented", self.vocab.bigram_keys),
            ("folded", self.vocab.folded_bigram_keys),
        ):
            if len(keys) > 1 and bool(np.any(np.diff(keys) <= 0)):
                problems.append(f"{_BIGRAMS_FILE} {name} keys are not sorted")
        if problems:
            raise ValueError(f"bm25 index is damaged: {'; '.join(problems)}")

    # ---- searching ------------------------------------------------------------------------
    def query_terms(self, query: str) -> dict[int, float]:
        """Term id -> query weight for a question (see TokenizerConfig for the weighting)."""
        cfg, voc = self.config, self.vocab
        text = strip_question_phrases(query) if cfg.drop_question_phrases else query
        stream = token_stream(text)
        if cfg.expand_abbreviations:
            stream = expand_abbreviations(stream)
        segments = [(stream, 1.0)]
        segments += [(token_stream(t), w) for t, w in query_expansions(query, cfg)]
        accented_query = query_has_accents(query)
        use_accented = cfg.accents == "accented" or (cfg.accents == "dual" and accented_query)
        use_folded = cfg.accents == "folded" or (cfg.accents == "dual")
        folded_w = cfg.folded_weight if (use_accented and cfg.accents == "dual") else 1.0
        weights: dict[int, float] = {}

        def add(term_ids: np.ndarray, offset: int, w: float) -> None:
            for t in term_ids[term_ids >= 0].tolist():
                weights[t + offset] = weights.get(t + offset, 0.0) + w

        accented = (voc.syl_index, voc.n_syl, voc.bigram_keys, 0, voc.off_bigram, 1.0, False)
        folded = (
            voc.fold_index,
            voc.n_fold,
            voc.folded_bigram_keys,
            voc.off_fold,
            voc.off_fold_bigram,
            folded_w,
            True,
        )
        for index, n_units, bigram_keys, off_uni, off_bi, kind_w, fold_it in (accented, folded):
            if (fold_it and not use_folded) or (not fold_it and not use_accented):
                continue
            for stream, seg_w in segments:
                w = kind_w * seg_w
                # -1: phrase break, -2: syllable unknown to the index (breaks no bigram: none exists).
                units = np.array(
                    [
                        index.get(strip_diacritics(t) if fold_it else t, -2) if t else -1
                        for t in stream
                    ],
                    dtype=np.int64,
                )
                add(units, off_uni, w)
                if cfg.bigrams and len(units) > 1:
                    pair = (units[:-1] >= 0) & (units[1:] >= 0)
                    wanted = units[:-1][pair] * n_units + units[1:][pair]
                    add(_Vocab.lookup(bigram_keys, wanted), off_bi, w * cfg.bigram_weight)
        return weights

    @property
    def restorer(self) -> DiacriticRestorer:
        """Diacritic restoration from this index's statistics (built on first use, ~0.1 s)."""
        if self._restorer is None:
            self._restorer = DiacriticRestorer(self)
        return self._restorer

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for a question (float32 array of length n_docs)."""
        weights = self.query_terms(query)
        if not weights:
            return np.zeros(self.n_docs, dtype=np.float32)
        terms = np.fromiter(weights.keys(), dtype=np.int64, count=len(weights))
        w = np.fromiter(weights.values(), dtype=np.float32, count=len(weights))
        # Columns of the (documents x terms) score matrix times the query weights, in C.
        return np.asarray(self._matrix[:, terms] @ w, dtype=np.float32).ravel()

    def search(self, query: str, k: int = 10) -> list[tuple[int, float]]:
        """Top-k (document position, score), best first; documents with score 0 are left out."""
        scores = self.scores(query)
        return top_k(scores, k)


def count_terms(
    documents: Iterable[Fields],
    config: TokenizerConfig,
    *,
    progress: bool = False,
    total: int | None = None,
) -> tuple[sp.csc_matrix, np.ndarray, _Vocab]:
    """Weighted term frequencies (documents x terms), weighted document lengths, and the vocabulary.

    Only the syllable lookup runs per token in Python; bigrams, folded forms and counting are
    vectorised (a bigram is the pair of syllable ids, so no bigram string is ever built).
    """
    raw_to_id: dict[str, int] = {}
    syllables: list[str] = []
    syl_index: dict[str, int] = {}

    def new_id(raw: str) -> int:
        if not raw[0].isalnum():
            raw_to_id[raw] = -1
            return -1
        canon = canonical_syllable(raw)
        sid = syl_index.get(canon)
        if sid is None:
            sid = syl_index[canon] = len(syllables)
            syllables.append(canon)
        raw_to_id[raw] = sid
        return sid

    ids: list[int] = []
    seg_len: list[int] = []
    seg_w: list[float] = []
    seg_doc: list[int] = []
    n_docs = 0
    for doc, fields in enumerate(
        tqdm(documents, total=total, desc="BM25 tokenize", unit="art", disable=not progress)
    ):
        n_docs = doc + 1
        for text, weight in fields:
            toks = raw_tokens(text)
            before = len(ids)
            ids.extend([raw_to_id[t] if t in raw_to_id else new_id(t) for t in toks])
            ids.append(-1)  # no bigram across fields or documents
            seg_len.append(len(ids) - before)
            seg_w.append(weight)
            seg_doc.append(doc)

    uni = np.array(ids, dtype=np.int64)
    pos_w = np.repeat(np.array(seg_w, dtype=np.float32), seg_len)
    pos_doc = np.repeat(np.array(seg_doc, dtype=np.int32), seg_len)
    del ids

    folded: list[str] = []
    fold_index: dict[str, int] = {}
    fold_of = np.empty(len(syllables), dtype=np.int64)
    for i, s in enumerate(syllables):
        f = strip_diacritics(s)
        fid = fold_index.get(f)
        if fid is None:
            fid = fold_index[f] = len(folded)
            folded.append(f)
        fold_of[i] = fid
    fol = np.where(uni >= 0, fold_of[np.maximum(uni, 0)], -1)

    n_syl, n_fold = len(syllables), len(folded)
    valid = uni >= 0
    doc_len = np.bincount(pos_doc[valid], weights=pos_w[valid], minlength=n_docs)

    parts_t: list[np.ndarray] = []
    parts_d: list[np.ndarray] = []
    parts_w: list[np.ndarray] = []
    bigram_keys = np.empty(0, dtype=np.int64)
    folded_bigram_keys = np.empty(0, dtype=np.int64)
    offset = 0
    want_accented = config.accents in ("dual", "accented")
    want_folded = config.accents in ("dual", "folded")
    for seq, n_units, wanted in ((uni, n_syl, want_accented), (fol, n_fold, want_folded)):
        keys = np.empty(0, dtype=np.int64)
        if wanted:
            parts_t.append(seq[valid] + offset)
            parts_d.append(pos_doc[valid])
            parts_w.append(pos_w[valid])
        offset += n_units
        if config.bigrams:
            pair = valid[:-1] & valid[1:]
            raw_keys = seq[:-1][pair] * n_units + seq[1:][pair]
            keys, inverse = np.unique(raw_keys, return_inverse=True)
            if wanted:
                parts_t.append(inverse.astype(np.int64) + offset)
                parts_d.append(pos_doc[:-1][pair])
                parts_w.append(pos_w[:-1][pair])
            offset += len(keys)
        if seq is uni:
            bigram_keys = keys
        else:
            folded_bigram_keys = keys
    vocab = _Vocab(syllables, folded, bigram_keys, folded_bigram_keys)
    assert offset == vocab.size

    tf = sp.csc_matrix(
        (np.concatenate(parts_w), (np.concatenate(parts_d), np.concatenate(parts_t))),
        shape=(n_docs, vocab.size),
        dtype=np.float32,
    )
    del parts_t, parts_d, parts_w
    tf.sum_duplicates()
    return tf, doc_len, vocab


def top_k(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """Indices and values of the k largest positive scores, best first."""
    k = min(k, len(scores))
    if k <= 0:
        return []
    part = np.argpartition(-scores, k - 1)[:k]
    order = part[np.argsort(-scores[part], kind="stable")]
    return [(int(i), float(scores[i])) for i in order if scores[i] > 0]


def bm25_scores(tf: sp.csc_matrix, doc_len: np.ndarray, config: TokenizerConfig) -> sp.csc_matrix:
    """Turn weighted term frequencies into BM25 scores (Lucene idf), same sparsity as `tf`."""
    n_docs = tf.shape[0]
    avg = float(doc_len.mean()) if n_docs else 1.0
    df = np.diff(tf.indptr).astype(np.float64)
    idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
    rows = tf.indices
    cols = np.repeat(np.arange(tf.shape[1], dtype=np.int64), np.diff(tf.indptr))
    norm = (config.k1 * (1 - config.b + config.b * doc_len / max(avg, 1e-9))).astype(np.float32)
    data = tf.data
    scores = idf[cols] * data * np.float32(config.k1 + 1) / (data + norm[rows])
    return sp.csc_matrix(
        (scores.astype(np.float32), rows.astype(np.int32), tf.indptr.astype(np.int64)), shape=tf.shape
    )


class DiacriticRestorer:
    """Puts diacritics back on a question typed without them, from the index's own statistics.

    Each diacritic-free syllable has the accented syllables of the corpus that fold to it as
    candidates ("nghi" -> nghỉ, nghị, nghĩ, nghi ...); a Viterbi pass picks the sequence whose
    adjacent pairs occur in most articles (bigram document frequencies of the BM25 index), with
    the syllables' own frequencies as back-off. Dense embedders read accented text far better.
    """

    def __init__(self, index: BM25Index, max_candidates: int = 8) -> None:
        voc = index.vocab
        self.index = index
        df = index.document_frequencies()
        self.syl_df = df[: voc.n_syl]
        self.bigram_df = df[voc.off_bigram : voc.off_bigram + len(voc.bigram_keys)]
        by_fold: dict[str, list[int]] = {}
        for sid, syl in enumerate(voc.syllables):
            by_fold.setdefault(strip_diacritics(syl), []).append(sid)
        self.candidates = {
            f: sorted(ids, key=lambda s: -self.syl_df[s])[:max_candidates]
            for f, ids in by_fold.items()
        }
        self.n_docs = max(index.n_docs, 1)

    def _bigram_df(self, prev: np.ndarray, cur: np.ndarray) -> np.ndarray:
        voc = self.index.vocab
        keys = prev[:, None] * voc.n_syl + cur[None, :]
        pos = _Vocab.lookup(voc.bigram_keys, keys.ravel())
        out = np.where(pos >= 0, self.bigram_df[np.maximum(pos, 0)], 0.0)
        return out.reshape(keys.shape)

    def restore(self, text: str) -> str:
        """'nghi phep nam' -> 'nghỉ phép năm' (syllables already accented, or unknown, are kept)."""
        if self.index.vocab.n_syl == 0:  # an empty index knows no syllable to restore
            return text
        out: list[str] = []
        phrase: list[str] = []
        for tok in [*token_stream(text), ""]:
            if tok:
                phrase.append(tok)
                continue
            out.extend(self._restore_phrase(phrase))
            phrase = []
        return " ".join(out)

    def _restore_phrase(self, phrase: list[str]) -> list[str]:
        voc = self.index.vocab
        result = list(phrase)
        positions = [i for i, t in enumerate(phrase) if strip_diacritics(t) == t]
        if not positions:
            return result
        # Candidates per position: the syllable itself when it already carries marks or is unknown.
        cands: list[np.ndarray] = []
        for t in phrase:
            if strip_diacritics(t) == t and t in self.candidates:
                cands.append(np.array(self.candidates[t], dtype=np.int64))
            else:
                sid = voc.syl_index.get(t)
                cands.append(np.array([sid if sid is not None else -1], dtype=np.int64))
        log_uni = [np.log1p(np.where(c >= 0, self.syl_df[np.maximum(c, 0)], 0.0)) for c in cands]
        score = 0.1 * log_uni[0]
        back: list[np.ndarray] = []
        for i in range(1, len(cands)):
            prev, cur = cands[i - 1], cands[i]
            known = (prev[:, None] >= 0) & (cur[None, :] >= 0)
            pair = np.where(known, self._bigram_df(np.maximum(prev, 0), np.maximum(cur, 0)), 0.0)
            trans = np.log1p(pair) + 0.1 * log_uni[i][None, :]
            total = score[:, None] + trans
            back.append(total.argmax(axis=0))
            score = total.max(axis=0)
        best = int(score.argmax())
        for i in range(len(cands) - 1, -1, -1):
            sid = int(cands[i][best])
            if sid >= 0 and strip_diacritics(phrase[i]) == phrase[i]:
                result[i] = voc.syllables[sid]
            if i > 0:
                best = int(back[i - 1][best])
        return result
