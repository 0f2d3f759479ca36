"""Learned ranking of law-text candidates: BM25, FAQ expansion, heading similarity, document type.

Candidates are the BM25 top list, the articles cited by the FAQ questions closest to the question
(retrieval/expand.py) and, when the build has heading vectors, the dense top list. Each gets a
few features; a linear model fitted listwise (softmax over one question's candidates, the cited
articles as targets) orders them. The model is fitted by scripts/train_ranker.py on our own FAQ
questions only (never on an evaluation file) and stored as readable JSON (retrieval/ranker.json).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from retrieval.bm25_index import BM25Index, top_k
from retrieval.expand import FaqExpander
from retrieval.normalize import strip_diacritics
from retrieval.tokenize import strip_question_phrases, syllables
from retrieval.types import Article, Status

MODEL_FILE = Path(__file__).with_name("ranker.json")
DOC_META_FILE = "doc_meta.npz"
BM25_CANDIDATES = 50
DENSE_CANDIDATES = 20

# Static features of an article (computed once per build)
STATIC = ("type_law", "type_decree", "type_circular", "expired", "partly_expired", "not_yet", "general")
LEXICAL = ("bm25", "bm25_rr", "faq", "faq_rr", "faq_votes", "faq_vs_bm25", "title_cov", *STATIC)
DENSE = ("dense", "dense_gap")

_LAW_TYPES = {"luật", "bộ luật", "hiến pháp"}
_DECREE_TYPES = {"nghị định", "pháp lệnh", "nghị quyết"}
_CIRCULAR_TYPES = {"thông tư", "thông tư liên tịch", "quyết định", "chỉ thị"}
# Framing articles every law opens or closes with; they define scope, not rights or duties, so
# they rarely answer a citizen's question although they repeat the law's key words.
_GENERAL_TITLE = re.compile(
    r"^(phạm vi điều chỉnh|đối tượng áp dụng|giải thích từ ngữ|hiệu lực thi hành|trách nhiệm thi hành"
    r"|điều khoản thi hành|quy định chuyển tiếp|điều khoản chuyển tiếp|tổ chức thực hiện|hiệu lực)\b",
    re.IGNORECASE,
)


def static_features(article: Article) -> list[float]:
    """Values of STATIC for one article."""
    kind = (article.doc_type or "").casefold()
    title = " ".join((article.title or "").split()).casefold()
    return [
        float(kind in _LAW_TYPES),
        float(kind in _DECREE_TYPES),
        float(kind in _CIRCULAR_TYPES),
        float(article.status == Status.EXPIRED),
        float(article.status == Status.PARTLY_EXPIRED),
        float(article.status == Status.NOT_YET_IN_FORCE),
        float(bool(_GENERAL_TITLE.match(title))),
    ]


@dataclass
class DocMeta:
    """Per BM25 position: STATIC features and the folded syllable ids of its title and đề mục."""

    static: np.ndarray  # (n_docs, len(STATIC)) float32
    title_ptr: np.ndarray  # CSR pointers into title_ids
    title_ids: np.ndarray  # folded syllable ids of the BM25 vocabulary

    @classmethod
    def from_articles(cls, articles: Sequence[Article], bm25: BM25Index) -> DocMeta:
        fold_index = bm25.vocab.fold_index
        ptr, ids, rows = [0], [], []
        for a in articles:
            rows.append(static_features(a))
            own = {fold_index[f] for f in (strip_diacritics(s) for s in syllables(f"{a.title} {a.subtopic}")) if f in fold_index}
            ids.extend(sorted(own))
            ptr.append(len(ids))
        return cls(np.array(rows, dtype=np.float32).reshape(len(articles), len(STATIC)),
                   np.array(ptr, dtype=np.int64), np.array(ids, dtype=np.int32))

    def save(self, path: Path) -> None:
        np.savez(path, static=self.static, title_ptr=self.title_ptr, title_ids=self.title_ids)

    @classmethod
    def load(cls, path: Path) -> DocMeta:
        with np.load(path) as data:
            return cls(data["static"], data["title_ptr"], data["title_ids"])


@dataclass
class LinearModel:
    """score = ((x - mean) / scale) . weights, over the named features."""

    features: tuple[str, ...]
    weights: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    info: dict[str, object] = field(default_factory=dict)

    def score(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(((x - self.mean) / self.scale) @ self.weights, dtype=np.float64)

    def to_dict(self) -> dict[str, object]:
        return {
            "features": list(self.features),
            "weights": [round(float(w), 6) for w in self.weights],
            "mean": [round(float(m), 6) for m in self.mean],
            "scale": [round(float(s), 6) for s in self.scale],
            "info": self.info,
        }

    @classmethod
    def from_dict(cls, data: dict) -> LinearModel:
        return cls(tuple(data["features"]), np.array(data["weights"], dtype=np.float64),
                   np.array(data["mean"], dtype=np.float64), np.array(data["scale"], dtype=np.float64),
                   dict(data.get("info", {})))


def load_models(path: Path | str = MODEL_FILE) -> dict[str, LinearModel]:
    """The fitted models by name ("lexical", "dense"); {} when the file does not exist."""
    p = Path(path)
    if not p.is_file():
        return {}
    return {name: LinearModel.from_dict(m) for name, m in json.loads(p.read_text("utf-8")).items()}


def fit_listwise(groups: Sequence[tuple[np.ndarray, np.ndarray]], features: Sequence[str], *,
                 l2: float = 1e-3, iterations: int = 400, lr: float = 0.05) -> LinearModel:
    """Fit weights maximising, per question, the softmax probability of its gold candidates.

    `groups`: (features of the candidates, boolean gold mask) per question; questions with no
    gold candidate are skipped. Full-batch Adam on standardised features (deterministic)."""
    groups = [(x, y) for x, y in groups if y.any() and len(y) > 1]
    x = np.concatenate([g[0] for g in groups]).astype(np.float64)
    y = np.concatenate([g[1] for g in groups]).astype(bool)
    starts = np.cumsum([0] + [len(g[1]) for g in groups])[:-1]
    sizes = np.array([len(g[1]) for g in groups])
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    xs = (x - mean) / scale
    w = np.zeros(x.shape[1])
    m, v = np.zeros_like(w), np.zeros_like(w)
    b1, b2 = 0.9, 0.999
    for t in range(1, iterations + 1):
        z = xs @ w
        z = z - np.repeat(np.maximum.reduceat(z, starts), sizes)
        e = np.exp(z)
        p = e / np.repeat(np.add.reduceat(e, starts), sizes)
        pg = np.where(y, p, 0.0)
        q = pg / np.repeat(np.add.reduceat(pg, starts), sizes)
        grad = xs.T @ (p - q) / len(groups) + l2 * w
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad**2
        w -= lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + 1e-8)
    return LinearModel(tuple(features), w, mean, scale, {"questions": len(groups)})


@dataclass
class Candidates:
    """One question's candidates (BM25 positions), their features and component scores."""

    docs: np.ndarray
    x: np.ndarray  # (len(docs), len(features))
    features: tuple[str, ...]
    sparse: np.ndarray
    dense: np.ndarray


class Ranker:
    """Candidates and features for a question over one build; scores them with a LinearModel."""

    def __init__(self, bm25: BM25Index, meta: DocMeta, expander: FaqExpander | None = None,
                 models: dict[str, LinearModel] | None = None) -> None:
        self.bm25 = bm25
        self.meta = meta
        self.expander = expander
        self.models = models or {}
        voc = bm25.vocab
        df = bm25.document_frequencies()[voc.off_fold: voc.off_fold + voc.n_fold]
        self.fold_idf = np.log1p((bm25.n_docs - df + 0.5) / (df + 0.5))

    def _title_cov(self, query: str, docs: np.ndarray) -> np.ndarray:
        """idf-weighted share of the question's syllables found in each candidate's title/đề mục."""
        fold_index = self.bm25.vocab.fold_index
        q = {fold_index[f] for f in (strip_diacritics(s) for s in syllables(strip_question_phrases(query))) if f in fold_index}
        if not q:
            return np.zeros(len(docs))
        q_ids = np.fromiter(q, dtype=np.int64)
        total = float(self.fold_idf[q_ids].sum()) or 1.0
        # all candidates' title ids at once (one isin, one bincount: ~60 candidates in well under 1 ms)
        starts, ends = self.meta.title_ptr[docs], self.meta.title_ptr[docs + 1]
        lengths = ends - starts
        if not lengths.sum():
            return np.zeros(len(docs))
        idx = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()))
        ids = self.meta.title_ids[idx]
        owner = np.repeat(np.arange(len(docs)), lengths)
        hit = np.isin(ids, q_ids)
        return np.bincount(owner[hit], weights=self.fold_idf[ids[hit]], minlength=len(docs)) / total

    def candidates(self, query: str, sparse: np.ndarray, *, dense_top: tuple[np.ndarray, np.ndarray] | None = None,
                   dense_of: object = None, exclude_entry: str | None = None) -> Candidates:
        """Features of the BM25 top list, the FAQ-cited articles and the dense top list.

        `dense_top`: (scores, ids) of the heading search; `dense_of(rows)`: cosines for others."""
        bm_top = top_k(sparse, BM25_CANDIDATES)
        faq: dict[int, tuple[float, int, float]] = {}
        faq_max = 0.0
        if self.expander is not None and len(self.expander):
            qs = self.expander.question_scores(query)
            faq = self.expander.article_scores(qs, exclude_entry=exclude_entry)
            faq_max = max((f[0] for f in faq.values()), default=0.0)
        docs_list = [d for d, _ in bm_top]
        seen = set(docs_list)
        for d in faq:
            if d not in seen:
                seen.add(d)
                docs_list.append(d)
        with_dense = dense_top is not None and dense_of is not None
        if with_dense:
            assert dense_top is not None
            for d in dense_top[1][: DENSE_CANDIDATES].tolist():
                if d >= 0 and d not in seen:
                    seen.add(d)
                    docs_list.append(d)
        docs = np.array(docs_list, dtype=np.int64)
        s = sparse[docs].astype(np.float64) if len(docs) else np.zeros(0)
        s_max = float(s.max()) if len(s) else 0.0
        order = np.argsort(-s, kind="stable")
        rank = np.empty(len(docs))
        rank[order] = np.arange(1, len(docs) + 1)
        none = (0.0, 0, 0.0)
        f_score = np.array([faq.get(d, none)[0] for d in docs_list], dtype=np.float64)
        f_rank = np.array([faq.get(d, none)[1] for d in docs_list], dtype=np.float64)
        f_votes = np.array([faq.get(d, none)[2] for d in docs_list], dtype=np.float64)
        cols: dict[str, np.ndarray] = {
            "bm25": s / s_max if s_max > 0 else np.zeros(len(docs)),
            "bm25_rr": 1.0 / rank,
            "faq": f_score / faq_max if faq_max > 0 else np.zeros(len(docs)),
            "faq_rr": np.where(f_rank > 0, 1.0 / np.maximum(f_rank, 1), 0.0),
            "faq_votes": f_votes,
            # how closely the citing FAQ question matches, against the best article match
            "faq_vs_bm25": np.where(f_score > 0, np.log1p(f_score) - np.log1p(s_max), 0.0),
            "title_cov": self._title_cov(query, docs),
        }
        static = self.meta.static[docs] if len(docs) else np.zeros((0, len(STATIC)))
        for j, name in enumerate(STATIC):
            cols[name] = static[:, j].astype(np.float64)
        dense = np.zeros(len(docs))
        names: tuple[str, ...] = LEXICAL
        if with_dense:
            dense = np.asarray(dense_of(docs), dtype=np.float64) if len(docs) else dense  # type: ignore[operator]
            cols["dense"] = dense
            cols["dense_gap"] = dense - (float(dense.max()) if len(dense) else 0.0)
            names = LEXICAL + DENSE
        x = np.column_stack([cols[n] for n in names]) if len(docs) else np.zeros((0, len(names)))
        return Candidates(docs, x, names, s, dense)

    @property
    def has_dense(self) -> bool:
        """Whether a model using heading similarity is fitted (else dense hits are not candidates)."""
        return "dense" in self.models

    def model_for(self, cands: Candidates) -> LinearModel | None:
        model = self.models.get("dense" if "dense" in cands.features else "lexical")
        return model if model is not None and model.features == cands.features else None

    def rank(self, cands: Candidates, k: int) -> list[tuple[int, float, float, float]]:
        """Top-k (BM25 position, probability among the candidates, BM25 score, dense score)."""
        model = self.model_for(cands)
        if model is None or len(cands.docs) == 0:
            return []
        z = model.score(cands.x)
        p = np.exp(z - z.max())
        p /= p.sum()
        order = np.argsort(-p, kind="stable")[:k]
        return [(int(cands.docs[i]), float(p[i]), float(cands.sparse[i]), float(cands.dense[i])) for i in order]


def load_ranker(build_dir: Path, bm25: BM25Index) -> Ranker | None:
    """The ranking stage of a build (`<build>/ranking/`), or None when it has none or no model."""
    folder = build_dir / "ranking"
    if not (folder / DOC_META_FILE).is_file():
        return None
    models = load_models(folder / "ranker.json")
    if not models:
        return None
    expansions = folder / "faq_expansions.jsonl"
    expander = FaqExpander.load(expansions) if expansions.is_file() else None
    return Ranker(bm25, DocMeta.load(folder / DOC_META_FILE), expander, models)
