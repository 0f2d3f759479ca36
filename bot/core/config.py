"""Thresholds, limits and contact details the assistant needs (built by the composition root from Settings)."""

from __future__ import annotations

from dataclasses import dataclass, fields

from bot.core.confidence import ConfidenceModel
from bot.core.faq_pick import FaqPicker


@dataclass(frozen=True)
class AssistantConfig:
    # Answer confidence (bot/core/confidence.py: the fitted model's probability, or without a model the
    # writer's own confidence) below which the bot says it is unsure.
    answer_threshold: float = 0.62
    # FAQ match probability (FaqMatch.score, [0, 1]) at or above which a vetted FAQ answers ...
    faq_threshold: float = 0.5
    # ... or, lower, when one of the FAQ's cited articles is also among the top `faq_agree_k` retrieved.
    # 0.4: chosen on answers_train scored by a matcher fitted without it (out of sample), the most sure
    # answers with confident wrong ones under 2.5 % (0.35: 2.6 %, 0.3: 5.2 %); the serving matcher is then
    # fitted on it too (docs/benchmarks.md, "Second pass on understanding")
    faq_agree_threshold: float = 0.4
    faq_agree_k: int = 10
    # Fitted on our own citizen questions (`lawbot train faq`): which FAQ candidate answers and whether
    # to be sure, from the match, its answer's sentences and law retrieval; it replaces the two
    # thresholds above whenever the FAQ search gives the features it reads (None: the thresholds decide).
    faq_picker: FaqPicker | None = None
    # When nothing answers, FAQ questions at or above this are offered as taps ("1", "2", "3").
    faq_suggest_threshold: float = 0.15
    top_k: int = 10  # articles retrieved
    cite_k: int = 3  # articles quoted in an answer
    low_confidence_k: int = 2  # articles listed as "có thể liên quan" (only above relevance_floor)
    # Retrieval confidence below which no article is shown at all: an honest "not sure", close FAQ
    # questions to tap and the offer of a person.
    relevance_floor: float = 0.3
    # Fitted on our own citizen questions (scripts/calibrate.py); None: the writer's confidence decides.
    confidence: ConfidenceModel | None = None
    max_input_chars: int = 2000  # longer messages: only the first part is read
    negative_feedback_limit: int = 2  # 👎 in a row that hand the chat to a person
    # (follow-ups are told from new questions in bot/core/followup.py, from the message's own signals)
    retention_days: int = 365
    legal_aid_contact: str = "Trung tâm Trợ giúp pháp lý nhà nước của tỉnh"
    hotline: str = "do Sở Tư pháp tỉnh công bố"
    crisis_line: str = "cấp cứu 115, hoặc một người thân mà bạn tin tưởng"

    @classmethod
    def from_settings(cls, settings: object, **overrides: object) -> AssistantConfig:
        """Copy the same-named attributes of any settings object (bot.settings.Settings), plus overrides."""
        # an unset (None) setting keeps the default here; the composition root passes fitted values
        values = {f.name: getattr(settings, f.name) for f in fields(cls)
                  if getattr(settings, f.name, None) is not None}
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
