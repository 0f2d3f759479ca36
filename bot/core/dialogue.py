"""Dialogue policy: what a message is given the conversation's state (command, consent, pick, question), and where it goes.

The state lives in `ConversationState`; these are its transitions:

| state                       | entered by                                      | left by                                  |
|-----------------------------|-------------------------------------------------|------------------------------------------|
| on a subject (last_question)| an answer or a clarification                    | an escalation, a refusal, a vague message, /moi |
| choosing (suggestions)      | "not sure" offering vetted questions            | a pick, the next question answered, /moi |
| awaiting consent (pending_ticket_id) | an escalation, /canbo, repeated 👎     | yes / no (typed, tapped or /dongy /khong)|
| with staff (open_ticket_id) | an escalation, /canbo, repeated 👎              | staff resolving the ticket (seen on the next message), /moi |
| taking a quiz (an unfinished attempt, kept by the QuizBook) | /thi            | the last answer, staff closing the quiz, a day passing |

`read` decides what one text is (`Step`), in a fixed order; `Dialogue.respond` carries it out.
"""

from __future__ import annotations

import copy
import logging
import re
from dataclasses import dataclass
from enum import StrEnum

from bot.core import followup, texts
from bot.core.answering import ANSWER_STATE, Answering, forget_subject
from bot.core.clean import Cleaned, clean_message, cue_form
from bot.core.config import AssistantConfig
from bot.core.escalation import Escalation
from bot.core.models import ButtonAction, Category, IncomingMessage, Reply, ReplyKind
from bot.core.places import PlaceDialogue
from bot.core.ports import ConversationState, ConversationStore, FaqMatch, IntentModel, IntentScores
from bot.core.quiz import CHOICES, QuizPolicy
from bot.core.replies import FAQ_PICKS, HUMAN_BUTTON, fill
from bot.core.subscriptions import COMMAND_WORDS as SUBSCRIPTION_WORDS
from bot.core.subscriptions import COMMANDS as SUBSCRIPTION_COMMANDS
from bot.core.subscriptions import Subscriptions, command_reply
from bot.core.triage import TriageResult, Verdict, asks_for_information, triage

log = logging.getLogger(__name__)

# Commands: the slash form on every channel, and the same thing typed in words.
_COMMANDS = {
    "start": "start", "batdau": "start", "help": "help", "trogiup": "help", "huongdan": "help",
    "chude": "chude", "topics": "chude", "canbo": "canbo", "moi": "moi", "new": "moi",
    "xoadulieu": "xoadulieu", "dongy": "dongy", "khong": "khong", "khongdongy": "khong",
    "thi": "thi", "quiz": "thi", "cuocthi": "thi",
    "noio": "noio", "diaban": "noio", "xaphuong": "noio", **SUBSCRIPTION_COMMANDS,
}
_COMMAND_WORDS = {
    "gap can bo": "canbo", "gap nguoi": "canbo", "gap nguoi that": "canbo", "noi chuyen voi can bo": "canbo",
    "gap can bo tu van": "canbo", "gap luat su": "canbo", "can bo": "canbo", "chuyen can bo": "canbo",
    "chu de": "chude", "cac chu de": "chude", "danh sach chu de": "chude",
    "xoa du lieu": "xoadulieu", "xoa du lieu cua toi": "xoadulieu", "xoa het du lieu": "xoadulieu",
    "xoa thong tin cua toi": "xoadulieu",
    "bat dau lai": "moi", "cau hoi moi": "moi", "hoi cau khac": "moi", "bat dau": "start",
    "tro giup": "help", "huong dan su dung": "help", "menu": "help",
    "doi noi o": "noio", "noi o cua toi": "noio", "doi xa phuong": "noio", **SUBSCRIPTION_WORDS,
}
_POLITE = re.compile(r"^(?:toi |em |minh |tui )?(?:muon |can |xin |cho (?:toi |em |minh )?)?(?P<core>.*?)(?: (?:a|nhe|nha|voi|di|giup|giup toi|giup em))*$")
# One of the offered questions by its number, as citizens type it: "2", "2.", "câu 2", "số 1 ạ", "cái thứ 3"
# (after a "not sure" the next message is often this, not a new question).
_PICK = re.compile(r"^(?:(?:cau|so|cai|y|muc)(?: thu)? |thu )?([123])(?: (?:a|nhe|nha|di|a ban))?$")
_YES = frozenset({"co", "dong y", "ok", "oke", "okay", "vang", "u", "uh", "duoc", "yes", "dong y a", "co a", "vang a", "toi dong y", "em dong y"})
_NO = frozenset({"khong", "ko", "k", "khong dong y", "thoi", "khong a", "no", "khong can", "toi khong dong y", "tu choi"})
_SMALLTALK_HELLO = re.compile(r"^ ?(xin chao|chao|hello|hi|alo|hey|chao ban|chao bot|bot oi|ad oi|admin oi)( ban| bot| ad| em| anh| chi| a)?( oi)? ?$")
_SMALLTALK_THANKS = re.compile(r"^ ?(cam on|thank|thanks|tks|thank you|ok|oke|okay|da|vang|hieu roi|ok cam on|cam on nhieu)( ban| bot| nhe| nha| nhieu| a| em| anh| chi)* ?$")
_FEEDBACK_TEXT = {"👍": True, "👎": False, "👍🏻": True, "👎🏻": False}
_OUT_OF_SCOPE = {"politics": texts.POLITICAL, "about_bot": texts.ABOUT_BOT, "health": texts.OUT_OF_SCOPE_HEALTH}
_BAD_INPUT = {
    "injection": (ReplyKind.REFUSED, texts.INJECTION),
    "spam": (ReplyKind.REFUSED, texts.SPAM),
    "phishing": (ReplyKind.REFUSED, texts.PHISHING),
    "html": (ReplyKind.CLARIFY, texts.HTML_ONLY),
    "empty": (ReplyKind.CLARIFY, texts.EMPTY),
}


class Step(StrEnum):
    """What one incoming text is; `read` checks them in this order (the first that fits wins)."""

    FEEDBACK = "feedback"  # 👍 / 👎 typed as a message
    COMMAND = "command"  # /start, /moi, "gặp cán bộ", "xóa dữ liệu của tôi ạ"
    CONSENT = "consent"  # yes / no, only while a ticket awaits consent
    PICK = "pick"  # "1", "2", "3", only while vetted questions are offered
    MESSAGE = "message"  # anything else: triage, then the open ticket, a follow-up or a new question


@dataclass(frozen=True)
class Read:
    step: Step
    command: str = ""  # Step.COMMAND: the command's name
    yes: bool = False  # Step.FEEDBACK: 👍; Step.CONSENT: yes
    pick: int = -1  # Step.PICK: index of the offered question


def read(text: str, state: ConversationState) -> Read:
    """What `text` is, given the state of the conversation."""
    stripped = text.strip()
    if stripped in _FEEDBACK_TEXT:
        return Read(Step.FEEDBACK, yes=_FEEDBACK_TEXT[stripped])
    command = command_of(text)
    if command is not None:
        return Read(Step.COMMAND, command=command)
    if state.pending_ticket_id is not None:
        answer = cue_form(stripped).replace("?", " ").strip()
        if answer in _YES or answer in _NO:
            return Read(Step.CONSENT, yes=answer in _YES)
    pick = _PICK.match(cue_form(stripped).replace("?", " ").strip()) if state.suggestions else None
    if pick is not None:
        return Read(Step.PICK, pick=int(pick.group(1)) - 1)
    return Read(Step.MESSAGE)


class Dialogue:
    """Carries out one step of a conversation through the answering and escalation policies."""

    def __init__(self, conversations: ConversationStore, answering: Answering, escalation: Escalation,
                 config: AssistantConfig, intent: IntentModel | None = None,
                 quizzes: QuizPolicy | None = None, places: PlaceDialogue | None = None,
                 subscriptions: Subscriptions | None = None) -> None:
        self.places = places
        self.subscriptions = subscriptions  # /dangky, /huydangky (bot/core/subscriptions.py)
        self.conversations = conversations
        self.quizzes = quizzes
        self.answering = answering
        self.escalation = escalation
        self.config = config
        self.intent = intent

    def respond(self, msg: IncomingMessage, state: ConversationState,
                max_chars: int) -> tuple[Reply, ConversationState]:
        raw = msg.text or ""
        got = read(raw, state)
        if got.step == Step.FEEDBACK:
            return self._feedback(msg, state, got.yes, max_chars), state
        if got.step == Step.COMMAND:
            return self._command(got.command, msg, state, max_chars)
        placed = self.places.intercept(msg, state) if self.places is not None else None
        if placed is not None:  # the answer to "which commune are you in?"
            return placed, state
        if self.subscriptions is not None and (chosen := self.subscriptions.choice(msg, state)) is not None:
            return chosen, state  # the topics picked from the /dangky menu
        if got.step == Step.CONSENT:
            return self.escalation.consent(state, got.yes), state
        if self.quizzes is not None:  # a lone "A"-"D" while a quiz is open answers it
            answered = self.quizzes.typed_answer(msg.channel, msg.user_id, raw)
            if answered is not None:
                return answered, state
        if got.step == Step.PICK:
            return self.answering.pick_suggestion(got.pick, state, max_chars), state
        return self._message(msg, state, max_chars), state

    def button(self, msg: IncomingMessage, state: ConversationState, action: ButtonAction,
               max_chars: int, ref: str | None = None) -> tuple[Reply, ConversationState]:
        """A button under an earlier reply: 👍 / 👎 / Gặp cán bộ / an offered question / consent yes-no."""
        if action in (ButtonAction.FEEDBACK_UP, ButtonAction.FEEDBACK_DOWN):
            return self._feedback(msg, state, action == ButtonAction.FEEDBACK_UP, max_chars), state
        if action == ButtonAction.HUMAN:
            return self.escalation.human(msg, state, Category.HUMAN_REQUEST, texts.HUMAN_REQUESTED, max_chars), state
        if action in FAQ_PICKS:
            return self.answering.pick_suggestion(FAQ_PICKS.index(action), state, max_chars, ref), state
        if action in CHOICES:
            if self.quizzes is None:
                return Reply(ReplyKind.INFO, texts.QUIZ_CLOSED), state
            return self.quizzes.answer(msg.channel, msg.user_id, CHOICES.index(action), ref), state
        return self.escalation.consent(state, action == ButtonAction.CONSENT_YES), state

    # ------------------------------------------------------------------------------------------
    # a message

    def _message(self, msg: IncomingMessage, state: ConversationState, max_chars: int) -> Reply:
        raw = msg.text or ""
        cleaned = clean_message(raw, self.config.max_input_chars)
        own = self.answering.faq_search(cleaned.text)
        standalone = self.answering.standalone(cleaned.text, state, own)
        # "còn làm nghề nặng nhọc thì sao" means nothing alone: the model reads it with its subject
        # (the cues still read the message itself, so danger in a follow-up is never diluted)
        about = standalone or cleaned.text
        # the best FAQ match is evidence of a legal question: a short question the model misreads as
        # small talk is not refused when the vetted FAQ knows it
        faq = max((m.score for m in own), default=0.0)
        result = triage(raw[: self.config.max_input_chars * 2], cleaned.text,
                        had_html=cleaned.had_html, had_url=cleaned.had_url, intent=self._intent(about), faq=faq)
        subject = self.answering.subject(state) if standalone is None and result.verdict == Verdict.OUT_OF_SCOPE else None
        if subject is not None and followup.leans_on(cleaned.text):
            # "có bị trừ điểm không" alone reads as small talk; with the subject it is a question about it
            rewritten = followup.rewrite(cleaned.text, subject)
            again = triage(raw[: self.config.max_input_chars * 2], cleaned.text, had_html=cleaned.had_html,
                           had_url=cleaned.had_url, intent=self._intent(rewritten), faq=faq)
            if again.verdict == Verdict.ANSWER:
                result, standalone = again, rewritten
        if result.verdict != Verdict.BAD_INPUT:
            attached = self.escalation.attach(state, result, max_chars)
            if attached is not None:
                return self._answered_beside(attached, state, cleaned, result, max_chars, own, standalone)
        reply = self._route(msg, state, cleaned, result, max_chars, own, standalone)
        notes = []
        if cleaned.truncated and reply.kind != ReplyKind.ESCALATED:
            notes.append(texts.TRUNCATED_INPUT)
        if cleaned.had_pii and reply.kind in (ReplyKind.ANSWER, ReplyKind.CLARIFY, ReplyKind.INFO):
            notes.append(texts.PII_WARNING)
        if notes:
            joined = "\n".join(notes) + "\n\n" + reply.text
            if len(joined) <= max_chars:
                reply.text = joined
        return reply

    def _answered_beside(self, attached: Reply, state: ConversationState, cleaned: Cleaned, result: TriageResult,
                         max_chars: int, own: list[FaqMatch], standalone: str | None) -> Reply:
        """A question on the law sent while a ticket is open reaches staff, and a vetted FAQ answer the bot is
        sure of is given beside it: the citizen need not wait for staff to learn a general rule ("lãi tối đa
        bao nhiêu" while a loan-shark case waits). Anything else (a detail of the case, a danger, a question
        the FAQ does not answer surely) only goes to the ticket."""
        if (result.verdict != Verdict.ANSWER or attached.urgent
                or not asks_for_information(cue_form(cleaned.text), result)):
            return attached
        head = texts.ATTACHED_AND_ANSWERED.format(ticket_id=attached.ticket_id)
        # answering sets the subject and the FAQ questions offered as "1", "2", "3": an answer not sent
        # must leave them as they were
        kept = {name: copy.copy(getattr(state, name)) for name in ANSWER_STATE}
        answer = self.answering.answer(state, cleaned, own, standalone, max_chars - len(head) - 2)
        if answer.kind != ReplyKind.ANSWER or answer.low_confidence or state.last_faq_id is None:
            for name, value in kept.items():
                setattr(state, name, value)
            return attached
        return Reply(ReplyKind.INFO, f"{head}\n\n{answer.text}", answer.citations, ticket_id=attached.ticket_id,
                     sources=answer.sources, confidence=answer.confidence)

    def _intent(self, text: str) -> IntentScores | None:
        if self.intent is None or not text.strip():
            return None
        try:
            return self.intent.predict(text)
        except Exception:  # the rules still triage; a model failure must not cost the citizen a reply
            log.exception("intent model failed")
            return None

    def _route(self, msg: IncomingMessage, state: ConversationState, cleaned: Cleaned, result: TriageResult,
               max_chars: int, own: list[FaqMatch], standalone: str | None) -> Reply:
        if result.verdict != Verdict.ANSWER:
            forget_subject(state)  # an escalation or a refusal ends the subject
        if result.verdict == Verdict.BAD_INPUT:
            kind, text = _BAD_INPUT.get(result.category, (ReplyKind.CLARIFY, texts.NOT_UNDERSTOOD))
            return Reply(kind, text)
        if result.verdict == Verdict.ESCALATE:
            return self.escalation.escalate(msg, state, cleaned.text, cleaned.query, result, max_chars)
        if result.verdict == Verdict.OUT_OF_SCOPE:
            return Reply(ReplyKind.REFUSED, _OUT_OF_SCOPE.get(result.category, texts.OUT_OF_SCOPE))
        folded = cue_form(cleaned.text)
        if _SMALLTALK_HELLO.match(folded):
            return Reply(ReplyKind.INFO, texts.SMALLTALK_HELLO)
        if _SMALLTALK_THANKS.match(folded):
            return Reply(ReplyKind.INFO, texts.SMALLTALK_THANKS)
        return self.answering.answer(state, cleaned, own, standalone, max_chars)

    # ------------------------------------------------------------------------------------------
    # commands, feedback

    def _command(self, command: str, msg: IncomingMessage, state: ConversationState,
                 max_chars: int) -> tuple[Reply, ConversationState]:
        if command == "start":
            return Reply(ReplyKind.INFO, fill(self.config, texts.GREETING)), state
        if command == "chude":
            return Reply(ReplyKind.INFO, self._topics()), state
        if command == "canbo":
            return self.escalation.human(msg, state, Category.HUMAN_REQUEST, texts.HUMAN_REQUESTED, max_chars), state
        if command == "moi":
            self.conversations.reset(msg.channel, msg.user_id, msg.chat_id)
            state = self.conversations.load(msg.channel, msg.user_id, msg.chat_id)
            return Reply(ReplyKind.INFO, texts.NEW_CONVERSATION), state
        if command == "xoadulieu":
            return Reply(ReplyKind.INFO, texts.DATA_DELETED, erase_user_data=True), state
        if command in ("dongy", "khong"):
            return self.escalation.consent(state, command == "dongy"), state
        if command in ("dangky", "huydangky"):
            return command_reply(self.subscriptions, command, msg, state), state
        if command == "noio" and self.places is not None:
            return self.places.command(msg, state), state
        if command == "thi":
            if self.quizzes is None:
                return Reply(ReplyKind.INFO, texts.QUIZ_NONE), state
            return self.quizzes.command(msg.channel, msg.user_id, msg.text or ""), state
        return Reply(ReplyKind.INFO, fill(self.config, texts.HELP)), state  # "help" and anything unknown

    def _topics(self) -> str:
        topics = list(texts.DEFAULT_TOPICS)
        known = {cue_form(t) for t in topics}
        for t in dict.fromkeys(e.topic for e in self.answering.entries()):
            if t and not any(cue_form(t).strip() in k for k in known):
                topics.append(t)
        return "\n".join([texts.TOPICS_HEAD, *[f"• {t}" for t in topics], texts.TOPICS_TAIL])

    def _feedback(self, msg: IncomingMessage, state: ConversationState, positive: bool, max_chars: int) -> Reply:
        streak = self.conversations.record_feedback(msg.channel, msg.user_id, msg.chat_id, positive)
        state.negative_feedback = 0 if positive else streak
        if positive:
            return Reply(ReplyKind.INFO, texts.FEEDBACK_THANKS)
        if streak >= self.config.negative_feedback_limit:
            return self.escalation.human(msg, state, Category.NEGATIVE_FEEDBACK, texts.NEGATIVE_FEEDBACK_ESCALATE,
                                         max_chars)
        return Reply(ReplyKind.INFO, texts.FEEDBACK_SORRY, buttons=list(HUMAN_BUTTON))


def command_of(text: str) -> str | None:
    """'/start', '/start@LawBot payload', 'gặp cán bộ', 'Xóa dữ liệu của tôi ạ' -> the command name."""
    stripped = (text or "").strip()
    if stripped.startswith("/"):
        word = stripped[1:].split(maxsplit=1)[0].split("@", 1)[0] if len(stripped) > 1 else ""
        return _COMMANDS.get(cue_form(word).replace(" ", ""), "help" if word else None)
    folded = cue_form(stripped).replace("?", " ").strip()
    if len(folded) > 40:
        return None
    if folded in _COMMAND_WORDS:
        return _COMMAND_WORDS[folded]
    m = _POLITE.match(folded)
    core = (m.group("core") or "").strip() if m else folded
    return _COMMAND_WORDS.get(core)
