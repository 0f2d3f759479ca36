"""Lexical units for BM25: canonical syllables, syllable bigrams, and their diacritic-folded forms."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from itertools import pairwise

from retrieval.normalize import normalize_tones, strip_diacritics

# A syllable is a run of letters/digits; a comma, full stop, semicolon, colon, bracket, quote or line
# break ends a phrase, and no bigram crosses it (hyphens and slashes do not break: "kinh tế - xã hội").
_TOKEN_RE = re.compile(r"[^\W_]+|[.,;:!?()\[\]{}\"“”…\n]+")
_COMBINING_RE = re.compile("[\u0300-\u036f]")
_THOUSANDS_RE = re.compile(r"(?<=\d)[.,](?=\d{3}(?!\d))")
_LEADING_ZEROS_RE = re.compile(r"^0+(?=\d)")

BREAK = ""  # phrase break marker in token streams (never a syllable)

# Question boilerplate citizens add around the legal content ("... được quy định như thế nào?",
# "... có đúng không?"). Laws rarely contain these phrases, so BM25 would give them a high idf and
# reward whichever article happens to contain them. Removed from queries only, longest first.
# Kept on purpose: "là gì" ("X là" matches the definition "X là ..."), and words that carry the
# kind of answer wanted ("bao nhiêu", "khi nào", "ở đâu").
QUESTION_PHRASES: tuple[str, ...] = (
    "được quy định như thế nào",
    "quy định như thế nào",
    "được quy định ra sao",
    "quy định ra sao",
    "như thế nào",
    "thế nào",
    "ra sao",
    "có đúng không",
    "đúng không",
    "hay không",
    "được không",
    "có phải",
    "phải không",
)


@dataclass(frozen=True)
class TokenizerConfig:
    """Which lexical units a BM25 index holds, how fields are weighted, and BM25's k1 and b.

    Defaults were chosen on the dev questions (docs/benchmarks.md): titles matter most in
    questions that paraphrase an article, the đề mục, document title and chapter give context.
    """

    bigrams: bool = True
    # "dual": accented and folded terms both indexed; questions with diacritics use both (folded
    # at `folded_weight`), questions without use the folded terms only. "folded": only folded
    # terms. "accented": only accented terms.
    accents: str = "dual"
    folded_weight: float = 0.5
    bigram_weight: float = 1.0
    title_weight: float = 3.0
    subtopic_weight: float = 2.0
    topic_weight: float = 0.0
    doc_title_weight: float = 1.0
    path_weight: float = 1.0
    drop_question_phrases: bool = True
    definition_weight: float = 0.7  # weight of "giải thích từ ngữ" added to "X là gì?" questions
    expand_abbreviations: bool = True  # "HĐND" in a question -> "hội đồng nhân dân"
    k1: float = 0.9
    b: float = 0.7

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> TokenizerConfig:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)  # type: ignore[arg-type]


_canon_cache: dict[str, str] = {}


def canonical_syllable(raw: str) -> str:
    """Lower case, one tone placement, no leading zeros ('Hoà' -> 'hòa', '05' -> '5')."""
    hit = _canon_cache.get(raw)
    if hit is None:
        hit = normalize_tones(raw.lower())
        if hit[:1] == "0":
            hit = _LEADING_ZEROS_RE.sub("", hit)
        if len(_canon_cache) < 2_000_000:
            _canon_cache[raw] = hit
    return hit


def raw_tokens(text: str) -> list[str]:
    """Syllables and phrase-break runs as written (NFC, thousands separators removed)."""
    if _COMBINING_RE.search(text):
        text = unicodedata.normalize("NFC", text)
    if "." in text or "," in text:
        text = _THOUSANDS_RE.sub("", text)
    return _TOKEN_RE.findall(text)


def token_stream(text: str) -> list[str]:
    """Canonical syllables with BREAK ('') where punctuation ends a phrase."""
    out = []
    for tok in raw_tokens(text):
        if tok[0].isalnum():
            out.append(canonical_syllable(tok))
        elif out and out[-1] != BREAK:
            out.append(BREAK)
    return out


def syllables(text: str) -> list[str]:
    """Canonical syllables of a text, punctuation dropped."""
    return [t for t in token_stream(text) if t]


def bigrams(stream: list[str]) -> list[str]:
    """Adjacent syllable pairs that do not cross a phrase break: 'nghỉ phép' -> 'nghỉ_phép'."""
    return [a + "_" + b for a, b in pairwise(stream) if a and b]


def fold_term(term: str) -> str:
    """Diacritic-free form of a syllable or bigram ('nghỉ_phép' -> 'nghi_phep')."""
    return strip_diacritics(term)


def strip_question_phrases(text: str) -> str:
    """Remove question boilerplate so it does not act as rare, heavy terms.

    Phrases of two or more syllables also match without diacritics ("nhu the nao"); one-syllable
    particles only as written ("ạ", not "a", which is also a point label).
    """
    stream = token_stream(text)
    views = [" " + " ".join(t if t else "|" for t in stream) + " "]
    views.append(strip_diacritics(views[0]))  # same length: folding maps 1 char to 1 char
    for phrase, folded_phrase in _PHRASES:
        for which, pattern in ((0, phrase), (1, folded_phrase)):
            if pattern is None:
                continue
            start = views[which].find(pattern)
            while start >= 0:
                # Replace the phrase (not its surrounding spaces) by a phrase break in both
                # views, so its neighbours do not form a bigram.
                a, b = start + 1, start + len(pattern) - 1
                views = [v[:a] + "|".ljust(b - a) + v[b:] for v in views]
                start = views[which].find(pattern, start + 1)
    return " ".join(views[0].replace("|", ",").split())


_PHRASES = tuple(
    (" " + p + " ", " " + strip_diacritics(p) + " " if " " in p else None) for p in QUESTION_PHRASES
)


# Official abbreviations citizens type but laws spell out. Keys are diacritic-free, so "HĐND",
# "hđnd" and "hdnd" all match; only unambiguous ones (no "QH", "CP", "TT": parts of doc numbers).
ABBREVIATIONS: dict[str, str] = {
    "thpt": "trung học phổ thông",
    "thcs": "trung học cơ sở",
    "hdnd": "hội đồng nhân dân",
    "ubnd": "ủy ban nhân dân",
    "tand": "tòa án nhân dân",
    "vksnd": "viện kiểm sát nhân dân",
    "bhyt": "bảo hiểm y tế",
    "bhxh": "bảo hiểm xã hội",
    "bhtn": "bảo hiểm thất nghiệp",
    "gplx": "giấy phép lái xe",
    "cccd": "căn cước công dân",
    "cmnd": "chứng minh nhân dân",
    "nld": "người lao động",
    "nsdld": "người sử dụng lao động",
    "hdld": "hợp đồng lao động",
    "qsdd": "quyền sử dụng đất",
    "gcn": "giấy chứng nhận",
    "tnhh": "trách nhiệm hữu hạn",
    "csgt": "cảnh sát giao thông",
    "vphc": "vi phạm hành chính",
    "xlvphc": "xử lý vi phạm hành chính",
    "blds": "bộ luật dân sự",
    "blhs": "bộ luật hình sự",
    "blld": "bộ luật lao động",
    "bltths": "bộ luật tố tụng hình sự",
    "blttds": "bộ luật tố tụng dân sự",
    "hdqt": "hội đồng quản trị",
    "tncn": "thu nhập cá nhân",
    "tndn": "thu nhập doanh nghiệp",
    "gtgt": "giá trị gia tăng",
    "pccc": "phòng cháy và chữa cháy",
    "atgt": "an toàn giao thông",
    "mttq": "mặt trận tổ quốc",
    "dbqh": "đại biểu quốc hội",
    "bds": "bất động sản",
    "kcn": "khu công nghiệp",
    # Chat shorthand seen in citizens' questions (citizen_eval dev).
    "nvqs": "nghĩa vụ quân sự",
    "cty": "công ty",
    "tmdt": "thương mại điện tử",
    "sdt": "số điện thoại",
}


def expand_abbreviations(stream: list[str]) -> list[str]:
    """Spell out official abbreviations in a token stream ('hđnd' -> 'hội', 'đồng', 'nhân', 'dân')."""
    out: list[str] = []
    for tok in stream:
        full = ABBREVIATIONS.get(strip_diacritics(tok)) if tok else None
        out.extend(full.split() if full else [tok])
    return out


# A question asking what a term means is answered by the law's "Giải thích từ ngữ" article.
DEFINITION_CUES: tuple[str, ...] = (
    "là gì",
    "định nghĩa",
    "khái niệm",
    "được hiểu",
    "hiểu thế nào",
    "hiểu như thế nào",
    "thế nào là",
    "nghĩa là gì",
)
_DEFINITION_CUES = tuple(" " + strip_diacritics(c) + " " for c in DEFINITION_CUES)


def query_expansions(text: str, config: TokenizerConfig) -> list[tuple[str, float]]:
    """Extra (text, weight) pieces added to a question, from its intent."""
    out: list[tuple[str, float]] = []
    if config.definition_weight > 0:
        folded = " " + " ".join(strip_diacritics(t) for t in token_stream(text) if t) + " "
        if any(cue in folded for cue in _DEFINITION_CUES):
            out.append(("giải thích từ ngữ", config.definition_weight))
    return out


def query_has_accents(text: str) -> bool:
    """True when the question was typed with Vietnamese diacritics."""
    return strip_diacritics(text) != text


def terms(text: str, config: TokenizerConfig, *, folded: bool | None = None) -> list[str]:
    """The index terms of a text as strings (reference form; the index builds the same terms as ids).

    Accented terms are bare ('nghỉ', 'nghỉ_phép'); folded terms carry a '~' prefix ('~nghi_phep').
    `folded=None` emits what the config indexes for documents.
    """
    stream = token_stream(text)
    units = [t for t in stream if t]
    if config.bigrams:
        units += bigrams(stream)
    out: list[str] = []
    if config.accents in ("dual", "accented") and folded is not True:
        out += units
    if config.accents in ("dual", "folded") and folded is not False:
        out += ["~" + fold_term(u) for u in units]
    return out
