"""The citizen's commune in chat: asked when a case goes to a person, matched from unaccented text,
confirmed, remembered, changeable with /noio; tickets routed to the serving point; mediation offered."""

from __future__ import annotations

from bot.adapters.memory import InMemoryConversationStore, InMemoryTicketStore
from bot.core import texts
from bot.core.config import AssistantConfig
from bot.core.faq_match import FaqMatcher
from bot.core.models import ButtonAction, Channel, IncomingMessage, Reply, ReplyKind
from bot.core.places import CommuneMatcher
from bot.core.service import Assistant
from bot.core.writer import ExtractiveWriter
from tests.auxil.core_fakes import FakeRetriever
from tests.auxil.places import TAN_PHU, MemoryPlaces
from tests.test_core_dialogue import ScriptedIntent, scores


class World:
    def __init__(self) -> None:
        self.retriever = FakeRetriever()
        self.tickets = InMemoryTicketStore()
        self.places = MemoryPlaces()
        self.intent = ScriptedIntent()
        self.assistant = Assistant(
            self.retriever, FaqMatcher([]), ExtractiveWriter(built_at=lambda: self.retriever.built_at),
            InMemoryConversationStore(), self.tickets, AssistantConfig(), intent=self.intent, places=self.places,
        )
        self.n = 0

    def say(self, text: str, user: str = "u") -> Reply:
        self.n += 1
        return self.assistant.handle(IncomingMessage(Channel.TELEGRAM, user, user, text, str(self.n)), 4096)

    def sued(self) -> Reply:
        self.intent.next["bi kien"] = scores("escalate", "sued")
        return self.say("toi vua bi kien ra toa vi no tien hang, phai lam sao")


BRANCH = "Chi nhánh Trợ giúp pháp lý số 1"


def test_the_commune_is_asked_confirmed_remembered_and_the_ticket_routed() -> None:
    w = World()
    opened = w.sued()
    assert opened.kind == ReplyKind.ESCALATED and opened.ticket_id is not None
    assert "xã, phường" in opened.text and texts.CONSENT_QUESTION not in opened.text  # one question at a time
    assert opened.ticket_id in w.tickets.tickets  # the ticket exists already: nothing waits on the answer

    confirm = w.say("xa tan phu huyen tan phu dong nai")
    assert "Xã Tân Phú, Tỉnh Đồng Nai" in confirm.text
    done = w.say("dung roi")
    assert "Đã ghi nhận" in done.text or "đã ghi nhận" in done.text
    assert BRANCH in done.text and "0000 000 302" in done.text  # the serving point and how to reach it
    assert texts.CONSENT_QUESTION in done.text
    assert [b.action for b in done.buttons] == [ButtonAction.CONSENT_YES, ButtonAction.CONSENT_NO]
    assert w.places.routes[opened.ticket_id] == (TAN_PHU, w.places.point_id(BRANCH), False)
    assert w.places.citizen_commune(Channel.TELEGRAM, "u") == TAN_PHU

    consent = w.say("co")
    assert w.tickets.tickets[opened.ticket_id].consent is True and consent.kind == ReplyKind.INFO

    w.say("/moi")
    again = w.sued()  # the next case is routed at once, no question asked
    assert BRANCH in again.text and again.text.rstrip().endswith(texts.CONSENT_QUESTION)
    assert w.places.routes[again.ticket_id][1] == w.places.point_id(BRANCH)


def test_a_name_in_several_provinces_is_offered_as_a_numbered_choice() -> None:
    w = World()
    w.sued()
    choice = w.say("tan phu")
    assert "1. " in choice.text and "Tỉnh Đồng Nai" in choice.text and "Thành phố Hồ Chí Minh" in choice.text
    number = next(line[0] for line in choice.text.splitlines() if "Tỉnh Đồng Nai" in line)
    done = w.say(number)
    assert "Xã Tân Phú, Tỉnh Đồng Nai" in done.text and BRANCH in done.text


def test_a_former_ward_name_finds_the_new_ward() -> None:
    w = World()
    w.sued()
    confirm = w.say("phuong 3 vinh long")
    assert "Phường Thanh Đức, Tỉnh Vĩnh Long" in confirm.text


def test_an_unknown_commune_gets_a_clear_message_and_the_ticket_stays_in_the_central_queue() -> None:
    w = World()
    opened = w.sued()
    first = w.say("xa khong co that")
    assert "chưa tìm thấy" in first.text and "xa khong co that" in first.text
    assert opened.ticket_id in w.tickets.tickets and opened.ticket_id not in w.places.routes
    final = w.say("thon ba cay du")
    assert f"#{opened.ticket_id}" in final.text and texts.CONSENT_QUESTION in final.text
    assert opened.ticket_id not in w.places.routes  # central queue; the ticket was never at risk
    assert w.places.citizen_commune(Channel.TELEGRAM, "u") is None
    w.say("co")
    assert w.tickets.tickets[opened.ticket_id].consent is True


def test_skipping_keeps_the_ticket_central_and_asks_consent() -> None:
    w = World()
    opened = w.sued()
    skipped = w.say("bo qua")
    assert f"#{opened.ticket_id}" in skipped.text and texts.CONSENT_QUESTION in skipped.text


def test_a_long_message_while_asked_goes_to_the_ticket_and_danger_is_still_read() -> None:
    w = World()
    opened = w.sued()
    w.intent.next["dang dap cua"] = scores("urgent", "violence")
    more = w.say("bay gio chu no dang dap cua nha toi va doa se danh ca nha toi neu khong tra tien ngay")
    assert "113" in more.text and more.ticket_id == opened.ticket_id
    confirm = w.say("xa tan phu dong nai")  # the question is still open
    assert "Xã Tân Phú" in confirm.text


def test_a_neighbour_dispute_is_offered_mediation_with_the_communes_group() -> None:
    w = World()
    w.places.remember_commune(Channel.TELEGRAM, "u", TAN_PHU)
    w.intent.next["hang xom"] = scores("escalate", "dispute")
    r = w.say("hang xom dang tranh chap ranh gioi dat voi nha toi, toi muon kien")
    assert r.kind == ReplyKind.ESCALATED
    assert "Điều 16 Luật Hòa giải ở cơ sở số 35/2013/QH13" in r.text
    assert "Tổ hòa giải ấp 1" in r.text and "0000 000 304" in r.text
    assert BRANCH in r.text  # a person from legal aid as well, not only mediation
    assert w.places.routes[r.ticket_id][2] is True


def test_mediation_asks_the_place_to_give_the_group_contact() -> None:
    w = World()
    w.intent.next["anh em"] = scores("escalate", "dispute")
    r = w.say("anh em trong nha dang tranh chap dat cua bo me de lai")
    assert "hòa giải" in r.text and "xã, phường" in r.text
    w.say("xa tan phu, dong nai")
    done = w.say("co")
    assert "Tổ hòa giải ấp 1" in done.text


def test_noio_shows_changes_and_forgets_the_commune() -> None:
    w = World()
    asked = w.say("/noio")
    assert "xã, phường" in asked.text
    w.say("Phường Bến Thành, TP HCM")
    saved = w.say("co")
    assert "Phường Bến Thành" in saved.text and "Trung tâm Trợ giúp pháp lý (ví dụ) TP. Hồ Chí Minh" in saved.text
    shown = w.say("/noio")
    assert "Phường Bến Thành" in shown.text
    assert w.say("bo qua").text == texts.PLACE_KEPT
    assert w.places.citizen_commune(Channel.TELEGRAM, "u") == "26743"
    w.say("/noio xoa")
    assert w.places.citizen_commune(Channel.TELEGRAM, "u") is None


def test_noio_with_the_place_in_the_same_message() -> None:
    w = World()
    r = w.say("/noio xa soc son ha noi")
    assert "Xã Sóc Sơn, Thành phố Hà Nội" in r.text


def test_a_person_in_crisis_is_not_asked_where_they_live() -> None:
    w = World()
    w.intent.next["tu tu"] = scores("urgent", "crisis")
    r = w.say("tui het cach roi, chac tui tu tu cho xong")
    assert r.kind == ReplyKind.ESCALATED and "xã, phường" not in r.text


def test_help_documents_the_place_command() -> None:
    assert "/noio" in texts.HELP


def test_without_a_register_nothing_is_asked() -> None:
    w = World()
    w.assistant.places.directory = None
    opened = w.sued()
    assert texts.CONSENT_QUESTION in opened.text
    assert "chưa có danh sách" in w.say("/noio").text.lower()


def test_matcher_prefers_the_unit_word_and_the_longer_name() -> None:
    m = CommuneMatcher(MemoryPlaces().communes())
    assert m.match("phuong tan phu")[0].commune.name == "Phường Tân Phú"
    assert m.match("xã Tân Phú")[0].commune.name == "Xã Tân Phú"
    assert m.match("3") == []  # a number alone is not a place
    assert m.match("nha toi o gan cho") == []
