"""Answering policy: a vetted FAQ answer first, else a cited answer from the law, else an honest "not sure"."""

from __future__ import annotations

import logging

from bot.core import aspects, confidence, faq_pick, followup, ranges, texts
from bot.core.clean import Cleaned, clean_message, cue_form, legal_terms
from bot.core.config import AssistantConfig
from bot.core.models import Button, ButtonAction, Citation, Passage, Reply, ReplyKind
from bot.core.ports import AnswerWriter, ConversationState, FaqEntry, FaqMatch, FaqSearch, Retriever
from bot.core.replies import ANSWER_BUTTONS, FAQ_PICKS, HUMAN_BUTTON, join_fitting
from bot.core.triage import is_vague, topic_only

log = logging.getLogger(__name__)

# A bare follow-up asking an aspect of the subject's procedure ("làm ở đâu", "có mất phí không") is answered
# from the article whose heading names that aspect of it (bot/core/aspects.py): 1 before the vetted FAQ is
# tried for the follow-up (after it, for one that names a thing of its own), 0.5 always after it, 0 never.
ASPECT_FOLLOWUPS = 1.0
# A follow-up below the relevance floor lists the articles its subject was answered from as possibly related.
PRIOR_WHEN_UNSURE = True
# A follow-up one sentence of the last vetted answer already answers gets that answer again, the sentence first.
COVERED_FOLLOWUPS = True


def article_or_none(retriever: Retriever, article_id: str) -> Passage | None:
    """An article of the index by id, or None, also when the index fails: callers only add it as context
    (a follow-up's prior, a ticket's sources), never as the answer."""
    try:
        return retriever.get(article_id)
    except Exception:
        log.exception("article lookup failed")
        return None


class Answering:
    """Answers a question the triage let through; keeps the subject a follow-up may lean on."""

    def __init__(self, retriever: Retriever, faq: FaqSearch | None, writer: AnswerWriter,
                 config: AssistantConfig) -> None:
        self.retriever = retriever
        self.faq = faq
        self.writer = writer
        self.config = config
        self._vocab: dict[int, tuple[list[FaqEntry], followup.TopicVocabulary]] = {}

    # ------------------------------------------------------------------------------------------
    # the subject a follow-up leans on

    def entries(self) -> list[FaqEntry]:
        return self.faq.entries if self.faq is not None else []

    def faq_search(self, question: str) -> list[FaqMatch]:
        return self.faq.search(question, 5) if self.faq is not None and question.strip() else []

    def _vocabulary(self, max_topics: int = followup.TOPICAL) -> followup.TopicVocabulary | None:
        """Which topics words speak of, from the vetted FAQ questions (rebuilt when the FAQ reloads); a word
        used under at most `max_topics` topics is topical."""
        entries = self.entries()
        if not entries:
            return None
        cached = self._vocab.get(max_topics)
        if cached is None or cached[0] is not entries:
            vocab = followup.TopicVocabulary(((e.topic, q) for e in entries for q in e.questions), max_topics)
            self._vocab[max_topics] = (entries, vocab)
            return vocab
        return cached[1]

    def subject(self, state: ConversationState) -> followup.Subject | None:
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

    def _cited_before(self, subject: followup.Subject) -> list[Passage]:
        """The articles the subject's last answer cited that the index still holds."""
        return [p for p in (article_or_none(self.retriever, a) for a in subject.article_ids) if p is not None]

    def standalone(self, text: str, state: ConversationState, own: list[FaqMatch]) -> str | None:
        """The message as a standalone question when it continues the subject, else None (a new question)."""
        subject = self.subject(state)
        if subject is None:
            return None
        sure = own[0] if own and own[0].score >= self.config.faq_threshold else None
        own_topic = sure.entry.topic if sure is not None and sure.entry.id != subject.faq_id else None
        previous = self._cited_before(subject)
        if not followup.is_followup(text, subject, self._vocabulary(), own_topic, previous):
            return None
        return followup.rewrite(text, subject)

    def _followup_searches(self, subject: followup.Subject, own: list[FaqMatch],
                           swapped: str | None) -> list[list[FaqMatch]]:
        """FAQ matches a follow-up has besides its rewritten question: its own matches that speak of the
        subject ("thế còn chồng thì được nghỉ mấy ngày" matches the vetted question on the husband's leave
        better alone than glued to the first question), and those of the subject's question about the
        person it names instead (`swapped`: "còn chồng tôi thì sao")."""
        topics = followup.subject_topics(subject, self._vocabulary())
        related = [m for m in own if followup.about_subject(m.entry, subject, topics)]
        return [related, self.faq_search(swapped) if swapped else []]

    def set_subject(self, state: ConversationState, question: str, entry: FaqEntry | None,
                    citations: list[Citation]) -> None:
        state.last_question = question[:1000]
        state.subject_terms = list(followup.key_terms(question))
        vocab = self._vocabulary()
        guessed = vocab.best_topic(followup.signals(question).content) if vocab is not None else None
        state.subject_topic = entry.topic if entry is not None else guessed
        state.last_faq_id = entry.id if entry is not None else None
        state.last_article_ids = list(dict.fromkeys(c.article_id for c in citations))[:5]

    # ------------------------------------------------------------------------------------------
    # a question

    def answer(self, state: ConversationState, cleaned: Cleaned, own: list[FaqMatch], standalone: str | None,
               max_chars: int) -> Reply:
        """A question (or a follow-up, rewritten as `standalone`): clarify, FAQ, law text or "not sure"."""
        question, query = cleaned.text, cleaned.query
        matches = own
        subject = self.subject(state) if standalone is not None else None
        previous: list[Passage] = []
        swapped = followup.swap_person(subject.question, cleaned.text) if subject is not None else None
        if standalone is not None and subject is not None:
            # the subject of the previous question carries over ("mức phạt bao nhiêu?")
            question = standalone
            previous = self._cited_before(subject)
            # the extra FAQ phrasings, each only when switched on
            short = followup.compact(cleaned.text, subject, [p.title for p in previous]) if followup.COMPACT_FAQ else ""
            focused = followup.focused(cleaned.text, subject, self._vocabulary(followup.FOCUS_TOPICS)) \
                if followup.FOCUSED_FAQ else None
            searched = followup.retrieval_query(cleaned.text, standalone, subject, [p.title for p in previous])
            query = clean_message(searched, self.config.max_input_chars * 2).query
            matches = followup.best_matches([self.faq_search(question),
                                             self.faq_search(short) if short else [],
                                             self.faq_search(focused) if focused else [],
                                             *self._followup_searches(subject, own, swapped)])

        if is_vague(question):
            forget_subject(state)
            return Reply(ReplyKind.CLARIFY, texts.CLARIFY_GENERIC, buttons=list(HUMAN_BUTTON))
        topic = topic_only(question)
        if topic is not None:
            examples = texts.CLARIFY_EXAMPLES.get(topic, "")
            text = texts.CLARIFY_TOPIC.format(topic=topic, examples=examples) if examples else texts.CLARIFY_GENERIC
            self.set_subject(state, question, None, [])
            return Reply(ReplyKind.CLARIFY, text, buttons=list(HUMAN_BUTTON))

        state.suggestions = []
        # everyday words -> legal terms also help pick the clause to quote
        scoring = " ".join([question, *legal_terms(question)])
        passages = self.retriever.search(query, self.config.top_k) if query.strip() else []
        if subject is not None:  # a follow-up: the articles the last answer cited are a prior
            passages = followup.with_prior(passages, previous)
            # ... and lead when one of their clauses holds what is asked ("còn làm ca đêm thì sao")
            passages = followup.with_prior(passages, followup.answering_prior(previous, cleaned.text),
                                           followup.HOLDING_SHARE)
        if standalone is not None and state.last_faq_id:
            # a different follow-up never gets the previous answer again, unless that answer already
            # speaks of what is asked ("còn làm nghề nặng nhọc thì sao" after the annual-leave answer)
            # ... or speaks of the person the follow-up asks about instead ("còn ông nội mất thì sao" after
            # the leave when a parent dies: the same vetted answer gives the grandparent's day)
            last = state.last_faq_id
            person = followup.person_named(cleaned.text) if swapped else None
            matches = [m for m in matches if m.entry.id != last or followup.covers(m.entry.answer, cleaned.text)
                       or (person is not None and followup.covers(m.entry.answer, person))]
        # a bare aspect ("làm ở đâu") before the vetted FAQ, which reads it glued to the subject's question; one
        # naming a thing of its own ("đăng ký giám hộ ở đâu") is nearly a question of its own: the FAQ first
        faq_reply: tuple[Reply, FaqEntry | None] | None = \
            self._last_answer_again(cleaned.text, subject, max_chars) if subject is not None else None
        if faq_reply is None and subject is not None and ASPECT_FOLLOWUPS >= 1:
            faq_reply = self._aspect_answer(cleaned.text, subject, previous, max_chars, own=False)
        if faq_reply is None:
            faq_reply = self._faq_answer(matches, passages, max_chars)
        if faq_reply is None and subject is not None:
            faq_reply = self._fitting_answer(cleaned.text, subject, matches, passages, max_chars)
        if faq_reply is None and subject is not None and ASPECT_FOLLOWUPS > 0:
            # (a bare one was tried above: its search is not run twice)
            faq_reply = self._aspect_answer(cleaned.text, subject, previous, max_chars,
                                            own=True if ASPECT_FOLLOWUPS >= 1 else None)
        if faq_reply is not None and faq_reply[1] is not None \
                and followup.repeats(faq_reply[0].text, state.turns, cleaned.text):
            # never the previous reply word for word to a different message: what answers it comes first
            sentence = followup.focus_sentence(faq_reply[1].answer, cleaned.text)
            if sentence is None:
                faq_reply = None
            else:
                faq_reply[0].text = join_fitting([texts.FOLLOWUP_FOCUS.format(sentence=sentence), faq_reply[0].text],
                                                 max_chars)
        # a follow-up keeps the subject's own question: the next one is read against it, not against a
        # chain of every fragment asked since ("giấy tờ gì, nộp ở đâu, bao lâu phải làm lại ...")
        asked = subject.question if subject is not None else question
        if faq_reply is not None:
            reply, entry = faq_reply
            if entry is not None and subject is not None and entry.id != subject.faq_id and followup.SHIFT_SUBJECT \
                    and not self._asks_aspect(cleaned.text):
                # a follow-up answered by another vetted entry moved the subject on ("còn trợ cấp thất nghiệp
                # thì sao" after severance pay): the next one is read against the question that entry answers
                asked = entry.questions[0]
            self.set_subject(state, asked, entry, reply.citations)
            return reply
        focus = followup.clause_focus(cleaned.text, question, passages[: self.config.cite_k]) if subject else scoring
        reply = self._law_answer(scoring, passages, max_chars, matches, state, focus, previous)
        self.set_subject(state, asked, None, [] if reply.low_confidence else reply.citations)
        return reply

    def _pick_faq(self, matches: list[FaqMatch], passages: list[Passage]) -> FaqMatch | None:
        """The FAQ entry to answer with: the fitted picker's likeliest candidate when it is sure enough, or
        (without the picker) very similar, or similar and backed by the retrieved articles."""
        picker = self.config.faq_picker
        if picker is not None and picker.applicable(matches):
            picked = picker.pick(matches, passages, self.config.faq_agree_k)
            return FaqMatch(picked[0].entry, picked[1], picked[0].features) if picked is not None else None
        retrieved = {p.article_id for p in passages[: self.config.faq_agree_k]}
        best: tuple[float, FaqMatch] | None = None
        for m in matches:
            agree = any(c.article_id in retrieved for c in m.entry.citations)
            ok = m.score >= self.config.faq_threshold or (agree and m.score >= self.config.faq_agree_threshold)
            value = m.score + (0.25 if agree else 0.0)
            if ok and (best is None or value > best[0]):
                best = (value, m)
        return best[1] if best else None

    def _fitting_answer(self, text: str, subject: followup.Subject, matches: list[FaqMatch],
                        passages: list[Passage], max_chars: int) -> tuple[Reply, FaqEntry] | None:
        """A follow-up naming a new element of its subject, answered by the vetted entry about the subject that
        speaks of it (`followup.fitting_entry`) when the picker finds it likely enough."""
        picker = self.config.faq_picker
        if picker is None or followup.FITTING_SURE >= 1 or not picker.applicable(matches):
            return None
        fit = followup.fitting_entry(text, subject, matches, followup.subject_topics(subject, self._vocabulary()))
        if fit is None:
            return None
        values = faq_pick.candidate_features(matches, passages, self.config.faq_agree_k)[matches.index(fit)]
        probability = picker.probability(values)
        # ... and law retrieval for the follow-up finds one of the articles it cites: an entry that only
        # shares the new element ("cấp cứu" on a bicycle after a question on a motorbike) is not it
        if probability < followup.FITTING_SURE or (followup.FITTING_RETRIEVED and values["law_rank"] <= 0):
            return None
        reply = self.faq_reply(fit.entry, probability, max_chars)
        return (reply, fit.entry) if reply is not None else None

    def _last_answer_again(self, text: str, subject: followup.Subject,
                           max_chars: int) -> tuple[Reply, FaqEntry] | None:
        """A follow-up the last vetted answer already answers: one of its sentences states the range the number it
        varies falls in ("bé lớn 5 tuổi thì sao" after "từ đủ 03 đến dưới 07 tuổi"), or holds most of its own
        words ("còn làm nghề nặng nhọc thì sao" after "14 ngày: ... nghề nặng nhọc, độc hại"). Served again, that
        sentence first (see `followup.repeats`)."""
        entry = next((e for e in self.entries() if e.id == subject.faq_id), None) if subject.faq_id else None
        if entry is None:
            return None
        in_range = followup.NUMBER_RANGES and ranges.sentence_holding(entry.answer, followup.fragment(text)) is not None
        if not in_range and not (COVERED_FOLLOWUPS and followup.sentence_covering(entry.answer, text) is not None):
            return None
        reply = self.faq_reply(entry, 1.0, max_chars)
        return (reply, entry) if reply is not None else None

    @staticmethod
    def _asks_aspect(text: str) -> bool:
        return ASPECT_FOLLOWUPS > 0 and aspects.asked(followup.fragment(text)) is not None

    def _aspect_answer(self, text: str, subject: followup.Subject, previous: list[Passage], max_chars: int,
                       own: bool | None = None) -> tuple[Reply, FaqEntry | None] | None:
        """A bare follow-up asking where, with which papers, at what fee or within what time the subject's
        procedure is done: the article whose heading names that aspect of it ("Thẩm quyền đăng ký khai sinh"
        for "làm ở đâu" after a birth registration), in the words of a vetted entry that cites it and asks
        the same, else quoted from the law. None when no heading names it (the other routes then try).
        `own`: only a follow-up that names a thing of its own (True) or only one that names none (False)."""
        rest = followup.fragment(text)
        got = aspects.asked(rest)
        if got is None:
            return None
        thing = aspects.thing_words(got, subject.terms, [p.title for p in previous])
        named = bool(got.thing) and thing == got.thing
        if not thing or (own is not None and own != named):
            return None
        written = rest if named else " ".join(t for t in subject.terms if cue_form(t).strip() in thing)
        found = None
        for one in got.each():  # "giấy tờ gì, nộp ở đâu": the first aspect a heading names
            try:
                passages = self.retriever.search(aspects.query(one, [written]), aspects.SEARCH_K)
            except Exception:
                log.exception("aspect search failed")
                return None
            found = aspects.article(passages, one, thing, [] if named else [p.doc_number for p in previous],
                                    rest if named else subject.question)
            if found is not None:
                got = one
                break
        if found is None:
            return None
        entry = self._entry_asking(found, got, thing, subject)
        if entry is not None:
            reply = self.faq_reply(entry, 1.0, max_chars)
            if reply is not None:
                return reply, entry
        focus = " ".join([*got.aspect.titles, written])
        out = self.writer.write(focus, [found], max_chars)
        return Reply(ReplyKind.ANSWER, out.text, citations=list(out.citations), buttons=list(ANSWER_BUTTONS),
                     sources=[found], confidence=aspects.share_named(found.title, thing)), None

    def _entry_asking(self, found: Passage, got: aspects.Asked, thing: tuple[str, ...],
                      subject: followup.Subject) -> FaqEntry | None:
        """The vetted entry resting on `found` (its first citation: the article its author built the answer on)
        with a question of its own asking the aspect of the whole thing; never the one that answered the
        subject. An entry that only cites it beside another ("trích lục" copies citing the fee article too)
        answers another question."""
        for e in self.entries():
            if e.id == subject.faq_id or not e.citations or e.citations[0].article_id != found.article_id:
                continue
            if any(aspects.entry_asks([q], got) and set(thing) <= followup.said([q]) for q in e.questions):
                return e
        return None

    def _faq_answer(self, matches: list[FaqMatch], retrieved: list[Passage],
                    max_chars: int) -> tuple[Reply, FaqEntry] | None:
        match = self._pick_faq(matches, retrieved)
        if match is None:
            return None
        reply = self.faq_reply(match.entry, match.score, max_chars)
        return (reply, match.entry) if reply is not None else None

    def faq_reply(self, entry: FaqEntry, score: float, max_chars: int) -> Reply | None:
        """The vetted answer with its basis; None when none of its citations resolves (never cite what
        neither the index nor the register holds)."""
        cited = [(c, p) for c in entry.citations if (p := self._cited(c)) is not None]
        if not cited:
            return None
        written = self.writer.write_faq(entry, cited, max_chars)
        return Reply(ReplyKind.ANSWER, written.text, citations=list(written.citations),
                     buttons=list(ANSWER_BUTTONS), sources=[p for _, p in cited], confidence=score)

    def _cited(self, c: Citation) -> Passage | None:
        """A FAQ citation as a passage: the indexed article or, when the retriever knows the
        document register and the index holds nothing of that document, a text-less passage."""
        return self.retriever.get_cited(c.article_id, c.doc_number, c.article)

    def pick_suggestion(self, index: int, state: ConversationState, max_chars: int, ref: str | None = None) -> Reply:
        """The citizen chose one of the FAQ questions we offered ("1", "2", "3" or the button); a button
        that names its entry (`ref`) picks that one, even under an older reply than the last."""
        entries = {e.id: e for e in self.entries()}
        chosen = ref if ref is not None else state.suggestions[index] if index < len(state.suggestions) else None
        entry = entries.get(chosen or "")
        reply = self.faq_reply(entry, 1.0, max_chars) if entry is not None else None
        if entry is None or reply is None:
            return Reply(ReplyKind.CLARIFY, texts.SUGGESTION_GONE, buttons=list(HUMAN_BUTTON))
        state.suggestions = []
        self.set_subject(state, entry.questions[0], entry, reply.citations)
        return reply

    def _law_answer(self, question: str, passages: list[Passage], max_chars: int,
                    matches: list[FaqMatch], state: ConversationState, focus: str = "",
                    prior: list[Passage] | None = None) -> Reply:
        """`focus`: the words the quoted clauses are picked by (a follow-up's own fragment), default `question`;
        `prior`: the articles a follow-up's subject was answered from."""
        focus = focus or question
        # a follow-up the law search finds nothing for still leans on the articles its subject was answered from
        # ("bé lớn 5 tuổi thì sao" after the days off to nurse a sick child): listed as possibly related, their
        # clause picked by the follow-up's words, rather than "found nothing" in the middle of a conversation
        fallback = list(prior or [])[: self.config.low_confidence_k] if PRIOR_WHEN_UNSURE else []
        if not passages:
            return self._not_sure(fallback, max_chars, matches, state, focus)
        c = self.config
        decision = confidence.decide(confidence.signals(question, passages, matches, c.cite_k), c.confidence,
                                     c.answer_threshold, c.relevance_floor)
        ranked, conf = list(decision.ranked), decision.confidence
        if decision.sure:
            written = self.writer.write(focus, ranked[: self.config.cite_k], max_chars)
            return Reply(ReplyKind.ANSWER, written.text, citations=list(written.citations),
                         buttons=list(ANSWER_BUTTONS), sources=ranked[: self.config.top_k], confidence=conf)
        # below the relevance floor no article is listed: an honest "not sure", FAQ taps and a person
        shown = ranked[: self.config.low_confidence_k] if decision.show_articles else fallback
        reply = self._not_sure(shown, max_chars, matches, state, focus)
        reply.confidence, reply.sources = conf, ranked
        return reply

    def _not_sure(self, shown: list[Passage], max_chars: int, matches: list[FaqMatch], state: ConversationState,
                  question: str = "") -> Reply:
        """Honest "not sure": possibly related articles only above the relevance floor, up to three close
        vetted questions as taps (Telegram buttons; "1", "2", "3" anywhere), and the offer of a person."""
        offered = [m for m in matches if m.score >= self.config.faq_suggest_threshold][:3]
        state.suggestions = [m.entry.id for m in offered]
        picks = [Button(str(i), FAQ_PICKS[i - 1], m.entry.id) for i, m in enumerate(offered, 1)]
        written = self.writer.write_not_sure(question, shown, [m.entry.questions[0] for m in offered], max_chars)
        buttons = [*picks, Button(texts.BUTTON_HUMAN, ButtonAction.HUMAN)]
        if not shown:
            return Reply(ReplyKind.CLARIFY, written.text, buttons=buttons)
        return Reply(ReplyKind.ANSWER, written.text, citations=list(written.citations),
                     buttons=buttons, sources=shown, low_confidence=True)


# What `Answering.answer` may change in a chat's state: the subject (the fields below `forget_subject` clears)
# and the FAQ questions offered as "1", "2", "3".
ANSWER_STATE = ("last_question", "subject_terms", "subject_topic", "last_article_ids", "last_faq_id", "suggestions")


def forget_subject(state: ConversationState) -> None:
    """An escalation, a refusal or a vague message ends the subject: the next message is a new question."""
    state.last_question = None
    state.subject_terms, state.subject_topic, state.last_article_ids = [], None, []
    state.last_faq_id = None
