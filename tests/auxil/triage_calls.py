"""Triage called as the dialogue calls it: on the cleaned message, with or without a model's reading (own test texts)."""

from __future__ import annotations

from bot.core.clean import clean_message
from bot.core.ports import IntentScores
from bot.core.triage import TriageResult, triage


def run(text: str) -> TriageResult:
    """Triage by the cues alone (no sentence model configured)."""
    c = clean_message(text)
    return triage(text, c.text, had_html=c.had_html, had_url=c.had_url)


def judge(text: str, *, answer: float = 0.0, escalate: float = 0.0, urgent: float = 0.0, out: float = 0.0,
          category: str = "", legal: float | None = None, faq: float = 0.0) -> TriageResult:
    """Triage with the model reading the given probabilities (category at 0.6), the closest legal-question
    cosine `legal` and the best FAQ match `faq`."""
    c = clean_message(text)
    scores = IntentScores({"answer": answer, "escalate": escalate, "urgent": urgent, "out_of_scope": out},
                          category, 0.6, legal)
    return triage(text, c.text, had_html=c.had_html, had_url=c.had_url, intent=scores, faq=faq)
