"""The assistant: commands, triage, FAQ first, cited answers, follow-ups, escalation with consent, feedback."""

from __future__ import annotations

import dataclasses
import logging
import re
import uuid

from bot.core import followup, texts
from bot.core.clean import Cleaned, clean_message, cue_form, legal_terms
from bot.core.config import AssistantConfig
from bot.core.models import (
    Button,
    ButtonAction,
    Channel,
    Citation,
    IncomingMessage,
    Passage,
    Reply,
    ReplyKind,
    Urgency,
)
from bot.core.pii import mask_pii
from bot.core.ports import (
    AnswerWriter,
    ConversationState,
    ConversationStore,
    FaqEntry,
    FaqMatch,
    FaqSearch,
    IntentModel,
    IntentScores,
    Retriever,
    TicketDraft,
    TicketStore,
    Turn,
)
from bot.core.triage import TriageResult, Verdict, is_vague, topic_only, triage
from bot.core.writer import (
    Block,
    Unit,
    citation_for,
    fit,
    footer,
    pick_units,
    rerank,
    score_units,
    unique_citations,
    units,
    widen,
)

log = logging.getLogger(__name__)

ANSWER_BUTTONS = [
    Button(texts.BUTTON_UP, ButtonAction.FEEDBACK_UP),
    Button(texts.BUTTON_DOWN, ButtonAction.FEEDBACK_DOWN),
    Button(texts.BUTTON_HUMAN, ButtonAction.HUMAN),
]
CONSENT_BUTTONS = [
    Button(texts.BUTTON_CONSENT_YES, ButtonAction.CONSENT_YES),
    Button(texts.BUTTON_CONSENT_NO, ButtonAction.CONSENT_NO),
]
HUMAN_BUTTON = [Button(texts.BUTTON_HUMAN, ButtonAction.HUMAN)]
FAQ_PICKS = (ButtonAction.FAQ_1, ButtonAction.FAQ_2, ButtonAction.FAQ_3)

# Commands: the slash form on every channel, and the same thing typed in words.
_COMMANDS = {
    "start": "start", "batdau": "start", "help": "help", "trogiup": "help", "huongdan": "help",
    "chude": "chude", "topics": "chude", "canbo": "canbo", "moi": "moi", "new": "moi",
    "xoadulieu": "xoadulieu", "dongy": "dongy", "khong": "khong", "khongdongy": "khong",
}
_COMMAND_WORDS = {
    "gap can bo": "canbo", "gap nguoi": "canbo", "gap nguoi that": "canbo", "noi chuyen voi can bo": "canbo",
    "gap can bo tu van": "canbo", "gap luat su": "canbo", "can bo": "canbo", "chuyen can bo": "canbo",
    "chu de": "chude", "cac chu de": "chude", "danh sach chu de": "chude",
    "xoa du lieu": "xoadulieu", "xoa du lieu cua toi": "xoadulieu", "xoa het du lieu": "xoadulieu",
    "xoa thong tin cua toi": "xoadulieu",
    "bat dau lai": "moi", "cau hoi moi": "moi", "hoi cau khac": "moi", "bat dau": "start",
    "tro giup": "help", "huong dan su dung": "help", "menu": "help",
}
_POLITE = re.compile(r"^(?:toi |em |minh |tui )?(?:muon |can |xin |cho (?:toi |em |minh )?)?(?P<core>.*?)(?: (?:a|nhe|nha|voi|di|giup|giup toi|giup em))*$")
_YES = frozenset({"co", "dong y", "ok", "oke", "okay", "vang", "u", "uh", "duoc", "yes", "dong y a", "co a", "vang a", "toi dong y", "em dong y"})
_NO = frozenset({"khong", "ko", "k", "khong dong y", "thoi", "khong a", "no", "khong can", "toi khong dong y", "tu choi"})
_SMALLTALK_HELLO = re.compile(r"^ ?(xin chao|chao|hello|hi|alo|hey|chao ban|chao bot|bot oi|ad oi|admin oi)( ban| bot| ad| em| anh| chi| a)?( oi)? ?$")
_SMALLTALK_THANKS = re.compile(r"^ ?(cam on|thank|thanks|tks|thank you|ok|oke|okay|da|vang|hieu roi|ok cam on|cam on nhieu)( ban| bot| nhe| nha| nhieu| a| em| anh| chi)* ?$")
_FEEDBACK_TEXT = {"👍": True, "👎": False, "👍🏻": True, "👎🏻": False}


class Assistant:
    """The domain core: `handle` a message, `handle_button` a button press; never raises."""

    def __init__(
        self,
        retriever: Retriever,
        faq: FaqSearch | None,
        writer: AnswerWriter,
        conversations: ConversationStore,
        tickets: TicketStore,
        config: AssistantConfig | None = None,
        intent: IntentModel | None = None,
    ) -> None:
        self.retriever = retriever
        self.intent = intent
        self.faq = faq
        self.writer = writer
        self.conversations = conversations
        self.tickets = tickets
        self.config = config or AssistantConfig()
        self.failures = 0  # turns that ended in the polite error reply (evaluation counts them)
        self._vocab: tuple[list[FaqEntry], followup.TopicVocabulary] | None = None

    # ------------------------------------------------------------------------------------------
    # entry points

    def handle(self, msg: IncomingMessage, max_chars: int) -> Reply:
        """Answer one citizen message (sync: channels call it in a worker thread).

        Storage failures (load/record) propagate on purpose: the channel's inbox then retries the
        update, so an answer is never silently lost. Anything else ends in a polite error reply.
        """
        state = self.conversations.load(msg.channel, msg.user_id, msg.chat_id)
        try:
            reply, state = self._respond(msg, state, max_chars)
        except Exception:
            self.failures += 1
            log.exception("assistant failed on a message (channel=%s, length=%d)", msg.channel, len(msg.text or ""))
            reply = self._error_reply()
        if len(reply.text) > max_chars:  # fixed texts (help, greeting) on a tiny channel limit
            reply.text = _join_fitting([reply.text], max_chars)
        self._record(msg, reply, state)
        if reply.erase_user_data:
            # After the turn is queued: storage delivers the confirmation, then erases it with the rest.
            self.conversations.delete_user_data(msg.channel, msg.user_id)
        return reply

    def handle_button(
        self, channel: Channel, user_id: str, chat_id: str, action: ButtonAction, max_chars: int,
        inbox_id: int | None = None,
    ) -> Reply:
        """A button under an earlier reply: 👍 / 👎 / Gặp cán bộ / consent yes-no."""
        msg = IncomingMessage(channel, user_id, chat_id, texts.BUTTON_TURN.get(action.value, action.value),
                              message_id=f"button-{uuid.uuid4().hex[:12]}", inbox_id=inbox_id)
        state = self.conversations.load(channel, user_id, chat_id)
        try:
            reply, state = self._button(msg, state, action, max_chars)
        except Exception:
            self.failures += 1
            log.exception("assistant failed on a button (%s)", action.value)
            reply = self._error_reply()
        self._record(msg, reply, state)
        return reply

    def protected_user_reply(self) -> Reply:
        """Fixed reply when the platform hides the text (Zalo `message.unsupported.received`)."""
        return Reply(ReplyKind.INFO, self._fmt(texts.PROTECTED_USER), urgent=False)

    # ------------------------------------------------------------------------------------------
    # plumbing

    def _fmt(self, template: str, **extra: object) -> str:
        c = self.config
        return template.format(hotline=c.hotline, legal_aid_contact=c.legal_aid_contact,
                               retention_days=c.retention_days, crisis_line=c.crisis_line, **extra)

    def _error_reply(self) -> Reply:
        return Reply(ReplyKind.INFO, self._fmt(texts.ERROR), buttons=list(HUMAN_BUTTON))

    def _record(self, msg: IncomingMessage, reply: Reply, state: ConversationState) -> None:
        # personal numbers never reach the database
        safe = dataclasses.replace(msg, text=mask_pii(msg.text or ""))
        self.conversations.record(safe, reply, state)

    # ------------------------------------------------------------------------------------------
    # one message

    def _respond(self, msg: IncomingMessage, state: ConversationState, max_chars: int) -> tuple[Reply, ConversationState]:
        raw = msg.text or ""
        stripped = raw.strip()
        if stripped in _FEEDBACK_TEXT:
            return self._feedback(msg, state, _FEEDBACK_TEXT[stripped], max_chars)
        command = command_of(raw)
        if command is not None:
            return self._command(command, msg, state, max_chars)
        if state.pending_ticket_id is not None:
            answer = cue_form(stripped).replace("?", " ").strip()
            if answer in _YES or answer in _NO:
                return self._consent(state, answer in _YES)
        pick = stripped.rstrip(".)")
        if state.suggestions and pick in ("1", "2", "3"):
            return self._pick_suggestion(int(pick) - 1, state, max_chars)

        cleaned = clean_message(raw, self.config.max_input_chars)
        own = self._faq_search(cleaned.text)
        standalone = self._standalone(cleaned.text, state, own)
        # "còn làm nghề nặng nhọc thì sao" means nothing alone: the model reads it with its subject
        # (the cues still read the message itself, so danger in a follow-up is never diluted)
        about = standalone or cleaned.text
        result = triage(raw[: self.config.max_input_chars * 2], cleaned.text,
                        had_html=cleaned.had_html, had_url=cleaned.had_url, intent=self._intent(about))
        subject = self._subject(state) if standalone is None and result.verdict == Verdict.OUT_OF_SCOPE else None
        if subject is not None and followup.leans_on(cleaned.text):
            # "có bị trừ điểm không" alone reads as small talk; with the subject it is a question about it
            again = triage(raw[: self.config.max_input_chars * 2], cleaned.text, had_html=cleaned.had_html,
                           had_url=cleaned.had_url, intent=self._intent(followup.rewrite(cleaned.text, subject)))
            if again.verdict == Verdict.ANSWER:
                result, standalone = again, followup.rewrite(cleaned.text, subject)
        if state.open_ticket_id is not None and result.verdict != Verdict.BAD_INPUT:
            if self.tickets.add_citizen_message(state.open_ticket_id):
                return self._attached(state, result, max_chars), state
            state.open_ticket_id = None  # staff resolved it: this is a new question
        reply, state = self._route(msg, state, cleaned, result, max_chars, own, standalone)
        notes = []
        if cleaned.truncated and reply.kind != ReplyKind.ESCALATED:
            notes.append(texts.TRUNCATED_INPUT)
        if cleaned.had_pii and reply.kind in (ReplyKind.ANSWER, ReplyKind.CLARIFY, ReplyKind.INFO):
            notes.append(texts.PII_WARNING)
        if notes:
            joined = "\n".join(notes) + "\n\n" + reply.text
            if len(joined) <= max_chars:
                reply.text = joined
        return reply, state

    def _intent(self, text: str) -> IntentScores | None:
        if self.intent is None or not text.strip():
            return None
        try:
            return self.intent.predict(text)
        except Exception:  # the rules still triage; a model failure must not cost the citizen a reply
            log.exception("intent model failed")
            return None

    def _attached(self, state: ConversationState, result: TriageResult, max_chars: int) -> Reply:
        """A message after an escalation goes to the staff handling the ticket, not to the FAQ."""
        ticket_id = state.open_ticket_id
        head = [self._emergency_lines(result)] if result.verdict == Verdict.ESCALATE and result.emergency else []
        text = _join_fitting([*head, texts.ATTACHED_TO_TICKET.format(ticket_id=ticket_id)], max_chars)
        return Reply(ReplyKind.INFO, text, ticket_id=ticket_id, urgent=result.urgent)

    def _route(self, msg: IncomingMessage, state: ConversationState, cleaned: Cleaned, result: TriageResult,
               max_chars: int, own: list[FaqMatch], standalone: str | None) -> tuple[Reply, ConversationState]:
        if result.verdict != Verdict.ANSWER:
            _forget_subject(state)  # an escalation or a refusal ends the subject
        if result.verdict == Verdict.BAD_INPUT:
            return self._bad_input(result), state
        if result.verdict == Verdict.ESCALATE:
            return self._escalate(msg, state, cleaned.text, cleaned.query, result, max_chars)
        if result.verdict == Verdict.OUT_OF_SCOPE:
            text = {"politics": texts.POLITICAL, "about_bot": texts.ABOUT_BOT,
                    "health": texts.OUT_OF_SCOPE_HEALTH}.get(result.category, texts.OUT_OF_SCOPE)
            return Reply(ReplyKind.REFUSED, text), state

        folded = cue_form(cleaned.text)
        if _SMALLTALK_HELLO.match(folded):
            return Reply(ReplyKind.INFO, texts.SMALLTALK_HELLO), state
        if _SMALLTALK_THANKS.match(folded):
            return Reply(ReplyKind.INFO, texts.SMALLTALK_THANKS), state

        question, query = cleaned.text, cleaned.query
        matches = own
        subject = self._subject(state) if standalone is not None else None
        if standalone is not None and subject is not None:
            # the subject of the previous question carries over ("mức phạt bao nhiêu?")
            question = standalone
            previous = [p for p in map(self._safe_get, subject.article_ids) if p is not None]
            short = followup.compact(cleaned.text, subject, [p.title for p in previous])
            query = clean_message(standalone, self.config.max_input_chars * 2).query
            matches = followup.best_matches([self._faq_search(question),
                                             self._faq_search(short) if followup.COMPACT_FAQ else []])

        if is_vague(question):
            _forget_subject(state)
            return Reply(ReplyKind.CLARIFY, texts.CLARIFY_GENERIC, buttons=list(HUMAN_BUTTON)), state
        topic = topic_only(question)
        if topic is not None:
            examples = texts.CLARIFY_EXAMPLES.get(topic, "")
            text = texts.CLARIFY_TOPIC.format(topic=topic, examples=examples) if examples else texts.CLARIFY_GENERIC
            self._set_subject(state, question, None, [])
            return Reply(ReplyKind.CLARIFY, text, buttons=list(HUMAN_BUTTON)), state

        state.suggestions = []
        # everyday words -> legal terms also help pick the clause to quote
        scoring = " ".join([question, *legal_terms(question)])
        passages = self.retriever.search(query, self.config.top_k) if query.strip() else []
        if subject is not None:  # a follow-up: the articles the last answer cited are a prior
            passages = followup.with_prior(passages, previous)
        if standalone is not None and state.last_faq_id:
            # a different follow-up never gets the previous answer again, unless that answer already
            # speaks of what is asked ("còn làm nghề nặng nhọc thì sao" after the annual-leave answer)
            last = state.last_faq_id
            matches = [m for m in matches if m.entry.id != last or followup.covers(m.entry.answer, cleaned.text)]
        faq_reply = self._faq_answer(matches, passages, max_chars)
        if faq_reply is not None and followup.repeats(faq_reply[0].text, state.turns, cleaned.text):
            # never the previous reply word for word to a different message: what answers it comes first
            sentence = followup.focus_sentence(faq_reply[1].answer, cleaned.text)
            if sentence is None:
                faq_reply = None
            else:
                faq_reply[0].text = _join_fitting([texts.FOLLOWUP_FOCUS.format(sentence=sentence), faq_reply[0].text], max_chars)
        if faq_reply is not None:
            reply, entry = faq_reply
            self._set_subject(state, question, entry, reply.citations)
            return reply, state
        reply = self._answer(scoring, passages, max_chars, matches, state)
        self._set_subject(state, question, None, [] if reply.low_confidence else reply.citations)
        return reply, state

    def _vocabulary(self) -> followup.TopicVocabulary | None:
        """Which topics words speak of, from the vetted FAQ questions (rebuilt when the FAQ reloads)."""
        entries = self.faq.entries if self.faq is not None else []
        if not entries:
            return None
        cached = self._vocab
        if cached is None or cached[0] is not entries:
            vocab = followup.TopicVocabulary((e.topic, q) for e in entries for q in e.questions)
            self._vocab = (entries, vocab)
            return vocab
        return cached[1]

    def _subject(self, state: ConversationState) -> followup.Subject | None:
        """The subject a follow-up may lean on: the last question answered or clarified, while the chat
        is still about it (an escalation, a refusal or /moi ends it; thanks and greetings do not)."""
        if not state.last_question:
            return None
        last_bot = next((t for t in reversed(state.turns) if t.role == "bot" and t.reply_kind != ReplyKind.INFO.value),
                        None)
        if last_bot is not None and last_bot.reply_kind not in (ReplyKind.ANSWER.value, ReplyKind.CLARIFY.value):
            return None
        return followup.Subject(state.last_question, tuple(state.subject_terms), state.subject_topic,
                                tuple(state.last_article_ids), state.last_faq_id)

    def _standalone(self, text: str, state: ConversationState, own: list[FaqMatch]) -> str | None:
        """The message as a standalone question when it continues the subject, else None (a new question)."""
        subject = self._subject(state)
        if subject is None:
            return None
        sure = own[0] if own and own[0].score >= self.config.faq_threshold else None
        own_topic = sure.entry.topic if sure is not None and sure.entry.id != subject.faq_id else None
        if not followup.is_followup(text, subject, self._vocabulary(), own_topic):
            return None
        return followup.rewrite(text, subject)

    def _set_subject(self, state: ConversationState, question: str, entry: FaqEntry | None,
                     citations: list[Citation]) -> None:
        state.last_question = question[:1000]
        state.subject_terms = list(followup.key_terms(question))
        vocab = self._vocabulary()
        guessed = vocab.best_topic(followup.signals(question).content) if vocab is not None else None
        state.subject_topic = entry.topic if entry is not None else guessed
        state.last_faq_id = entry.id if entry is not None else None
        state.last_article_ids = list(dict.fromkeys(c.article_id for c in citations))[:5]

    def _faq_search(self, question: str) -> list[FaqMatch]:
        return self.faq.search(question, 5) if self.faq is not None and question.strip() else []

    # ------------------------------------------------------------------------------------------
    # answers

    def _pick_faq(self, matches: list[FaqMatch], passages: list[Passage]) -> FaqMatch | None:
        """The FAQ entry to answer with: very similar, or similar and backed by the retrieved articles."""
        retrieved = {p.article_id for p in passages[: self.config.faq_agree_k]}
        best: tuple[float, FaqMatch] | None = None
        for m in matches:
            agree = any(c.article_id in retrieved for c in m.entry.citations)
            ok = m.score >= self.config.faq_threshold or (agree and m.score >= self.config.faq_agree_threshold)
            value = m.score + (0.25 if agree else 0.0)
            if ok and (best is None or value > best[0]):
                best = (value, m)
        return best[1] if best else None

    def _faq_answer(self, matches: list[FaqMatch], retrieved: list[Passage],
                    max_chars: int) -> tuple[Reply, FaqEntry] | None:
        match = self._pick_faq(matches, retrieved)
        if match is None:
            return None
        reply = self._faq_reply(match.entry, match.score, max_chars)
        return (reply, match.entry) if reply is not None else None

    def _faq_reply(self, entry: FaqEntry, score: float, max_chars: int) -> Reply | None:
        """The vetted answer first, then its basis; one short quote of the clause that supports the answer."""
        passages: list[Passage] = []  # the FAQ's cited articles, as the index holds them
        blocks: list[Block] = []
        relevance: list[float] = []
        for c in entry.citations:
            p = self._cited(c)
            if p is None:
                continue  # never cite what neither the index nor the register holds
            passages.append(p)
            # the clause the FAQ answer rests on (not the citizen's words: they may name another case)
            chosen = _clause_unit(p, c.clause, entry.answer)
            cite = citation_for(p, c.clause or (chosen.clause if chosen else None),
                                chosen.point if chosen else None)
            quote = chosen.text if chosen else p.text
            if chosen is not None and chosen.point is not None and chosen.lead:
                quote = f"{chosen.lead} … {chosen.point}) {chosen.text}"
            relevance.append(chosen.score if chosen and p.text else -1.0)
            blocks.append(Block(cite, "{label}:", p.title, quote, entry.answer, min_quote=80))
        if not blocks:
            return None
        best = max(range(len(blocks)), key=lambda i: relevance[i])
        for i, b in enumerate(blocks):
            if i != best or relevance[i] < 0:
                b.quote, b.min_quote = "", 0
        blocks.insert(0, blocks.pop(best))
        intro = f"{entry.answer.strip()}\n\n{texts.FAQ_SOURCES}"
        # entry.note is an authoring note (corpus caveats for reviewers), not shown to citizens
        text, n = fit(intro, blocks, "", footer(passages, self.retriever.built_at), max_chars, 260)
        return Reply(ReplyKind.ANSWER, text, citations=unique_citations([b.citation for b in blocks[:n]]),
                     buttons=list(ANSWER_BUTTONS), sources=passages, confidence=score)

    def _pick_suggestion(self, index: int, state: ConversationState, max_chars: int) -> tuple[Reply, ConversationState]:
        """The citizen chose one of the FAQ questions we offered ("1", "2", "3" or the button)."""
        entries = {e.id: e for e in (self.faq.entries if self.faq is not None else [])}
        chosen = state.suggestions[index] if index < len(state.suggestions) else None
        entry = entries.get(chosen or "")
        reply = self._faq_reply(entry, 1.0, max_chars) if entry is not None else None
        if entry is None or reply is None:
            return Reply(ReplyKind.CLARIFY, texts.SUGGESTION_GONE, buttons=list(HUMAN_BUTTON)), state
        state.suggestions = []
        self._set_subject(state, entry.questions[0], entry, reply.citations)
        return reply, state

    def _answer(self, question: str, passages: list[Passage], max_chars: int,
                matches: list[FaqMatch], state: ConversationState) -> Reply:
        if not passages:
            return self._not_sure([], max_chars, matches, state)
        ranked, conf = rerank(question, passages)
        if conf >= self.config.answer_threshold:
            written = self.writer.write(question, ranked[: self.config.cite_k], max_chars)
            return Reply(ReplyKind.ANSWER, written.text, citations=list(written.citations),
                         buttons=list(ANSWER_BUTTONS), sources=ranked[: self.config.top_k], confidence=conf)
        shown = ranked[: self.config.low_confidence_k] if conf >= self.config.relevance_floor else []
        reply = self._not_sure(shown, max_chars, matches, state, question)
        reply.confidence, reply.sources = conf, ranked
        return reply

    def _suggestions(self, matches: list[FaqMatch], state: ConversationState) -> tuple[str, list[Button]]:
        """Up to three close vetted questions, offered as taps (Telegram buttons; "1", "2", "3" anywhere)."""
        offered = [m for m in matches if m.score >= self.config.faq_suggest_threshold][:3]
        state.suggestions = [m.entry.id for m in offered]
        if not offered:
            return "", []
        lines = [texts.FAQ_SUGGESTIONS_HEAD]
        lines += [f"{i}. {m.entry.questions[0]}" for i, m in enumerate(offered, 1)]
        return "\n".join(lines), [Button(str(i), FAQ_PICKS[i - 1]) for i in range(1, len(offered) + 1)]

    def _not_sure(self, shown: list[Passage], max_chars: int, matches: list[FaqMatch], state: ConversationState,
                  question: str = "") -> Reply:
        """Honest "not sure": possibly related articles only above the relevance floor, the closest FAQ
        questions as taps, and the offer of a person."""
        suggestion, picks = self._suggestions(matches, state)
        blocks = []
        for p in shown:
            picked = pick_units(question, p, 1)
            u = picked[0] if picked else None
            quote = (f"{u.lead} … {u.point}) {u.text}" if u and u.point and u.lead else u.text) if u else p.text
            blocks.append(Block(citation_for(p, u.clause if u else None, u.point if u else None),
                                "• {label}:", p.title, quote, question, min_quote=0))
        intro = texts.LOW_CONFIDENCE if blocks else texts.NOTHING_FOUND
        tail = "\n\n".join(x for x in (suggestion, texts.LOW_CONFIDENCE_TAIL) if x)
        text, n = fit(intro, blocks, tail, footer(shown, self.retriever.built_at) if shown else "",
                      max_chars, 160)
        buttons = [*picks, Button(texts.BUTTON_HUMAN, ButtonAction.HUMAN)]
        if not blocks:
            return Reply(ReplyKind.CLARIFY, text, buttons=buttons)
        return Reply(ReplyKind.ANSWER, text, citations=unique_citations([b.citation for b in blocks[:n]]),
                     buttons=buttons, sources=shown, low_confidence=True)

    # ------------------------------------------------------------------------------------------
    # bad input

    def _bad_input(self, result: TriageResult) -> Reply:
        kind = result.category
        if kind == "injection":
            return Reply(ReplyKind.REFUSED, texts.INJECTION)
        if kind == "spam":
            return Reply(ReplyKind.REFUSED, texts.SPAM)
        if kind == "phishing":
            return Reply(ReplyKind.REFUSED, texts.PHISHING)
        if kind == "html":
            return Reply(ReplyKind.CLARIFY, texts.HTML_ONLY)
        if kind == "empty":
            return Reply(ReplyKind.CLARIFY, texts.EMPTY)
        return Reply(ReplyKind.CLARIFY, texts.NOT_UNDERSTOOD)

    # ------------------------------------------------------------------------------------------
    # escalation

    def _escalate(self, msg: IncomingMessage, state: ConversationState, text: str, query: str,
                  result: TriageResult, max_chars: int) -> tuple[Reply, ConversationState]:
        head = [self._emergency_lines(result)] if result.emergency else []
        if state.pending_ticket_id is not None:
            body = texts.ESCALATED_AGAIN.format(ticket_id=state.pending_ticket_id)
            reply_text = _join_fitting([*head, body, texts.CONSENT_QUESTION], max_chars)
            return Reply(ReplyKind.ESCALATED, reply_text, buttons=list(CONSENT_BUTTONS),
                         ticket_id=state.pending_ticket_id, urgent=result.urgent), state
        passages: list[Passage] = []
        draft: str | None = None
        if result.category != "crisis" and query.strip():
            try:
                passages = self.retriever.search(query, 5)
                if passages:
                    draft = self.writer.write(text, rerank(text, passages)[0][:2], 1500).text
            except Exception:  # staff can do without sources; the citizen must still get a ticket
                log.exception("retrieval for a ticket draft failed")
        ticket_id = self._open_ticket(msg, state, text, result.category, result.urgency, passages, draft,
                                      result.legal_aid_hint)
        state.pending_ticket_id = state.open_ticket_id = ticket_id
        if result.category == "crisis":
            parts = [self._fmt(texts.CRISIS, ticket_id=ticket_id)]
            if "113" in result.emergency:
                parts.append(texts.EMERGENCY_LINES["113"])
            parts.append(texts.CONSENT_QUESTION)
            reply_text = _join_fitting(parts, max_chars)
        else:
            parts = [*head, self._fmt(texts.ESCALATED, ticket_id=ticket_id)]
            optional = []
            advice = texts.CATEGORY_ADVICE.get(result.category)
            if advice:
                optional.append(advice)
            if result.legal_aid_hint:
                optional.append(texts.LEGAL_AID_HINT)
            reply_text = _join_fitting([*parts, *optional, texts.CONSENT_QUESTION], max_chars,
                                       optional=set(optional))
        return Reply(ReplyKind.ESCALATED, reply_text, buttons=list(CONSENT_BUTTONS), ticket_id=ticket_id,
                     urgent=result.urgent, sources=passages), state

    def _emergency_lines(self, result: TriageResult) -> str:
        # the numbers come first, before anything else the citizen has to read
        lines = [texts.EMERGENCY_LINES[n] for n in result.emergency if n in texts.EMERGENCY_LINES]
        if result.urgent and result.category in ("violence", "crisis"):
            lines.append(texts.SAFETY_FIRST)
        return "\n".join(lines)

    def _open_ticket(self, msg: IncomingMessage, state: ConversationState, question: str, category: str,
                     urgency: str, passages: list[Passage], draft: str | None, legal_aid: bool) -> int:
        transcript = [*list(state.turns), Turn("user", mask_pii(msg.text or ""), msg.time)]
        return self.tickets.open_ticket(
            TicketDraft(
                channel=msg.channel,
                user_id=msg.user_id,
                chat_id=msg.chat_id,
                category=category,
                urgency=urgency,
                question=mask_pii(question)[:4000],
                transcript=transcript,
                sources=[(p.article_id, p.score) for p in passages],
                draft_answer=draft,
                legal_aid_hint=legal_aid,
            )
        )

    def _human(self, msg: IncomingMessage, state: ConversationState, category: str, lead: str,
               max_chars: int) -> tuple[Reply, ConversationState]:
        """/canbo, the button, or repeated 👎: open (or point to) a ticket and ask consent."""
        if state.pending_ticket_id is not None:
            body = texts.ESCALATED_AGAIN.format(ticket_id=state.pending_ticket_id)
            return Reply(ReplyKind.ESCALATED, _join_fitting([body, texts.CONSENT_QUESTION], max_chars),
                         buttons=list(CONSENT_BUTTONS), ticket_id=state.pending_ticket_id), state
        if state.open_ticket_id is not None and self.tickets.add_citizen_message(state.open_ticket_id):
            body = texts.ESCALATED_AGAIN.format(ticket_id=state.open_ticket_id)
            return Reply(ReplyKind.ESCALATED, body, ticket_id=state.open_ticket_id), state
        question = state.last_question or ""
        passages: list[Passage] = []
        last_bot = next((t for t in reversed(state.turns) if t.role == "bot"), None)
        if last_bot is not None:
            passages = [p for p in (self._safe_get(a) for a, _ in last_bot.sources[:5]) if p is not None]
        draft = last_bot.text if last_bot is not None and last_bot.reply_kind == ReplyKind.ANSWER.value else None
        ticket_id = self._open_ticket(msg, state, question or msg.text, category, Urgency.NORMAL, passages, draft, False)
        state.pending_ticket_id = state.open_ticket_id = ticket_id
        text = _join_fitting([lead, self._fmt(texts.ESCALATED, ticket_id=ticket_id), texts.CONSENT_QUESTION], max_chars)
        return Reply(ReplyKind.ESCALATED, text, buttons=list(CONSENT_BUTTONS), ticket_id=ticket_id), state

    def article(self, article_id: str) -> Passage | None:
        """An article of the index by id (the staff desk shows sources with it)."""
        return self._safe_get(article_id)

    def _cited(self, c: Citation) -> Passage | None:
        """A FAQ citation as a passage: the indexed article or, when the retriever knows the
        document register and the index holds nothing of that document, a text-less passage."""
        return self.retriever.get_cited(c.article_id, c.doc_number, c.article)

    def _safe_get(self, article_id: str) -> Passage | None:
        try:
            return self.retriever.get(article_id)
        except Exception:
            return None

    def _consent(self, state: ConversationState, yes: bool) -> tuple[Reply, ConversationState]:
        ticket_id = state.pending_ticket_id
        if ticket_id is None:
            return Reply(ReplyKind.INFO, texts.NO_PENDING_CONSENT, buttons=list(HUMAN_BUTTON)), state
        self.tickets.set_consent(ticket_id, yes)
        state.pending_ticket_id = None
        text = self._fmt(texts.CONSENT_YES if yes else texts.CONSENT_NO, ticket_id=ticket_id)
        return Reply(ReplyKind.INFO, text, ticket_id=ticket_id), state

    # ------------------------------------------------------------------------------------------
    # commands, buttons, feedback

    def _command(self, command: str, msg: IncomingMessage, state: ConversationState,
                 max_chars: int) -> tuple[Reply, ConversationState]:
        if command == "start":
            return Reply(ReplyKind.INFO, self._fmt(texts.GREETING)), state
        if command == "help":
            return Reply(ReplyKind.INFO, self._fmt(texts.HELP)), state
        if command == "chude":
            return Reply(ReplyKind.INFO, self._topics()), state
        if command == "canbo":
            return self._human(msg, state, "human_request", texts.HUMAN_REQUESTED, max_chars)
        if command == "moi":
            self.conversations.reset(msg.channel, msg.user_id, msg.chat_id)
            state = self.conversations.load(msg.channel, msg.user_id, msg.chat_id)
            return Reply(ReplyKind.INFO, texts.NEW_CONVERSATION), state
        if command == "xoadulieu":
            return Reply(ReplyKind.INFO, texts.DATA_DELETED, erase_user_data=True), state
        if command in ("dongy", "khong"):
            return self._consent(state, command == "dongy")
        return Reply(ReplyKind.INFO, self._fmt(texts.HELP)), state

    def _topics(self) -> str:
        topics = list(texts.DEFAULT_TOPICS)
        entries = self.faq.entries if self.faq is not None else []
        known = {cue_form(t) for t in topics}
        for t in dict.fromkeys(e.topic for e in entries):
            if t and not any(cue_form(t).strip() in k for k in known):
                topics.append(t)
        return "\n".join([texts.TOPICS_HEAD, *[f"• {t}" for t in topics], texts.TOPICS_TAIL])

    def _button(self, msg: IncomingMessage, state: ConversationState, action: ButtonAction,
                max_chars: int) -> tuple[Reply, ConversationState]:
        if action in (ButtonAction.FEEDBACK_UP, ButtonAction.FEEDBACK_DOWN):
            return self._feedback(msg, state, action == ButtonAction.FEEDBACK_UP, max_chars)
        if action == ButtonAction.HUMAN:
            return self._human(msg, state, "human_request", texts.HUMAN_REQUESTED, max_chars)
        if action in FAQ_PICKS:
            return self._pick_suggestion(FAQ_PICKS.index(action), state, max_chars)
        return self._consent(state, action == ButtonAction.CONSENT_YES)

    def _feedback(self, msg: IncomingMessage, state: ConversationState, positive: bool,
                  max_chars: int) -> tuple[Reply, ConversationState]:
        streak = self.conversations.record_feedback(msg.channel, msg.user_id, msg.chat_id, positive)
        state.negative_feedback = 0 if positive else streak
        if positive:
            return Reply(ReplyKind.INFO, texts.FEEDBACK_THANKS), state
        if streak >= self.config.negative_feedback_limit:
            return self._human(msg, state, "negative_feedback", texts.NEGATIVE_FEEDBACK_ESCALATE, max_chars)
        return Reply(ReplyKind.INFO, texts.FEEDBACK_SORRY, buttons=list(HUMAN_BUTTON)), state


# ----------------------------------------------------------------------------------------------
# helpers


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


def _forget_subject(state: ConversationState) -> None:
    state.last_question = None
    state.subject_terms, state.subject_topic, state.last_article_ids = [], None, []
    state.last_faq_id = None


def _clause_unit(p: Passage, clause: str | None, focus: str) -> Unit | None:
    """The unit of a cited article to quote: the named clause (its best point), or the best clause."""
    cands = units(p.text)
    if clause is not None:
        cands = [u for u in cands if u.clause == clause] or cands
    if not cands:
        return None
    score_units(focus, cands, title=p.title)
    return widen(max(cands, key=lambda u: u.score), p.text)


def _join_fitting(parts: list[str], max_chars: int, optional: set[str] | None = None) -> str:
    """Join paragraphs; drop optional ones (from the end) and then trim, to stay under max_chars."""
    parts = [p for p in parts if p]
    optional = optional or set()
    text = "\n\n".join(parts)
    while len(text) > max_chars and any(p in optional for p in parts):
        drop = max(i for i, p in enumerate(parts) if p in optional)
        parts.pop(drop)
        text = "\n\n".join(parts)
    if len(text) > max_chars:
        text = text[: max(0, max_chars - 1)].rsplit(" ", 1)[0] + "…"
    return text

