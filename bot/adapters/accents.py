"""Puts diacritics back on a message typed without them, from syllable statistics of text we ship (FAQ, training)."""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from bot.core.clean import accent_ratio
from retrieval.normalize import nfc, strip_diacritics

_WORD = re.compile(r"[^\W\d_]+")
_MAX_CANDIDATES = 6
# Accented Vietnamese marks most words (often 70-85 %); text below this share was typed without marks.
TYPED_WITH_ACCENTS = 0.5


class AccentRestorer:
    """'bo nhau thi con 2 tuoi ai nuoi' -> 'bỏ nhau thì con 2 tuổi ai nuôi'.

    The sentence model reads unaccented Vietnamese far worse than accented (half of citizens type
    without marks). Candidates for each plain syllable are the accented syllables seen in our own
    accented texts; a Viterbi pass over adjacent-pair counts picks the sequence.
    """

    def __init__(self, texts: Iterable[str]) -> None:
        uni: Counter[str] = Counter()
        bi: Counter[tuple[str, str]] = Counter()
        by_plain: dict[str, Counter[str]] = defaultdict(Counter)
        for text in texts:
            if accent_ratio(text) < 0.3:
                continue  # unaccented text teaches nothing about accents
            words = [w.lower() for w in _WORD.findall(nfc(text))]
            for w in words:
                uni[w] += 1
                by_plain[strip_diacritics(w)][w] += 1
            bi.update(itertools.pairwise(words))
        self.uni, self.bi = uni, bi
        self.candidates = {p: [w for w, _ in c.most_common(_MAX_CANDIDATES)] for p, c in by_plain.items()}

    def restore(self, text: str) -> str:
        """The text with its plain words accented (unchanged when it was typed with accents).

        Cleaning expands some unaccented shorthand into accented words ("duoc" -> "được"), so a message
        typed without marks can arrive with a few: only a text marked like accented writing (at least
        half its words) is left alone; otherwise the plain words are restored and marked ones kept."""
        if accent_ratio(text) >= TYPED_WITH_ACCENTS or not self.candidates:
            return text
        matches = list(_WORD.finditer(text))
        if not matches:
            return text
        words = [m.group(0).lower() for m in matches]
        chosen = self._viterbi(words)
        out, last = [], 0
        for m, w in zip(matches, chosen, strict=True):
            out.append(text[last : m.start()])
            out.append(w if w != m.group(0).lower() else m.group(0))
            last = m.end()
        out.append(text[last:])
        return "".join(out)

    def _viterbi(self, words: list[str]) -> list[str]:
        options = [self.candidates.get(w, [w]) if strip_diacritics(w) == w else [w] for w in words]
        score = [0.1 * math.log1p(self.uni[c]) for c in options[0]]
        back: list[list[int]] = []
        for i in range(1, len(options)):
            new, ptr = [], []
            for c in options[i]:
                best_j, best = 0, -1e9
                for j, p in enumerate(options[i - 1]):
                    s = score[j] + math.log1p(self.bi[(p, c)])
                    if s > best:
                        best_j, best = j, s
                new.append(best + 0.1 * math.log1p(self.uni[c]))
                ptr.append(best_j)
            score, back = new, [*back, ptr]
        k = max(range(len(score)), key=score.__getitem__)
        out = [options[-1][k]]
        for i in range(len(options) - 1, 0, -1):
            k = back[i - 1][k]
            out.append(options[i - 1][k])
        return out[::-1]
