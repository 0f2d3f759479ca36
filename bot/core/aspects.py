"""The aspect of a procedure a bare follow-up asks (place, papers, fee, time limit) and the article whose heading names it."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from bot.core import lexicon
from bot.core.clean import cue_form
from bot.core.function_words import FUNCTION_WORDS
from bot.core.models import DocStatus, Passage

_KINDS = ("aspect_place", "aspect_papers", "aspect_fee", "aspect_deadline")
# Words that only say a thing is done, asked or needed ("nộp ở đâu", "đi đâu", "cần gì", "mất phí", "thủ tục"), folded,
# beyond the function words (function_words.FUNCTION_WORDS) also left out: a fragment that names nothing else asks the
# aspect of the subject itself.
_DOING = frozenset(["nop", "di", "can", "mat", "ton", "thu", "tuc", "viec", "ban", "ok", "vang"])
# A fragment naming more than this many words of its own asks a question of its own, not an aspect.
MAX_THING_WORDS = 4
# The heading must hold at least this share of the words naming the thing ("đăng ký khai sinh").
HEADING_SHARE = 0.5
_NOT_NOW = (DocStatus.EXPIRED, DocStatus.NOT_YET_IN_FORCE, DocStatus.SUSPENDED)
# How many articles law retrieval returns for the aspect's heading words and the thing.
SEARCH_K = 10


@dataclass(frozen=True)
class Aspect:
    """One aspect: the lexicon entry that names it, and the words the law's headings use for it."""

    kind: str
    titles: tuple[str, ...]  # accented, as in the headings ("Thẩm quyền", "Lệ phí")

    @property
    def folded_titles(self) -> tuple[str, ...]:
        return tuple(cue_form(t).strip() for t in self.titles)


@cache
def aspects() -> tuple[Aspect, ...]:
    entries = lexicon.entries()
    return tuple(Aspect(k, tuple(str(t) for t in entries[k].get("titles") or ())) for k in _KINDS if k in entries)


@dataclass(frozen=True)
class Asked:
    """What a bare follow-up asks: the aspect, and the words it names the thing by (empty: the subject's)."""

    aspect: Aspect
    thing: tuple[str, ...]  # folded
    others: tuple[Aspect, ...] = ()  # further aspects the same message asks ("giấy tờ gì, nộp ở đâu")

    def each(self) -> list[Asked]:
        """One Asked per aspect the message asks, the first first."""
        return [Asked(a, self.thing) for a in (self.aspect, *self.others)]


def asked(fragment: str) -> Asked | None:
    """The aspect a short fragment asks ("làm ở đâu vậy" -> place; "đăng ký giám hộ ở đâu" -> place of
    "đăng ký giám hộ"), None when it asks none or names too much of its own to be a follow-up's aspect."""
    folded = cue_form(fragment)
    hits = [(m.start(), i, a) for i, a in enumerate(aspects()) if (m := lexicon.pattern(a.kind).search(folded)) is not None]
    if not hits:
        return None
    found = [a for _, _, a in sorted(hits)]  # in the order the message asks them
    words = folded.replace("?", " ").split()
    covered: set[int] = set()
    # every cue of every aspect asked, overlapping ones too ("mang theo giấy" and "giấy tờ gì"): a message asking
    # two ("cần giấy tờ gì, nộp ở đâu") names no thing by the other's words
    for a in found:
        pattern = lexicon.pattern(a.kind)
        for i in range(len(words)):
            m = pattern.match(" ".join(words[i:]))
            if m is not None:
                covered.update(range(i, i + len(m.group(0).split())))
    rest = [w for i, w in enumerate(words) if i not in covered]
    thing = tuple(w for w in rest if w not in _DOING and w not in FUNCTION_WORDS and not w.isdigit())
    if len(thing) > MAX_THING_WORDS:
        return None
    return Asked(found[0], thing, tuple(found[1:]))


def _words(text: str) -> list[str]:
    return cue_form(text).split()


def thing_words(asked_: Asked, subject_terms: Iterable[str], cited_titles: Iterable[str]) -> tuple[str, ...]:
    """The folded words naming what the aspect is asked of: the fragment's own when it names something the
    subject does not ("vậy đăng ký giám hộ ở đâu"), else the subject's key words as the first cited heading
    holding two of them orders them ("khai sinh" of "sinh được 1 tháng, hạn chót đi làm giấy khai sinh",
    cited under "Trách nhiệm đăng ký khai sinh"), else all the subject's key words."""
    terms = [f for f in (cue_form(t).strip() for t in subject_terms) if f]
    if asked_.thing and not set(asked_.thing) <= set(terms):
        return asked_.thing
    known = set(terms)
    for title in cited_titles:
        named = list(dict.fromkeys(w for w in _words(title) if w in known))
        if len(named) >= 2:
            return tuple(named)
    return tuple(terms)


def heading_names(title: str, aspect: Aspect) -> bool:
    folded = f" {' '.join(_words(title))} "
    return any(f" {t} " in folded for t in aspect.folded_titles)


def share_named(title: str, thing: Sequence[str]) -> float:
    """The share of the thing's adjacent word pairs the heading holds ("khai sinh" in "Thẩm quyền đăng ký khai
    sinh", not in "địa điểm sinh hoạt" nor "khai thác"): syllables alone are shared by unrelated words."""
    if not thing:
        return 0.0
    words = _words(title)
    if len(thing) == 1:
        return 1.0 if thing[0] in words else 0.0
    held = set(itertools.pairwise(words))
    pairs = list(itertools.pairwise(thing))
    return sum(p in held for p in pairs) / len(pairs)


def query(asked_: Asked, thing_as_written: Sequence[str]) -> str:
    """What law retrieval is asked: the aspect's heading words and the thing ("Thẩm quyền Nơi ... khai sinh")."""
    return " ".join([*asked_.aspect.titles, *thing_as_written])


def covered(title: str, aspect: Aspect, text: str) -> bool:
    """Whether a heading, its aspect words aside, is mostly in the citizen's own words, two of them side by
    side ("Thẩm quyền đăng ký khai tử" for "bố tôi vừa mất, bao lâu phải đi làm giấy khai tử"): how the
    thing is found when the last answer cited nothing to name it by."""
    heading = f" {' '.join(_words(title))} "
    for t in aspect.folded_titles:
        heading = heading.replace(f" {t} ", " ")
    rest = [w for w in heading.split() if w != "va"]
    said = _words(text)
    words = set(said)
    if not rest or sum(w in words for w in rest) / len(rest) < HEADING_SHARE:
        return False
    return bool(set(itertools.pairwise(rest)) & set(itertools.pairwise(said)))


def article(passages: Sequence[Passage], asked_: Asked, thing: Sequence[str], cited_docs: Iterable[str],
            said: str = "") -> Passage | None:
    """The retrieved article whose heading names the aspect and the thing (most of its word pairs, or mostly
    the citizen's own words `said`), in retrieval order; else one of a document the last answer cited whose
    heading names the aspect ("Lệ phí hộ tịch" after a birth registration under the Luật Hộ tịch)."""
    # never a document no longer (or not yet) in force: the answer is quoted as the law today
    named = [p for p in passages if heading_names(p.title, asked_.aspect) and p.status not in _NOT_NOW]
    for p in named:
        if share_named(p.title, thing) >= HEADING_SHARE or (said and covered(p.title, asked_.aspect, said)):
            return p
    docs = set(cited_docs)
    if docs:
        for p in named:
            if p.doc_number in docs:
                return p
    return None


def entry_asks(questions: Iterable[str], asked_: Asked) -> bool:
    """Whether a vetted entry's own questions ask this aspect."""
    pattern = lexicon.pattern(asked_.aspect.kind)
    return any(pattern.search(cue_form(q)) for q in questions)

