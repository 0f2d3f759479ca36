"""The citizen's commune: asked when a case goes to a person, matched from free text, confirmed, remembered; routing and mediation."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.core import texts
from bot.core.models import Button, ButtonAction, IncomingMessage, Reply, ReplyKind
from bot.core.ports import Commune, ConversationState, PlaceDirectory, ServicePoint
from retrieval.normalize import nfc, strip_diacritics

log = logging.getLogger(__name__)

# Where a ticket goes, most specific first: a legal-aid branch or the centre named for the commune,
# then the commune's justice officer, then a point serving the whole province. Mediation groups are
# contacts for the citizen, not queues.
ROUTE_ORDER = ("legal_aid_branch", "legal_aid_centre", "justice_officer")
MEDIATION = "mediation_group"
MAX_TRIES = 2  # unmatched answers before the ticket stays with the central queue
MAX_PLACE_WORDS = 14  # a longer message is the citizen telling more, not naming a place
CONSENT_BUTTONS = [
    Button(texts.BUTTON_CONSENT_YES, ButtonAction.CONSENT_YES),
    Button(texts.BUTTON_CONSENT_NO, ButtonAction.CONSENT_NO),
]

# Unit words (two-level local government since 01/7/2025: xã, phường, đặc khu; the old ones are
# still typed), province words, and the short forms people type.
_UNIT_WORDS = ("dac khu", "thi tran", "phuong", "xa")
_OLD_LEVEL_WORDS = ("huyen", "quan", "thi xa", "thanh pho thuoc tinh")
_PROVINCE_WORDS = ("thanh pho", "tinh", "tp")
_SHORT = {"p": "phuong", "x": "xa", "tt": "thi tran", "tx": "thi xa", "q": "quan", "h": "huyen", "tp": "thanh pho",
          "hcm": "ho chi minh", "tphcm": "thanh pho ho chi minh", "sg": "ho chi minh"}
_YES = frozenset({"co", "dung", "dung roi", "phai", "ok", "oke", "vang", "u", "chinh xac", "dong y", "yes", "da",
                  "co a", "dung a", "vang a", "da dung", "da phai"})
_NO = frozenset({"khong", "ko", "k", "sai", "khong phai", "no", "khong dung", "sai roi"})
_SKIP = frozenset({"bo qua", "khong muon", "khong biet", "khong can", "thoi", "skip", "bo", "khong muon noi",
                   "khong tien noi", "bi mat"})
_FORGET = frozenset({"xoa", "xoa noi o", "quen", "xoa di"})
# Parties to a quarrel that grassroots mediation is for: the neighbours and the family (Luật Hòa giải
# ở cơ sở 2013, khoản 3 Điều 2: "cá nhân, nhóm cá nhân, gia đình, nhóm gia đình"); our own word list.
_PARTY = re.compile(
    r"\b(hang xom|nha ben canh|nha canh|ben canh nha|lang gieng|anh em|chi em|anh chi em|ho hang|"
    r"bo me|cha me|ong ba|vo chong|chong toi|vo toi|con trai|con gai|con dau|con re|me chong|bo chong|"
    r"me vo|bo vo|chu toi|bac toi|co toi|di toi|cau toi|ba con|nguoi nha|trong nha|gia dinh)\b"
)
MEDIATION_CATEGORIES = frozenset({"dispute"})


def fold_place(text: str) -> str:
    """Matching form of a place name: no diacritics, lower case, short forms spelt out ("p.3" -> "phuong 3")."""
    text = strip_diacritics(nfc(text)).lower()
    text = re.sub(r"\b(p|x|q|h|tt|tx)\.?\s*(\d+)\b", r"\1 \2", text)
    words = re.sub(r"[^\w]+", " ", text).split()
    return " ".join(_SHORT.get(w, w) for w in words)


def _strip_unit(folded: str) -> tuple[str, str]:
    """'phuong ben thanh' -> ('phuong', 'ben thanh')."""
    for unit in (*_UNIT_WORDS, *_OLD_LEVEL_WORDS):
        if folded.startswith(unit + " "):
            return unit, folded[len(unit) + 1:]
    return "", folded


def _province_key(name: str) -> str:
    folded = fold_place(name)
    for word in ("thanh pho", "tinh"):
        if folded.startswith(word + " "):
            return folded[len(word) + 1:]
    return folded


@dataclass(frozen=True)
class _Key:
    commune: Commune
    unit: str  # the unit word of the name ("xa", "phuong"), "" when none
    current: bool  # the present name (not a former one)


@dataclass(frozen=True)
class Candidate:
    commune: Commune
    score: float
    span: tuple[int, int]


class CommuneMatcher:
    """Finds communes named in free text: n-grams of the words looked up among names and former names."""

    def __init__(self, communes: Sequence[Commune]) -> None:
        self.names: dict[str, list[_Key]] = {}
        self.provinces: dict[str, set[str]] = {}
        self.longest = 1
        for c in communes:
            for i, name in enumerate((c.name, *c.aliases)):
                unit, key = _strip_unit(fold_place(name))
                if key:
                    self.names.setdefault(key, []).append(_Key(c, unit, i == 0))
                    self.longest = max(self.longest, len(key.split()))
            self.provinces.setdefault(_province_key(c.province), set()).add(c.province_code)

    def match(self, text: str) -> list[Candidate]:
        """Candidates by score, best first; a number alone ("3") counts only after its unit word."""
        words = fold_place(text).split()
        named_provinces: set[str] = set()
        for i in range(len(words)):
            for n in range(1, 5):
                codes = self.provinces.get(" ".join(words[i:i + n]))
                if codes:
                    named_provinces |= codes
        found: dict[str, Candidate] = {}
        for i in range(len(words)):
            for n in range(1, self.longest + 1):
                if i + n > len(words):
                    break
                keys = self.names.get(" ".join(words[i:i + n]))
                if not keys:
                    continue
                before = " ".join(words[max(0, i - 2):i])
                unit_before = next((u for u in (*_UNIT_WORDS, *_OLD_LEVEL_WORDS)
                                    if before == u or before.endswith(" " + u)), "")
                numeric = all(w.isdigit() for w in words[i:i + n])
                for k in keys:
                    if numeric and not unit_before:
                        continue
                    score = 1.0 + 0.1 * n
                    if unit_before and unit_before == k.unit:
                        score += 1.0
                    elif unit_before in _OLD_LEVEL_WORDS:
                        score -= 0.6  # an old district's name, not the commune's
                    elif unit_before:
                        score -= 0.4
                    if k.commune.province_code in named_provinces:
                        score += 2.0
                    if not k.current:
                        score -= 0.2
                    old = found.get(k.commune.code)
                    if old is None or score > old.score:
                        found[k.commune.code] = Candidate(k.commune, score, (i, i + n))
        cands = list(found.values())
        # "tân phú đông" also contains "tân phú": the longer name the citizen wrote wins
        cands = [c for c in cands if not any(o.span[0] <= c.span[0] and c.span[1] <= o.span[1]
                                             and o.span != c.span for o in cands)]
        return sorted(cands, key=lambda c: (-c.score, c.commune.name))


def pick_route(points: Sequence[ServicePoint]) -> ServicePoint | None:
    """The point whose queue a ticket from this commune goes to."""
    ranked = [p for p in points if p.kind in ROUTE_ORDER]
    ranked.sort(key=lambda p: (p.whole_province, ROUTE_ORDER.index(p.kind)))
    return ranked[0] if ranked else None


def pick_mediation(points: Sequence[ServicePoint]) -> ServicePoint | None:
    groups = sorted((p for p in points if p.kind == MEDIATION), key=lambda p: p.whole_province)
    return groups[0] if groups else None


def contact(point: ServicePoint) -> str:
    parts = texts.POINT_CONTACT.format(name=point.name, address=point.address or "—", phone=point.phone or "—",
                                       hours=point.hours or "—")
    return parts.replace("; —", "").replace(", —", "")


def wants_mediation(category: str, text: str) -> bool:
    """A dispute with a neighbour or within the family (not violence: that is never mediated instead)."""
    return category in MEDIATION_CATEGORIES and bool(_PARTY.search(fold_place(text)))


class PlaceDialogue:
    """Asks, matches, confirms and remembers the citizen's commune; routes tickets; offers mediation."""

    def __init__(self, directory: PlaceDirectory | None, fmt: Callable[..., str]) -> None:
        self.directory = directory
        self.fmt = fmt
        self._matcher: tuple[Sequence[Commune], CommuneMatcher] | None = None

    # ------------------------------------------------------------------ helpers

    def matcher(self) -> CommuneMatcher | None:
        if self.directory is None:
            return None
        communes = self.directory.communes()
        if not communes:
            return None
        cached = self._matcher
        if cached is None or cached[0] is not communes:
            cached = self._matcher = (communes, CommuneMatcher(communes))
        return cached[1]

    def _commune(self, code: str | None) -> Commune | None:
        if not code or self.directory is None:
            return None
        return next((c for c in self.directory.communes() if c.code == code), None)

    # ------------------------------------------------------------------ after a ticket is opened

    def after_ticket(self, msg: IncomingMessage, state: ConversationState, reply: Reply, ticket_id: int,
                     category: str, question: str, max_chars: int) -> Reply:
        """Route the new ticket by the citizen's commune, or ask for it (instead of the consent question,
        which follows once the place is settled). Never fails the escalation itself."""
        try:
            return self._after_ticket(msg, state, reply, ticket_id, category, question, max_chars)
        except Exception:  # the ticket is open in the central queue: routing can wait
            log.exception("routing a ticket by place failed")
            return reply

    def _after_ticket(self, msg: IncomingMessage, state: ConversationState, reply: Reply, ticket_id: int,
                      category: str, question: str, max_chars: int) -> Reply:
        if self.directory is None or self.matcher() is None:
            return reply
        mediation = wants_mediation(category, question)
        commune = self._commune(self.directory.citizen_commune(msg.channel, msg.user_id))
        if commune is not None:
            extra = self._route(ticket_id, commune, mediation)
            reply.text = _insert_before_consent(reply.text, extra, max_chars)
            return reply
        if mediation:
            self.directory.route_ticket(ticket_id, None, None, mediation_offered=True)
        if category == "crisis":
            return reply  # no questions for a person in crisis: the central queue takes it
        state.place = {"ticket": ticket_id, "tries": 0, "mediation": mediation}
        ask = [texts.PLACE_ASK.format(ticket_id=ticket_id)]
        if mediation:
            ask = [texts.MEDIATION_OFFER, texts.MEDIATION_ASK_PLACE, *ask]
        reply.text = _replace_consent(reply.text, ask, max_chars)
        reply.buttons = []
        return reply

    def _route(self, ticket_id: int, commune: Commune, mediation: bool) -> list[str]:
        """Put the ticket in its point's queue; what to tell the citizen about it."""
        assert self.directory is not None
        points = self.directory.points_for(commune.code)
        point = pick_route(points)
        self.directory.route_ticket(ticket_id, commune.code, point.id if point else None, mediation_offered=mediation)
        lines = [texts.PLACE_ROUTED.format(ticket_id=ticket_id, point=contact(point)) if point
                 else texts.PLACE_ROUTED_CENTRAL.format(ticket_id=ticket_id)]
        if mediation:
            lines.append(texts.MEDIATION_OFFER)
            group = pick_mediation(points)
            if group is not None:
                lines.append(texts.MEDIATION_CONTACT.format(point=contact(group)))
        return lines

    # ------------------------------------------------------------------ the question in progress

    def intercept(self, msg: IncomingMessage, state: ConversationState) -> Reply | None:
        """The citizen's answer to the commune question, or None when this message is something else
        (a longer message goes the usual way: danger cues are read, and it joins the ticket)."""
        if not state.place or self.directory is None:
            return None
        matcher = self.matcher()
        if matcher is None:
            state.place = {}
            return None
        folded = fold_place(msg.text or "")
        step = state.place
        if folded in _SKIP or (folded in _NO and not step.get("confirm")):
            return self._finish(msg, state, None, texts.PLACE_SKIPPED)
        if step.get("command") and folded in _FORGET:
            self.directory.remember_commune(msg.channel, msg.user_id, None)
            state.place = {}
            return Reply(ReplyKind.INFO, texts.PLACE_FORGOTTEN)
        if step.get("confirm"):
            if folded in _YES:
                return self._finish(msg, state, self._commune(step["confirm"]), "")
            if folded in _NO:
                step.pop("confirm", None)
                return Reply(ReplyKind.INFO, texts.PLACE_ASK_COMMAND)
        offered = [str(c) for c in step.get("offered") or []]
        if offered and folded.rstrip(".)") in {str(i) for i in range(1, len(offered) + 1)}:
            return self._finish(msg, state, self._commune(offered[int(folded.rstrip(".)")) - 1]), "")
        if len(folded.split()) > MAX_PLACE_WORDS:
            return None
        cands = matcher.match(msg.text or "")
        if cands and (len(cands) == 1 or cands[0].score - cands[1].score >= 0.5):
            best = cands[0].commune
            step.update(confirm=best.code, offered=[])
            return Reply(ReplyKind.INFO, texts.PLACE_CONFIRM.format(commune=best.name, province=best.province))
        if cands:
            top = cands[:3]
            step.update(offered=[c.commune.code for c in top], confirm=None)
            options = "\n".join(f"{i}. {c.commune.name}, {c.commune.province}" for i, c in enumerate(top, 1))
            return Reply(ReplyKind.INFO, texts.PLACE_CHOOSE.format(options=options))
        step["tries"] = int(step.get("tries") or 0) + 1
        if step["tries"] >= MAX_TRIES and step.get("ticket"):
            return self._finish(msg, state, None, texts.PLACE_NOT_FOUND_FINAL)
        shown = (msg.text or "").strip()[:60]
        return Reply(ReplyKind.INFO, texts.PLACE_NOT_FOUND.format(text=shown))

    def _finish(self, msg: IncomingMessage, state: ConversationState, commune: Commune | None,
                lead: str) -> Reply:
        assert self.directory is not None
        step, state.place = state.place, {}
        ticket_id = step.get("ticket")
        mediation = bool(step.get("mediation"))
        lines: list[str] = []
        if commune is None:
            if step.get("command"):
                return Reply(ReplyKind.INFO, texts.PLACE_KEPT)
            lines.append(lead.format(ticket_id=ticket_id))
        else:
            self.directory.remember_commune(msg.channel, msg.user_id, commune.code)
            lines.append(texts.PLACE_SAVED.format(commune=commune.name, province=commune.province))
            if ticket_id is None and state.open_ticket_id is not None:
                ticket_id = state.open_ticket_id  # /noio while a ticket is open: it follows the citizen
            if ticket_id is not None:
                lines += self._route(int(ticket_id), commune, mediation)
            else:
                point = pick_route(self.directory.points_for(commune.code))
                if point is not None:
                    lines.append(texts.PLACE_NEAR_YOU.format(point=contact(point)))
        buttons: list[Button] = []
        if ticket_id is not None and state.pending_ticket_id == ticket_id:
            lines.append(texts.CONSENT_QUESTION)
            buttons = list(CONSENT_BUTTONS)
        return Reply(ReplyKind.INFO, "\n\n".join(x for x in lines if x), buttons=buttons,
                     ticket_id=int(ticket_id) if ticket_id is not None else None)

    # ------------------------------------------------------------------ /noio

    def command(self, msg: IncomingMessage, state: ConversationState) -> Reply:
        """/noio: show the commune on record and ask for a new one ("/noio xoa" forgets it)."""
        if self.directory is None or self.matcher() is None:
            return Reply(ReplyKind.INFO, self.fmt(texts.PLACE_UNAVAILABLE))
        arg = fold_place((msg.text or "").strip().lstrip("/").partition(" ")[2])
        if arg in _FORGET:
            self.directory.remember_commune(msg.channel, msg.user_id, None)
            state.place = {}
            return Reply(ReplyKind.INFO, texts.PLACE_FORGOTTEN)
        lines = []
        current = self._commune(self.directory.citizen_commune(msg.channel, msg.user_id))
        if current is not None:
            lines.append(texts.PLACE_CURRENT.format(commune=current.name, province=current.province))
        state.place = {"command": True, "tries": 0}
        if arg:  # "/noio xa tan phu dong nai": answered in the same message
            answer = self.intercept(IncomingMessage(msg.channel, msg.user_id, msg.chat_id, arg, msg.message_id), state)
            if answer is not None:
                return answer
        lines.append(texts.PLACE_ASK_COMMAND)
        return Reply(ReplyKind.INFO, "\n\n".join(lines))


def _replace_consent(text: str, parts: list[str], max_chars: int) -> str:
    """The escalation reply with the place question where the consent question was."""
    head = text.replace(texts.CONSENT_QUESTION, "").rstrip()
    return _fit([head, *parts], max_chars)


def _insert_before_consent(text: str, parts: list[str], max_chars: int) -> str:
    if texts.CONSENT_QUESTION in text:
        head = text.replace(texts.CONSENT_QUESTION, "").rstrip()
        return _fit([head, *parts, texts.CONSENT_QUESTION], max_chars, keep_last=True)
    return _fit([text, *parts], max_chars)


def _fit(parts: list[str], max_chars: int, keep_last: bool = False) -> str:
    """Join paragraphs; the added ones go first (from the end, keeping a closing question) when too long."""
    parts = [p for p in parts if p]
    first = parts[0]
    extra = parts[1:]
    tail = [extra.pop()] if keep_last and extra else []
    while extra and len("\n\n".join([first, *extra, *tail])) > max_chars:
        extra.pop()
    text = "\n\n".join([first, *extra, *tail])
    return text if len(text) <= max_chars else text[: max(0, max_chars - 1)].rsplit(" ", 1)[0] + "…"
