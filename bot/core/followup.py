"""Follow-ups: the subject a chat is about, whether a message continues it, and the standalone query it stands for."""

from __future__ import annotations

import dataclasses
import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core import aspects, ranges
from bot.core.clean import accent_ratio, cue_form, legal_terms
from bot.core.function_words import FUNCTION_WORDS
from bot.core.models import Passage
from bot.core.ports import FaqEntry, FaqMatch, Turn

# A message opening by pointing back at what was said: "còn ...", "thế còn", "vậy nếu", "trường hợp",
# "ngược lại", "lỡ", "rồi ..." (the ways of continuing a topic in Vietnamese conversation).
_START = re.compile(
    r"^(?:(?:vay|the|nhung|ma|va|con|vay thi|the thi|a|u|uh|ok|da|vang)\s+)?"
    r"(?:neu|truong hop|nguoc lai|lo|lo nhu|nhu vay|nhu the|vay thi|the thi|sau do|luc do|khi do|roi|rui|"
    r"the con|vay con|con|vay(?= (?:con|thi|neu|ma|la|sao|nao|toi|minh|em)\b)|the(?= (?:con|thi|neu|ma|la|sao|nao)\b))\b"
)
# "con" is "còn" (and, as for) unless it heads a word for a child: "con nuôi", "con riêng", "con tôi"
# (Vietnamese kinship compounds; typed without accents, both read "con").
_CHILD_HEAD = frozenset(
    ["nuoi", "rieng", "ruot", "de", "trai", "gai", "cai", "chung", "nho", "lon", "ut", "ca", "dau", "re", "toi", "tui", "minh", "em", "be", "chau", "thu", "hai", "ba", "cua", "chua", "sinh"]
)
# Closing frames that ask about a variation of what was just said: "... thì sao", "... thì có được không".
_END = re.compile(
    r"(?:thi sao|the nao|ra sao|thi the nao|thi duoc khong|thi co duoc khong|thi co sao khong|thi co bi gi khong|"
    r"thi lam sao|thi co bi phat khong|duoc khong|co duoc khong|duoc ko|co duoc ko|thi sao a)"
    r"(?: (?:a|vay|v|z|ha|nhi|nhe))*\s*\??\s*$"
)
# With accents, an opening "thế" / "vậy" (so, then) is unambiguous; typed without them it is also
# "thẻ" (card) or "vay" (borrow), so the folded pattern above accepts it only before a pointing word.
_ACCENTED_START = re.compile(r"^(?:mà |nhưng |à |ừ |ok |dạ )?(?:thế|vậy)(?!\w)")
# Anaphora: "đơn đó", "thời gian đó", "ông ấy", "cái này". Typed without accents "do"/"ay" are also
# other words ("sổ đỏ", "nồng độ"), so folded text counts them only after a head noun that refers back.
_ANAPHOR_ACCENTED = re.compile(r"(?<!\w)(?:đó|đấy|ấy|nó|họ|kia)(?!\w)")
_ANAPHOR_FOLDED = re.compile(
    r"\b(?:don|giay|viec|luc|thoi gian|truong hop|cai|khoan|tien|hop dong|ben|nguoi|cong ty|cty|ong|ba|"
    r"anh|chi|co|nha|dat|xe|the|thu tuc|ho so|muc|quyet dinh|ban an|bien ban|vu|chuyen) (?:do|ay|nay|kia)\b"
)


@dataclass(frozen=True)
class Subject:
    """What the conversation is about: the last question asked on its own (follow-ups are read against
    it, not against each other) and what the last answer rested on."""

    question: str
    terms: tuple[str, ...] = ()  # key words of the question, as the citizen wrote them
    topic: str | None = None  # the FAQ topic that answered, when one did
    article_ids: tuple[str, ...] = ()  # the articles the last answer cited
    faq_id: str | None = None  # the FAQ entry that answered (never served again to a different follow-up)


@dataclass(frozen=True)
class Signals:
    """What a message says about itself: length, pointers back, and the content words of its own."""

    words: int
    starts_back: bool  # "còn ...", "thế còn", "vậy nếu", "trường hợp ..."
    ends_back: bool  # "... thì sao", "... có được không"
    anaphor: bool  # "đơn đó", "ông ấy"
    content: tuple[str, ...]  # folded words that are not function words

    @property
    def points_back(self) -> bool:
        return self.starts_back or self.anaphor or (self.ends_back and self.words <= _END_MAX_WORDS)


# A closing "... thì sao" marks a follow-up only in a short message: "bạn tôi nợ 50 triệu mấy tháng nay
# không trả thì làm sao" is a new question that happens to end like one.
_END_MAX_WORDS = 8
# A message with at least this share of accented words was typed with accents (then "con" is not "còn").
_ACCENTED = 0.3
# A word used under at most this many topics is topical for telling whether a message changes subject.
TOPICAL = 2
# A short message asking an aspect (place, papers, fee, time limit) of nothing it names continues the subject
# (0: it is judged by its words like any other).
ASPECTS_LEAN = 1.0
# Longer than this, a message pointing back still carries its own subject.
_POINTER_MAX_WORDS = 12
# Longer than this, a message is a question of its own.
MAX_WORDS = 16
# A message this short without a subject of another topic leans on the previous one ("nộp ở đâu").
SHORT_WORDS = 5
# A question this short, in the subject's topic, with few words of its own, continues it; 0 turns it off.
SAME_TOPIC_WORDS = 8
# At most this many content words name an aspect of the subject rather than a new one.
_ASPECT_WORDS = 2
# Words of the subject's question carried into a follow-up (a chain of follow-ups stays bounded).
_SUBJECT_WORDS = 40
# Key words kept for the subject (the first are the original subject's, then what follow-ups added).
MAX_TERMS = 12


def _words(folded: str) -> list[str]:
    return re.sub(r"[?%/]", " ", folded).split()


def signals(text: str) -> Signals:
    folded = cue_form(text)
    nfc = unicodedata.normalize("NFC", text)
    words = _words(folded)
    joined = " ".join(words)
    start = _START.match(joined)
    starts_back = False
    if start is not None:
        marker = start.group(0).split()
        # "con nuôi thì sao" is about an adopted child, not "còn ..."; accented "còn" is unambiguous
        after = words[len(marker)] if len(words) > len(marker) else ""
        child = after in _CHILD_HEAD or after.isdigit()  # "con 9 tuổi": a child's age
        # typed with accents, a bare "con" is the child (or the classifier), never "còn"
        typed_con = marker[-1] == "con" and "còn" not in nfc.lower() and accent_ratio(nfc) >= _ACCENTED
        if marker[-1] != "con" or "còn" in nfc.lower() or not (child or typed_con):
            starts_back = True
    if _ACCENTED_START.match(nfc.lower().strip()):
        starts_back = True  # accented "thế ..." / "vậy ..." opens a turn that leans on the last one
    anaphor = bool(_ANAPHOR_ACCENTED.search(unicodedata.normalize("NFC", text).lower())) or bool(
        _ANAPHOR_FOLDED.search(joined))
    content = tuple(w for w in words if w not in FUNCTION_WORDS and not w.isdigit() and len(w) > 1)
    return Signals(len(words), starts_back, bool(_END.search(joined)), anaphor, content)


class TopicVocabulary:
    """Which topics a word speaks of, derived from the vetted FAQ questions (the citizens' words for each
    topic). A word or word pair used under at most `max_topics` topics is topical ("tạm trú", "thai sản");
    one found everywhere ("đăng ký", "bao lâu") says nothing about what a message is about."""

    def __init__(self, questions: Iterable[tuple[str, str]], max_topics: int = TOPICAL) -> None:
        where: dict[str, set[str]] = {}
        for topic, question in questions:
            for term in _terms(signals(question).content):
                where.setdefault(term, set()).add(topic)
        self._topics = {t: frozenset(s) for t, s in where.items() if len(s) <= max_topics}
        self._known = frozenset(where)

    def unknown(self, content: Iterable[str]) -> list[str]:
        """Content words no FAQ question uses (a subject the FAQ does not know, or a typo)."""
        return [w for w in content if w not in self._known]

    def topics(self, content: Iterable[str]) -> frozenset[str]:
        """Every topic the topical words and word pairs of `content` point to."""
        found: set[str] = set()
        for term in _terms(tuple(content)):
            found |= self._topics.get(term, frozenset())
        return frozenset(found)

    def topical(self, words: list[str]) -> list[bool]:
        """For each folded word: whether it is topical alone or with a neighbour ("thất nghiệp", "khai sinh")."""
        keep = [w in self._topics for w in words]
        for i, (a, b) in enumerate(itertools.pairwise(words)):
            if f"{a} {b}" in self._topics:
                keep[i] = keep[i + 1] = True
        return keep

    def best_topic(self, content: Iterable[str]) -> str | None:
        votes: dict[str, int] = {}
        for term in _terms(tuple(content)):
            for topic in self._topics.get(term, ()):
                votes[topic] = votes.get(topic, 0) + 1
        return max(votes, key=lambda t: (votes[t], t)) if votes else None


def _terms(content: tuple[str, ...]) -> list[str]:
    return [*content, *(f"{a} {b}" for a, b in itertools.pairwise(content))]


def is_followup(text: str, subject: Subject | None, vocabulary: TopicVocabulary | None = None,
                own_topic: str | None = None, previous: Iterable[Passage] = ()) -> bool:
    """Whether `text` continues `subject` rather than asking something new.

    `own_topic`: the topic of a vetted FAQ entry the message matches confidently on its own, if any.
    Pointing back ("còn ...", "... thì sao", "đơn đó") in a short message continues the subject; a
    message with no subject of its own (only frame words: "nộp ở đâu", "mất phí không") continues it;
    a message whose own words belong to another topic starts fresh; what is left continues only when
    very short. `previous`: the articles the last answer cited; a message pointing back that tells a new
    situation of another topic, which they do not speak of, is a new question ("mà còn xe máy không có
    bằng lái bị phạt bao nhiêu" after the question on an old-age allowance).
    """
    if subject is None or not subject.question.strip():
        return False
    s = signals(text)
    if s.words == 0 or s.words > MAX_WORDS:
        return False
    own = vocabulary.topics(s.content) if vocabulary is not None else frozenset()
    if s.points_back and s.words <= _POINTER_MAX_WORDS:
        # only against articles to check with: after a "not sure" answer the topic words alone misread
        # real follow-ups ("còn làm nghề nặng nhọc độc hại thì sao")
        previous = list(previous)
        situation = len(s.content) > _ASPECT_WORDS + 1  # more than an aspect ("mức phạt", "chồng")
        theirs = _subject_topics(subject, vocabulary)
        if (situation and not s.anaphor and own_topic is not None and own_topic not in theirs
                and not answering_prior(previous, text)):
            # a vetted answer of another topic fits it on its own: a new question that opens like a
            # follow-up ("mà còn ..."), also after a "not sure" answer that left no articles to check with;
            # one that points at what was said ("thời gian đó") stays on the subject
            return False
        elsewhere = bool(own) and not (own & theirs)
        return not (previous and situation and elsewhere and not answering_prior(previous, text))
    asked = aspects.asked(text) if ASPECTS_LEAN else None
    if asked is not None and not asked.thing and s.words <= _POINTER_MAX_WORDS:
        return True  # an aspect of nothing it names ("có mất phí không", "nộp ở đâu"): of the subject
    # words no FAQ question uses may name a subject of their own: two of them are enough to say so
    unknown = len(vocabulary.unknown(s.content)) if vocabulary is not None else 0
    if not own and own_topic is None and unknown < 2 and s.words <= _POINTER_MAX_WORDS:
        return True  # no subject of its own: "đăng ký xong bao lâu phải làm lại"
    theirs = _subject_topics(subject, vocabulary)
    if own_topic is not None and own_topic not in theirs:
        return False  # answerable on its own, about something else
    # two content words name an aspect ("mức phạt", "lệ phí"), not a subject of their own
    if own and theirs and not (own & theirs) and len(s.content) > _ASPECT_WORDS:
        return False
    if own & theirs and len(s.content) <= _ASPECT_WORDS + 1:
        # a short question in the subject's own topic asks a further fact of it ("có bị trừ điểm bằng không"
        # after the fine for running a red light)
        return s.words <= max(SHORT_WORDS, SAME_TOPIC_WORDS)
    return s.words <= SHORT_WORDS


def subject_topics(subject: Subject, vocabulary: TopicVocabulary | None) -> frozenset[str]:
    """The topics a subject is about: its answer's FAQ topic and the topics its key words speak of."""
    return _subject_topics(subject, vocabulary)


def about_subject(entry: FaqEntry, subject: Subject, topics: frozenset[str]) -> bool:
    """Whether a vetted entry speaks of the subject: of one of its `topics`, or citing an article its last
    answer cited (the FAQ's topics overlap: "Lao động" and "Hợp đồng lao động, nghỉ việc, sa thải")."""
    return entry.topic in topics or bool({c.article_id for c in entry.citations} & set(subject.article_ids))


def _subject_topics(subject: Subject, vocabulary: TopicVocabulary | None) -> frozenset[str]:
    found = vocabulary.topics(signals(" ".join(subject.terms) or subject.question).content) if vocabulary else frozenset()
    return found | ({subject.topic} if subject.topic else frozenset())


def key_terms(text: str, limit: int = MAX_TERMS) -> tuple[str, ...]:
    """The content words of a question as written (accents kept), in order, without repeats or numbers."""
    out: list[str] = []
    seen: set[str] = set()
    for token in re.findall(r"\w+", unicodedata.normalize("NFC", text).lower()):
        f = cue_form(token).strip()
        if not f or f in FUNCTION_WORDS or f.isdigit() or len(f) < 2 or f in seen or "_" in f:
            continue
        seen.add(f)
        out.append(token)
        if len(out) >= limit:
            break
    return tuple(out)


def fragment(text: str) -> str:
    """The message without the words that only point back ("thế còn chồng thì sao" -> "chồng thì sao")."""
    words = text.split()
    folded = _words(cue_form(text))
    if len(words) != len(folded):
        return text.strip()
    m = _START.match(" ".join(folded))
    if m is None or not signals(text).starts_back:
        return text.strip()
    n = len(m.group(0).split())
    # keep "nếu" / "trường hợp": they say the new fragment is a condition
    while n and folded[n - 1] in ("neu", "truong", "hop", "lo", "nguoc", "lai"):
        n -= 1
    return " ".join(words[n:]).strip() or text.strip()


# People a question is about, as citizens name them (source: Vietnamese kinship terms, a closed word class),
# longest first. Typed without accents some are other words too ("bo" is also "bỏ", "vo" "vô", "ba" "three"),
# so text typed with accents is matched by its accented words.
_PEOPLE = (
    "ông nội", "ông ngoại", "bà nội", "bà ngoại", "bố mẹ", "cha mẹ", "bố chồng", "mẹ chồng", "bố vợ", "mẹ vợ",
    "bố dượng", "cha dượng", "mẹ kế", "anh trai", "chị gái", "em trai", "em gái", "anh ruột", "chị ruột",
    "em ruột", "con trai", "con gái", "con riêng", "con nuôi", "con ruột", "người yêu", "vợ", "chồng", "cha",
    "bố", "ba", "mẹ", "má", "ông", "bà", "cháu",
)
_PEOPLE_FOLDED = tuple(dict.fromkeys(cue_form(p).strip() for p in _PEOPLE))
# "ruột" / "đẻ" after a single kinship word belong to it ("bố ruột", "mẹ đẻ"), folded
_BLOOD = ("ruot", "de")


def _person_at(words: list[str], accented: bool) -> tuple[int, int] | None:
    """The first person named in `words` (start, end), longest phrase first."""
    forms = [unicodedata.normalize("NFC", w).lower().strip(",.?!:;") for w in words]
    folded = [cue_form(f).strip() for f in forms]
    lexicon, seen = (_PEOPLE, forms) if accented else (_PEOPLE_FOLDED, folded)
    for i in range(len(words)):
        for phrase in lexicon:
            parts = phrase.split()
            if seen[i:i + len(parts)] == parts:
                end = i + len(parts)
                return i, end + (len(parts) == 1 and end < len(words) and folded[end] in _BLOOD)
    return None


def person_named(text: str) -> str | None:
    """The person a follow-up names ("thế còn chồng tôi thì sao" -> "chồng"), if any."""
    rest = fragment(text).split()
    found = _person_at(rest, accent_ratio(" ".join(rest)) >= _ACCENTED)
    return " ".join(w.strip(",.?!:;") for w in rest[found[0]:found[1]]) if found else None


def swap_person(question: str, text: str) -> str | None:
    """The subject's question about the person a short follow-up names instead ("thế còn chồng tôi thì sao"
    after "vợ tôi sắp sinh được nghỉ mấy tháng" -> "chồng tôi sắp sinh được nghỉ mấy tháng"): the vetted
    questions are sentences about one person, which the question with the new person embeds close to.
    None when the follow-up names no person, the same one, or a situation of its own (words the question lacks)."""
    rest = fragment(text).split()
    asked = question.split()
    if not rest or not asked:
        return None
    new = _person_at(rest, accent_ratio(" ".join(rest)) >= _ACCENTED)
    old = _person_at(asked, accent_ratio(question) >= _ACCENTED)
    if new is None or old is None:
        return None
    person = rest[new[0]:new[1]]
    if cue_form(" ".join(person)) == cue_form(" ".join(asked[old[0]:old[1]])):
        return None
    others = set(signals(" ".join(rest[:new[0]] + rest[new[1]:])).content)
    if others - set(signals(question).content):
        return None  # the follow-up adds a situation of its own: the fragment search reads it
    return " ".join([*asked[:old[0]], *(w.strip(",.?!:;") for w in person), *asked[old[1]:]])


def rewrite(text: str, subject: Subject) -> str:
    """A standalone question: the subject's question as the citizen put it, then the new fragment.

    The whole question, not a bag of its key words: the FAQ is matched by meaning, and a sentence
    embeds closer to the vetted questions than keywords do; the retriever reads the same words either way.
    """
    rest = fragment(text)
    words = subject.question.split()
    carried = " ".join(words[:_SUBJECT_WORDS]) if words else " ".join(subject.terms)
    return f"{carried} {rest}".strip()


def clause_focus(text: str, standalone: str, passages: Iterable[Passage] = ()) -> str:
    """The words a follow-up's quote is chosen by: its own fragment when it names something the articles
    speak of ("còn làm ca đêm thì sao" -> the night-shift clause), else the whole standalone question (also
    when the law words it differently: "cưới" is "kết hôn" there). The subject's words found the articles;
    left in, they pick the clause that answered the previous question again."""
    rest = fragment(text)
    asked = set(signals(rest).content)
    said = set().union(*(_words(cue_form(p.text)) for p in passages)) if asked else set()
    return rest if asked & said else standalone


def answering_prior(previous: Iterable[Passage], text: str, share: float = 0.5) -> list[Passage]:
    """The articles of the last answer that hold what a follow-up asks: a clause of theirs carries at least
    `share` of the follow-up's own content words ("thế còn làm ca đêm thì sao" after the break-time answer:
    the same article's clause on night work). A follow-up about something they do not speak of gets none."""
    asked = set(signals(fragment(text)).content)
    if not asked:
        return []
    held = []
    for p in previous:
        for clause in re.split(r"\n\s*\n|\n(?=\d+\.\s)", p.text):
            said = set(_words(cue_form(clause)))
            if len(asked & said) >= max(1, share * len(asked)):
                held.append(p)
                break
    return held


def covers(answer: str, followup: str) -> bool:
    """Whether an answer already speaks of most content words of a follow-up (serving it again answers it).
    One stating the range a number it varies falls in is served before this is asked (Answering._last_answer_again)."""
    asked = signals(followup).content
    if not asked:
        return False
    said = set(_words(cue_form(answer)))
    return sum(w in said for w in asked) / len(asked) >= 0.6


# A follow-up is most often answered by the articles the last answer cited ("nếu mổ đẻ thì sao" after
# the paternity-leave answer): they join the retrieved passages with at least this share of the best
# retrieval score, so they lead unless the new words find clearly better articles. 0 turns the prior off:
# measured, 0.9 fixed some turns and broke as many (docs/benchmarks.md), so it is off until the first
# answers are right more often.
PRIOR_SHARE = 0.0
# Also match the FAQ with the compact form of a follow-up (the subject's key words, the titles of the
# articles last cited and the new fragment); 0 turns it off. Measured no better (docs/benchmarks.md).
COMPACT_FAQ = 0.0
TITLES = 0.0
# The share of the best retrieval score given to the last answer's articles that hold what a follow-up
# asks (`answering_prior`); 0 turns it off. Measured 0.9 = 1.0 >= 1.1 on our training conversations.
HOLDING_SHARE = 0.9
# A follow-up varying a number ("con 5 tuổi thì sao") is covered by an answer stating the range it falls in.
NUMBER_RANGES = True
# A follow-up's everyday words also count as the law's term for them when finding the sentence that answers it.
COVER_TERMS = True


# Also match the FAQ with the follow-up's fragment after the subject's topical words only ("trợ cấp thất
# nghiệp" + "mỗi tháng được bao nhiêu", without "công ty giải thể"): the whole first question glued to a
# short aspect embeds next to the entry that answered it; 0 turns it off.
FOCUSED_FAQ = 1.0
# A subject's word names its topic when FAQ questions use it under at most this many of the 43 topics.
FOCUS_TOPICS = 12


def focused(text: str, subject: Subject, vocabulary: TopicVocabulary | None) -> str | None:
    """The follow-up's fragment after the words of the subject that name its topic, as written (None when
    the subject has none or the vocabulary is unknown)."""
    if vocabulary is None:
        return None
    words = [w for w in re.findall(r"\w+", unicodedata.normalize("NFC", subject.question)) if not w.isdigit()]
    folded = [cue_form(w).strip() for w in words]
    keep = vocabulary.topical(folded)
    named = [w for w, k, f in zip(words, keep, folded, strict=True) if k and f not in FUNCTION_WORDS]
    if not named:
        return None
    return f"{' '.join(dict.fromkeys(named))} {fragment(text)}".strip()


def compact(text: str, subject: Subject, titles: Iterable[str] = ()) -> str:
    """A follow-up as the subject's key words, the titles of the articles the last answer cited (the law's
    own words for the subject) and the new fragment ("phép năm ... Nghỉ hằng năm ... làm nghề nặng nhọc")."""
    rest = fragment(text)
    named = " ".join(dict.fromkeys(t.strip() for t in titles if t.strip())) if TITLES else ""
    return " ".join(x for x in (" ".join(subject.terms), named, rest) if x).strip()


# How a follow-up is searched in the law: "standalone" (the rewritten question), "boost" (the rewritten
# question with the new fragment once more: the retriever weighs repeated words more, so what is new
# leads over the subject's words), "compact" (`compact` with the titles of the articles last cited).
# Measured on our training conversations (followup_turn_acc, 116 + 26 turns): standalone 0.552 / 0.577,
# boost 0.595 / 0.539, compact 0.569 / 0.577 (report-followups.md).
RETRIEVAL_FORM = "boost"


def retrieval_query(text: str, standalone: str, subject: Subject, titles: Iterable[str] = ()) -> str:
    """The words a follow-up is searched by in the law (see RETRIEVAL_FORM)."""
    rest = fragment(text)
    if RETRIEVAL_FORM == "boost" and signals(rest).content:
        return f"{standalone} {rest}"
    if RETRIEVAL_FORM == "compact":
        named = " ".join(dict.fromkeys(t.strip() for t in titles if t.strip()))
        return " ".join(x for x in (" ".join(subject.terms), named, rest) if x).strip()
    return standalone


def with_prior(passages: list[Passage], previous: Iterable[Passage], share: float | None = None) -> list[Passage]:
    """The retrieved passages for a follow-up, with the articles of the last answer as a prior."""
    share = PRIOR_SHARE if share is None else share
    previous = list(previous)
    if share <= 0 or not previous:
        return passages
    top = max((p.score for p in passages), default=1.0) or 1.0
    found = {p.article_id: p for p in passages}
    lifted = [dataclasses.replace(found.get(p.article_id, p), score=max(found.get(p.article_id, p).score, share * top))
              for p in previous]
    ids = {p.article_id for p in lifted}
    return sorted([*lifted, *(p for p in passages if p.article_id not in ids)], key=lambda p: p.score, reverse=True)


def best_matches(searches: Iterable[list[FaqMatch]]) -> list[FaqMatch]:
    """FAQ matches from several phrasings of one question: each entry at its best score."""
    best: dict[str, FaqMatch] = {}
    for matches in searches:
        for m in matches:
            if m.entry.id not in best or m.score > best[m.entry.id].score:
                best[m.entry.id] = m
    return sorted(best.values(), key=lambda m: m.score, reverse=True)


def repeats(reply_text: str, turns: Iterable[Turn], message: str) -> bool:
    """Whether `reply_text` is the bot's previous reply word for word while the citizen asked something else."""
    last_user = last_bot = None
    for turn in turns:
        if turn.role == "user":
            last_user = turn.text
        elif turn.role == "bot":
            last_bot = turn.text
    if last_bot is None or last_bot.strip() != reply_text.strip():
        return False
    return cue_form(last_user or "").strip() != cue_form(message).strip()


def focus_sentence(answer: str, message: str) -> str | None:
    """The sentence of an answer that states the range the number a follow-up varies falls in, else the one that
    holds it (`sentence_covering`: most of its words or their law term, or the bound it asks), else the one that
    speaks most of its own words (None when none does)."""
    holding = ranges.sentence_holding(answer, fragment(message)) if NUMBER_RANGES else None
    if holding is None and COVER_TERMS:
        holding = sentence_covering(answer, message)
    if holding is not None:
        return holding
    asked = set(signals(message).content)
    if not asked:
        return None
    best: tuple[int, str] | None = None
    for sentence, folded in _sentences(answer):
        said = set(_words(folded))
        hits = len(asked & said)
        if hits and (best is None or hits > best[0]):
            best = (hits, sentence)
    return best[1] if best else None


def _sentences(answer: str) -> list[tuple[str, str]]:
    """The sentences of a written answer (list items and clauses after ":" or ";" each on their own), as written
    and folded."""
    parts = (s.strip(" -•") for s in re.split(r"(?<=[.;:!?])\s+|\n+", answer))
    return [(s, cue_form(s)) for s in parts if s]


def sentence_covering(answer: str, message: str, share: float = 0.8) -> str | None:
    """The sentence of an answer that holds at least `share` (and two) of a follow-up's own content words ("còn làm
    nghề nặng nhọc, độc hại thì sao" after the annual leave answer's "14 ngày: ... nghề nặng nhọc, độc hại"), or
    None."""
    own = fragment(message)
    # its own words, or the law's term for them ("mổ đẻ": "sinh con phải phẫu thuật")
    askings = [set(signals(own).content), *(set(signals(t).content) for t in (legal_terms(own) if COVER_TERMS else []))]
    # a bare "at most / at least" ("tối đa được bao nhiêu") asks the sentence stating that bound
    bound = next((p for p in _BOUNDS.values() if p.search(cue_form(own))), None) if not askings[0] else None
    for sentence, folded in _sentences(answer):
        said = set(_words(folded))
        if any(len(asked) >= 2 and len(asked & said) >= share * len(asked) for asked in askings):
            return sentence
        if bound is not None and bound.search(folded):
            return sentence
    return None


# The words for an upper and a lower bound (the law's "tối đa", "tối thiểu", "không quá", "ít nhất"), folded.
_BOUNDS = {"max": re.compile(r"\b(toi da|nhieu nhat|cao nhat|khong qua|lau nhat)\b"),
           "min": re.compile(r"\b(toi thieu|it nhat|thap nhat|khong duoi)\b")}


def leans_on(text: str) -> bool:
    """A short message with at most a few content words: read alone it may look like small talk, but in a
    conversation it asks about the subject ("có bị trừ điểm không", "mất bao lâu mới có giấy")."""
    s = signals(text)
    return 0 < s.words <= _POINTER_MAX_WORDS and len(s.content) <= 4


# A follow-up that names a new element of its subject ("nếu là xe đạp thì sao" after the fine for riding a
# motorbike after a beer) is answered by the vetted entry about the subject that speaks of that element: the
# picker, fitted on first questions, reads the subject's words glued to the fragment and stays unsure. Such an
# entry answers when the picker gives it at least this probability; 1 turns the rule off.
FITTING_SURE = 0.15
# ... and when its questions and answer hold at least this share of the subject's key words (the entry about
# the same situation, not one that merely shares the new element).
FITTING_SUBJECT = 0.5
# ... and when law retrieval for the follow-up finds one of the articles it cites (1: required).
FITTING_RETRIEVED = 1.0
# After a follow-up answered by another vetted entry, that entry's question becomes the subject (0: the
# subject stays the first question).
SHIFT_SUBJECT = 1.0
# A fragment with no content word ("làm ở đâu") is matched by its frame words in the entries' questions (0: off).
FITTING_FRAME = 1.0
# Particles and pointers that say nothing of what a fragment asks (folded; Vietnamese closed word classes).
_PARTICLES = frozenset(["a", "ak", "ah", "ha", "nhi", "nhe", "nha", "vay", "v", "z", "thi", "sao", "co", "khong",
                        "ko", "k", "hong", "the", "con", "ma", "la", "roi", "nao", "oi", "u", "uh", "ok", "da", "vang",
                        "cho", "hoi", "xin", "toi", "em", "minh", "tui", "anh", "chi", "ban"])


def said(texts: Iterable[str]) -> set[str]:
    """The folded words of `texts`, and each adjacent pair written as one ("ô tô" is also typed "oto")."""
    words: set[str] = set()
    for text in texts:
        folded = _words(cue_form(text))
        words.update(folded)
        words.update(a + b for a, b in itertools.pairwise(folded))
    return words


def fitting_entry(text: str, subject: Subject, matches: Iterable[FaqMatch],
                  topics: frozenset[str]) -> FaqMatch | None:
    """The candidate about the subject that speaks of every content word of the follow-up's fragment, and of
    most of the subject's key words (None when the fragment names nothing or no candidate fits)."""
    rest = fragment(text)
    asked = set(signals(rest).content)
    # a fragment of frame words only ("làm ở đâu", "mỗi tháng được bao nhiêu") asks what an entry's own
    # questions ask: they must hold those words, not merely its answer (where "làm", "ở" are everywhere)
    frame = set() if asked or not FITTING_FRAME else set(_words(cue_form(rest))) - _PARTICLES
    if not asked and not frame:
        return None
    terms = {cue_form(t).strip() for t in subject.terms} - asked - frame
    best: tuple[float, FaqMatch] | None = None
    for m in matches:
        if m.entry.id == subject.faq_id or not about_subject(m.entry, subject, topics):
            continue
        in_questions = said(m.entry.questions)
        spoken = in_questions | said([m.entry.answer])
        if not asked <= spoken or not frame <= in_questions:
            continue
        held = sum(t in spoken for t in terms) / len(terms) if terms else 0.0
        if terms and held < FITTING_SUBJECT:
            continue
        value = held + m.score
        if best is None or value > best[0]:
            best = (value, m)
    return best[1] if best else None
