"""Ranking retrieved articles by how well one of their clauses answers the question, and the confidence of the best."""

from __future__ import annotations

from bot.core.clauses import Unit, score_units, terms, units
from bot.core.models import DocStatus, Passage


def rerank(question: str, passages: list[Passage], prior: float = 0.7, law_bonus: float = 0.1) -> tuple[list[Passage], float]:
    """Order passages by retrieval rank blended with their best clause's match; return (passages, confidence).

    Confidence in [0, 1] combines the share of the question's content words the best clause covers
    with how clearly the first article leads. The weights date from the first version (chosen by hand);
    the threshold that turns confidence into "answer" is calibrated on FAQ questions (scripts/calibrate.py).
    """
    if not passages:
        return [], 0.0
    q_uni, _ = terms(question)
    top_score = max(p.score for p in passages) or 1.0
    scored = []
    for rank, p in enumerate(passages):
        cands = [*units(p.text), Unit(None, None, p.title)]
        score_units(question, cands, (p.clause_no, None) if p.clause_no else None)
        best = max(cands, key=lambda u: u.score)
        cov = len(terms(best.text + " " + p.title)[0] & q_uni) / (len(q_uni) or 1)
        retrieval = p.score / top_score
        value = prior * retrieval + (1 - prior) * cov - 0.01 * rank
        if p.doc_type.casefold() in ("luật", "bộ luật"):
            value += law_bonus  # citizens' questions are mostly answered by the law itself, not its decrees
        if p.status == DocStatus.EXPIRED:
            value -= 2 * law_bonus  # a replaced text answers only when nothing in force does
        scored.append((value, cov, retrieval, p))
    scored.sort(key=lambda t: t[0], reverse=True)
    ranked = [t[3] for t in scored]
    best_value, best_cov = scored[0][0], scored[0][1]
    margin = best_value - (scored[1][0] if len(scored) > 1 else 0.0)
    confidence = max(0.0, min(1.0, 0.7 * best_cov + 1.5 * margin))
    return ranked, confidence
