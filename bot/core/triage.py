"""Triage before retrieval: bad input, out of scope, or a case for a person (with category and urgency)."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from enum import StrEnum

from bot.core import lexicon
from bot.core.clean import cue_form
from bot.core.models import Urgency
from bot.core.ports import IntentScores
from retrieval.normalize import nfc, strip_diacritics


class Verdict(StrEnum):
    ANSWER = "answer"
    BAD_INPUT = "bad_input"
    OUT_OF_SCOPE = "out_of_scope"
    ESCALATE = "escalate"


@dataclass(frozen=True)
class TriageResult:
    verdict: Verdict
    category: str = ""  # escalation category, out-of-scope kind or bad-input kind
    urgency: Urgency = Urgency.NORMAL
    emergency: tuple[str, ...] = ()  # numbers to give first, in order ("113", "115", "111")
    legal_aid_hint: bool = False
    score: float = 0.0
    cues: tuple[str, ...] = field(default_factory=tuple)  # which rules fired (for staff and tests)

    @property
    def urgent(self) -> bool:
        return self.urgency == Urgency.URGENT


# ---------------------------------------------------------------------------------------------
# Cues: weighted patterns on the folded text (no diacritics, lower case, padded with spaces)


@dataclass(frozen=True)
class Cue:
    name: str
    category: str
    weight: float
    pattern: re.Pattern[str]
    # Skip a match preceded (within ~25 characters) by a hypothetical or negation ("nếu bị bắt").
    guard: re.Pattern[str] | None = None
    accented: bool = False  # match on the accented lower-case text instead of the folded one


_HYPOTHETICAL = re.compile(r"\b(neu|gia su|lo nhu|lo may|truong hop|khi nao|khi|co phai|co bi|co can|co duoc|bao lau|thi co)\b[^.?!]{0,25}$|\bnguoi $")
_NEGATED = re.compile(r"\b(khong|chua|ko|chang|khong he)\b[^.?!,]{0,12}$")
_RIGHTS = re.compile(r"(quyen|loi ich)[^.?!]{0,40}$")  # "quyền, lợi ích ... bị xâm hại": not abuse
# "người bị tạm giữ có được gặp luật sư không": a question about someone's right to meet, not a request;
# "tôi có được gặp ...", "xin được gặp ...", "vậy có gặp cán bộ được không" stay requests (no one else named)
_RIGHT_TO_MEET = re.compile(r"^(?!.*\b(toi|em|minh|tui|chau|chung toi|xin|muon|mong|can|nho|lam on|vui long)\b)"
                            r".*\b(nguoi|bi can|bi cao|bi hai|pham nhan|duong su|nan nhan|tre|benh nhan|nguoi lao dong|ho|"
                            r"(?:ong|ba|anh|chi|co) ay)\b[^.?!]{0,30}\b(co duoc|co quyen|duoc quyen|co|duoc)( yeu cau)? $")
_NOT_A_REQUEST = re.compile(_HYPOTHETICAL.pattern + "|" + _RIGHT_TO_MEET.pattern)


def _c(name: str, category: str, weight: float, pattern: str, guard: re.Pattern[str] | None = None,
       accented: bool = False) -> Cue:
    # whole words only: "khong tho" (cannot breathe) must not match "không thời hạn"
    return Cue(name, category, weight, re.compile(r"(?<!\w)(?:" + pattern + r")(?!\w)"), guard, accented)


_P = r"\b(toi|em|minh|tui|tao|chung toi|gia dinh toi|nha toi|vo toi|chong toi|con toi|me toi|bo toi|ba toi|ma toi|anh toi|chi toi)\b"
_KIN = r"(chong|vo|bo|ba|cha|me|bo duong|cha duong|me ke|bo ke|con trai|con gai|con dau|con re|anh trai|em trai|anh ay|han|no|ho|bon no|chu no|giang ho|dan anh)"
_INJURY = r"(dut|cut|gay|dap nat) ([a-z]+ ){0,2}(tay|chan|ngon|xuong)|(roi|nga|te) (tu|xuong)|(chet|tu vong|thiet mang|qua doi)|bong (nang|nuoc soi|axit|hoa chat)|liet|thuong tat|(may|dien) (cat|can|cuon|giat)|cap cuu|nhap vien|nam vien"
_WORK = r"(xuong|cong truong|gian giao|chu thau|chu xuong|ca dem|ca ngay|cong nhan|phu ho|lam tho|tai nan lao dong|dang lam|luc lam|khi lam|di lam|cong ty|nha may|cong trinh|may cat|may can|may dap|chu (lo|thau|xuong|ham|mo))"
_ELDER = r"\b([6-9]\d|1[01]\d) tuoi|nguoi gia\b(?! mao| danh| vo| tao)|cao tuoi|gia yeu|ba cu|ong cu|cu ba|cu ong"
_CHILD = r"\b(danh|dap|hanh ha|bao hanh|xam hai|sam so) ([a-z]+ ){0,3}(con|chau|be)\b|\b(be|chau be|tre em|tre nho|con nho|dua nho|dua tre|con nit|hoc sinh|be gai|be trai)\b|\b(con|chau|be)( (trai|gai))?( (toi|em|minh))? ([0-9]|1[0-5]) tuoi|\b([0-9]|1[0-5]) tuoi\b|\blop [1-9]\b"

CUES: tuple[Cue, ...] = (
    # --- crisis / self-harm (urgent) ---
    _c("self_harm", "crisis", 2.0, r"khong muon song|chan song|khong thiet song|song khong noi|muon chet|chet (di )?cho xong|chet quach|tu sat|ket lieu (cuoc doi|ban than|doi)|nhay (cau|lau|song) (tu tu|cho xong|chet)|uong thuoc (ngu|chuot|tru sau|sau) (tu tu|cho xong|chet)|(muon|dinh|se|sap|chac|thi)( (toi|em|tui|minh|tao))? tu tu\b|tu tu (cho xong|cho roi|chet|cho nhe)|khong con ly do (gi )?de song|het (duong|cach) song|muon bien mat"),
    _c("self_harm_acc", "crisis", 2.0, r"tự tử|tự sát|tự vẫn|tự hại|rạch tay", accented=True),
    _c("self_harm_words", "crisis", 2.0, lexicon.alternation("crisis"), _HYPOTHETICAL),
    # --- violence and threats ---
    _c("beaten", "violence", 1.2, r"\b(bi|dang bi|vua bi|thuong xuyen bi|hay bi) (([a-z]+ ){0,4}(danh|hanh hung|bao hanh|chem|bop co|siet co)|dam|dap|dot|tat axit)\b(?! (bac|de|lo|thue|gia|roi|so|dau|lua|co|bai|vong|tu|quy|nhien|xuat|bien|pha|kich)\b)", _HYPOTHETICAL),
    _c("kin_beats", "violence", 1.2, r"\b" + _KIN + r" ([a-z]+ ){0,4}(danh|dap|hanh hung|bao hanh|chem|dam|bop co|siet co|dot nha) (toi|em|minh|tui|vo|chong|con|me|bo|ba|chau|chi|anh|ong|nguoi|ca nha|dap|gay|chay mau|bam tim|nhap vien|trong thuong|den)\b", _HYPOTHETICAL),
    _c("assault", "violence", 1.2, r"(danh|dap|hanh hung|chem|dam|xo nga|keo nga|bop co|siet co|tat|dam dao) (toi|em|minh|tui|vo|chong|con|me|bo|ba|chau|chi|anh|ong|ca nha|be|co ay|ba ay|ong ay|nguoi nha)( (toi|em|minh|tui))?\b(?! (co (duoc|bi|phai|vi pham))| (thi|co) (bi|phai))", _HYPOTHETICAL),
    _c("dv_victim", "violence", 1.2, r"(bi|nan nhan|chiu)[^.?!]{0,12}bao luc gia dinh|bi (chong|vo|bo|cha|me|bo duong|cha duong|me ke) (bao hanh|hanh ha|nguoc dai)", _HYPOTHETICAL),
    _c("domestic_violence", "violence", 0.8, r"bao luc gia dinh|nguoc dai|hanh ha"),
    _c("death_threat", "violence", 1.2, r"(de doa|doa|dam) (se )?([a-z]+ ){0,2}(giet|danh|chem|dam|dot|xu|tat axit|thu tieu|lam hai|bat con|bat coc)|cam (dao|gay|kiem|mac|sung) (doa|duoi|xong vao|chem)"),
    _c("exposure_threat", "violence", 1.0, r"doa (se )?(tung|dang|phat tan|bêu|beu|gui) (anh|clip|hinh|video|thong tin)|khung bo tinh than|(khung bo|quay roi) (dien thoai|tin nhan)|goi dien (de doa|chui)"),
    _c("vandalism", "violence", 0.8, r"dap pha|pha (nha|cua|do dac|xe)|dot (nha|xe|quan)|nem (da|chat ban|mam tom|son|xang)|tat (son|xang)"),
    _c("locked_in", "violence", 1.2, r"\bnhot ([a-z]+ ){0,2}(trong|o|toi|em|chi|vo|con|me|minh)|(bi|bat) ([a-z]+ ){0,3}nhot\b|giam long|khoa (cua )?nhot"),
    # danger now (bot/core/triage_lexicon.yaml): with a threat it is a case for today, not a past quarrel
    _c("danger_now", "dispute", 0.6, lexicon.alternation("danger_now")),
    _c("threat", "violence", 0.6, r"\b(de doa|doa nat|bi doa|khung bo|quay roi|chan duong|xiet no|siet no)\b"),
    _c("sexual_abuse", "violence", 1.5, r"(bi|da bi|vua bi|dang bi|hay bi|nghi bi)[^.?!]{0,30}(xam hai|dam o|hiep dam|cuong hiep|sam so|quay roi|ep quan he)|(xam hai|dam o|hiep dam|cuong hiep|sam so)[^.?!]{0,25}(con|be|chau|em gai|vo|chi) (toi|em|minh|tui)|(con|be|chau|em gai) (toi|em|minh|tui)[^.?!]{0,40}(xam hai|dam o|hiep dam|sam so)", _RIGHTS),
    _c("child_sexual_abuse", "violence", 1.5, r"du do ([a-z]+ ){0,2}(quan he|an nam|ngu|lam chuyen)|quan he tinh duc voi (tre|be|chau|con|em)|\b([0-9]|1[0-5]) tuoi\b[^.?!]{0,80}(co thai|mang thai|co bau|bi quan he|bi du do)"),
    _c("groping", "violence", 1.5, r"\bso (mo|soang|mam|vao (vung kin|nguc|cho kin)|duoi vay|trong quan)\b|\bro (mo|mam)\b", _RIGHTS),
    _c("sexual_topic", "violence", 0.5, r"xam hai tinh duc|dam o|hiep dam|cuong hiep|sam so|quay roi tinh duc"),
    _c("trafficking", "violence", 1.2, r"mua ban nguoi|bi ban (sang|qua|cho)|ban (toi|em|con|vo|chi) (sang|qua|cho)|bi ([a-z]+ ){0,2}lua (sang|qua(?! (mang|dien thoai|dt|zalo|facebook|fb|tin nhan|app|ung dung|internet|online))|ban)|bi giu (lai )?khong cho ve|bat coc|giam long|bi nhot|nhot (toi|em|con|vo)"),
    # --- medical emergency (urgent) ---
    _c("injury_now", "injury", 1.5, r"bat tinh|mau chay|chay mau|khau \d+ mui|(xo|keo|day) nga|dau (lung|dau|bung|nguc) khong (day|dung|di|cu dong)|(dang|vua|bi) (bi )?thuong nang|nguy kich|hon me|ngung tho|khong (con )?tho|co giat|(dang|nam|phai) (nam )?cap cuu|trong thuong|(nam|nga) (bat dong|ven duong|le duong|giua duong)|hap hoi"),
    _c("hit_and_run", "injury", 1.5, r"(tong|dam|va|can|hu|gay tai nan|gay ra tai nan) .{0,40}(bo chay|bo tron|chay mat|tau thoat)"),
    # --- court, police, criminal ---
    _c("summons", "court", 1.2, r"giay (trieu tap|moi|bao) (cua |len |ra )?(toa|cong an|vien kiem sat)|(toa|toa an|cong an)[^.?!]{0,10} (gui|goi|dua) giay|trieu tap (cua|len|ra|den) (toa|cong an)|(toa|cong an|vien kiem sat) (goi|trieu tap|moi) (toi|em|len|lam viec)"),
    _c("sued", "court", 1.2, _P + r"[^.?!]{0,30}\b(bi|dang bi) ([a-z]+ ){0,3}(kien|khoi kien|don kien)\b|" + _P + r"[^.?!]{0,80}\bbi don\b(?! vi)|(?<!dieu )(?<!su )(kien|khoi kien) (toi|em|nha toi|chung toi|gia dinh toi|bo toi|me toi|ba toi)\b|\b(cong ty|ngan hang|ho(?! so)|no|han|ben kia|nguoi ta|chu no|hang xom|chu nha)\b[^.?!]{0,25}\b(kien|khoi kien)\b[^.?!]{0,10}(doi|toi|em|ra toa)", _HYPOTHETICAL),
    _c("hearing", "court", 1.2, _P + r"[^.?!]{0,50}((len|ra|hau|dau) toa\b(?! (khong|ko|chua|thi sao|co))|toa (xu|goi|trieu tap|moi|xet xu|hoa giai)|phien (toa|xu|hoa giai))|((len|ra|hau|dau) toa|toa (xu|goi|trieu tap|moi|xet xu)|phien (toa|xu|hoa giai))[^.?!]{0,40}" + _P + r"|(tuan|thang|ngay|thu \d) (sau|toi|mai)[^.?!]{0,25}toa", _HYPOTHETICAL),
    _c("arrested", "arrest", 1.3, r"\b(bi|vua bi|da bi|dang bi) (cong an |ca |cong an xa |cong an huyen )?(bat|tam giu|tam giam|giam giu|khoi to|truy na|dan giai|giu lai|moi len|moi len lam viec|trieu tap)\b(?! (lam|phai|di|nghi|ky|dong|nop|tang|boi|den|buoc|xe|bang|giay))|(se|doa|dinh) khoi to|lenh bat|dang bi (tam giu|tam giam|giam)|(cong an|ca) (bat|giu|dua) (toi|em|con|chong|vo|anh|bo|ba|me|nguoi nha)", _HYPOTHETICAL),
    _c("crime_victim", "fraud", 1.0, r"\b(bi|da bi|toi bi|em bi|me toi bi|bo toi bi) (lua|lua dao|chiem doat|cuop|trom|giut|gia mao|mao danh)\b|(?<!lan )(?<!hen )lua (toi|em|minh|me toi|bo toi|het tien)|gia (mao )?chu ky", _HYPOTHETICAL),
    _c("fraud_now", "fraud", 1.3, r"\b(dang|vua|moi) (goi|nhan tin|goi video|bat|ep|chi|huong dan|dieu khien)[^.?!]{0,80}(chuyen (tien|khoan)|rut tien|nop tien|tai khoan|cai (app|ung dung)|" + lexicon.alternation("secret_codes") + r")|(dang|vua) (bi )?(tru|rut|chuyen) tien (lien tuc|lien|lien tiep|khoi tai khoan)|\b(vua|moi) (chuyen|gui|nop) ([a-z]+ ){0,3}\d* ?(trieu|tram|ty|nghin)?[^.?!]{0,60}\b(\d+ )?(phut|tieng) truoc|(dang|sap) (ra|di ra|den) ngan hang (de )?(rut|chuyen)"),
    _c("money_lost", "fraud", 0.6, r"(chuyen|dua|nop|gui|mat) ([a-z]+ ){0,3}(\d+ )?(trieu|tien|ty|nghin)[^.?!]{0,80}(lay lai|doi lai|mat trang|khong lien lac|chan (so|lien lac)|khong tra|bo tron|bien mat)"),
    _c("crime_topic", "fraud", 0.5, r"lua dao|chiem doat|mao danh|gia mao|trom cap|cuop giat|ma tuy|danh bac|bat coc|tin dung den|vay nang lai|cho vay nang lai"),
    _c("absconded", "fraud", 0.6, r"om tien|bo tron|bo (ve nuoc|tron ve nuoc)|(van phong|cong ty) (da )?(dong cua|bien mat|giai the)|mat trang|khong lien lac duoc|chan (het )?lien lac|khong tra tien ma|(khoang|hon|gan|ca|tren) \d+ nguoi bi|nhieu nguoi (bi|cung bi)"),
    _c("repossession", "fraud", 0.6, r"(giat|cuop|xiet|thu) (xe|nha|tai san)\b|den nha (doi|quay|chui|giat)|phat gap (doi|ba)"),
    # --- workplace accident with injury or death ---
    _c("work_injury", "workplace_accident", 1.0, r"(" + _INJURY + r")[^.?!]{0,80}(" + _WORK + r")|(" + _WORK + r")[^.?!]{0,80}(" + _INJURY + r")"),
    _c("work_accident_word", "workplace_accident", 0.4, r"tai nan lao dong|tai nan (khi|luc) (lam|di lam)"),
    # --- elder abuse, children ---
    _c("elder_abuse", "elder_abuse", 1.0, r"(" + _ELDER + r")[^?!]{0,160}(\bep [^.?!]{0,25}(ky|sang ten|ban|cho)|khong cho (an|o|vao nha|di kham|kham benh|chua benh)|lay het (tien|luong huu|tai san|so do|nha|dat|tien tiet kiem)|chiem doat|bo doi|quat mang|chui (mang|boi)|danh dap|\bdanh (me|bo|ba|ong)\b|duoi (ra khoi|khoi|ra|di)|chiem (nha|dat|het)|bo mac|gia (mao )?chu ky|lua [^.?!]{0,10}ky|nguoc dai|hanh ha|khong cham soc)|(\bep [^.?!]{0,25}(ky|sang ten)|khong cho (an|o)|quat mang|duoi (ra khoi|khoi)|bo mac|nguoc dai)[^?!]{0,160}(" + _ELDER + r")"),
    _c("evicted_kin", "elder_abuse", 0.5, r"duoi (ra khoi|khoi) (chinh )?(nha|can nha)|khong cho (vao|ve|o) nha"),
    _c("missing", "missing_person", 1.2, r"(bo nha|bo di|mat tich|khong ve nha|bien mat)[^.?!]{0,40}(\d+ (ngay|hom|tuan|thang)|roi|nay|chua ve|khong lien lac)|bi (du do|lua|rU re|ru re|bat coc)[^.?!]{0,20}(di|len mang|theo)|khong lien lac duoc (voi )?(con|chau|be|em)|(con|chau|be|em gai|em trai)[^.?!]{0,30}(mat tich|bo nha di|khong ve nha)"),
    _c("abduction", "child_abduction", 1.2, r"(dua|mang|bat|giu|dan) (theo )?((\d+|hai|ba) )?(dua )?(con|chau|be|nho|tui nho)\b[^.?!]{0,80}(khong cho (ve|gap|lien lac|tro ve)|khong tra|ve nuoc|sang nuoc|ra nuoc ngoai|giau|khong biet ([a-z]+ ){0,3}(o dau|dang o)|bat tin|khong nghe may|chan (het )?lien lac)|(mang|dua|dan) (theo )?((\d+|hai|ba) )?(dua )?(con|nho|tui nho|be)\b[^?!]{0,60}khong biet ([a-z]+ ){0,3}o dau|khong cho (toi|em|minh)? ?(gap|nhin|ve voi|lien lac voi) (con|chau|be)|bat coc (con|chau|be)"),
    # --- migrant work, exploitation ---
    _c("passport_held", "labour_exploitation", 0.7, r"giu (ho chieu|passport)|thu (ho chieu|passport)"),
    _c("papers_held", "labour_exploitation", 0.6, r"giu (het )?(cccd|can cuoc|chung minh|giay to|ho chieu)( cua (toi|em|minh))?"),
    _c("confined", "labour_exploitation", 0.6, r"khong cho ([a-z]+ ){0,2}(ra ngoai|ra khoi|ve que|ve nha|ve|di dau|nghi|lien lac)\b|muon tron (ve|khoi|ra|di)|(bi|bat) nhot|giam long"),
    _c("forced_sex_work", "violence", 1.2, r"(bat|ep|bi ep)[^.?!]{0,10}(tiep khach|ban dam|lam gai|ngu voi khach|khoa than)"),
    _c("export_labour_problem", "labour_exploitation", 0.6, r"(xuat khau lao dong|thuc tap sinh|di (nhat|han|dai loan|malaysia)|moi gioi)[^?!]{0,120}(khong cho di|khong tra tien|doi den|bi giu|bi lua|bo tron|bat lam|khong tra (du )?luong|dong cua)"),
    # --- wanting a person, drafting, acting ---
    _c("ask_person", "human_request", 1.1, r"(?<!co quyen )(?<!duoc quyen )gap (truc tiep )?(can bo|luat su|nguoi that|nhan vien|tu van vien)|(cu|gui|phai) (nguoi|can bo|luat su) (ve|xuong|den|toi) (xa|nha|tan|tham|giup|ho tro)|(can|muon|xin|mong|nho) (duoc )?(gap|noi chuyen voi|lien he voi|lien he) (can bo|luat su|nguoi)|(can|muon|xin|mong|nho) (duoc )?(co )?(mot )?(can bo|luat su|nguoi) (giup|huong dan|tu van|ho tro|xem|soan|viet|di cung|den|xuong|dong hanh)|(huong dan|tu van|gap|giup|ho tro) truc tiep|co ai (co the )?(giup|di cung|xuong|den|ho tro|tu van|chi|cuu|dong hanh)|\bai (giup|cuu|ho tro) (toi|em|minh|tui|chung toi|gia dinh|me toi|bo toi)|can nguoi (giup|huong dan|tu van|ho tro)|nho (can bo|luat su|chinh quyen|co quan|toa|ai) (giup|can thiep|soan|xem|ho tro|viet|lam)|mong (duoc )?(can bo|chinh quyen|anh chi) (giup|huong dan|ho tro)|can (giup|ho tro) gap|giup (toi|em|minh|tui) (gap|ngay)|cuu (toi|em|tui|voi)\b|co ai (o day|giup) khong", _RIGHT_TO_MEET),
    # a request for a person in the words of the lexicon (bot/core/triage_lexicon.yaml): a verb of asking
    # followed by who is asked for, or a whole request
    _c("person_words", "human_request", 1.1, r"(?:" + lexicon.alternation("person_request_verb") + r")(?: [a-z]+){0,3} (?:"
       + lexicon.alternation("person_noun") + r")|" + lexicon.alternation("person_standalone"), _NOT_A_REQUEST),
    _c("collective", "dispute", 0.5, r"(\d+|nhieu|hang tram|hang chuc) (ho|nguoi|cong nhan|gia dinh|khach hang) (nhu toi|bi|cung bi|cung)|kien (chung|tap the)|khoi kien tap the"),
    _c("whom_to_ask", "human_request", 0.6, r"\bnho ai\b|(khong biet|biet) (keu|bam viu vao|hoi) ai|mong (duoc )?(can bo |anh chi )?(huong dan|giup do|ho tro|chi giup)|\bai ([a-z]+ ){0,2}giup (duoc|voi|toi|em|chung toi|minh)|ai dung ra|xin (duoc )?(giup do|cuu giup|ho tro giup)|mong (duoc )?(giup do|ho tro)|nho (ai|ben nao|co quan nao) (giup|can thiep)|giup (toi|em|minh|tui) voi|ai giup (voi|duoc)"),
    _c("drafting", "drafting", 1.0, r"(soan|viet|thao|lam) (giup|ho|dum|gium|cho (toi|em|minh)|san)[^.?!]{0,25}\b(don|hop dong|di chuc|van ban|to trinh|ban tu khai|giay uy quyen|thoa thuan|bien ban|ho so (khoi kien|khieu nai))|(nho|can(?! bo\b)|xin|muon)[^.?!]{0,25}(soan|viet|thao)[^.?!]{0,10}\b(don|hop dong|di chuc|van ban)|xem giup (ho so|giay to|hop dong)|huong dan (viet|soan|lam) don"),
    _c("intent_complain", "complaint", 0.6, r"\b(muon|se|dinh|sap|quyet dinh|can) (lam don |viet don |gui don )?khieu nai"),
    _c("intent_denounce", "denunciation", 0.6, r"\b(muon|se|dinh|sap|quyet dinh|can) (lam don |viet don |gui don )?to cao"),
    _c("intent_sue", "dispute", 0.6, r"\b(muon|se|dinh|sap|quyet dinh|can) (kien|khoi kien|dua [^.?!]{0,20}ra toa|nop don kien)"),
    _c("intent_claim", "dispute", 0.6, r"\b(muon|se|dinh|sap|quyet dinh|can) (doi boi thuong|doi lai|lay lai|doi quyen|doi con)"),
    _c("complained_already", "complaint", 0.4, r"(da|gui) (khieu nai|to cao|nop don|gui don|lam don|viet don)[^.?!]{0,25}(\d|hai|ba|nhieu) lan|(khong|chua) (co )?ai (giai quyet|tra loi|xu ly)|khieu nai (\d|hai|ba|nhieu) lan|chua (co )?(ai )?(tra loi|giai quyet|phan hoi)[^.?!]{0,20}(lan|thang|nam)"),
    _c("enforcement", "dispute", 0.8, r"cuong che|pha do nha|giai toa (nha|dat)|thu hoi dat[^.?!]{0,60}(mai|ngay|tuan)"),
    _c("compensation_claim", "dispute", 0.4, r"doi boi thuong|doi den bu|boi thuong[^.?!]{0,20}(khong chiu|chi dua|qua thap|khong du)|chi (dua|tra|boi thuong) [^.?!]{0,15}(trieu|dong)[^.?!]{0,25}(roi thoi|roi bao|nghi luon)|den bu (qua )?thap"),
    # a party to the quarrel is named: the dispute is the citizen's own, not a question about the law
    _c("family_dispute", "dispute", 0.7, r"\b(anh em|chi em|ho hang|cac con|con chau|vo chong|hang xom|ben kia)\b[^.?!]{0,20}\b(dang |lai |van )?(tranh chap|tranh gianh|gianh nhau|kien nhau|khong chiu chia)"),
    _c("owed", "dispute", 0.4, r"\bno (luong|tien|bao hiem)\b[^.?!]{0,30}\b(\d+|hai|ba|bon|nam|sau|nhieu) (thang|nam)\b|\b(khong|van khong|chua|khong chiu) tra (luong|tien|no)\b"),
    _c("active_dispute", "dispute", 0.3, r"\btranh chap\b|\blan chiem\b|\bchiem dat\b|\bdoi no\b[^.?!]{0,20}(toi|nha)", _NEGATED),
    _c("evidence", "dispute", 0.3, r"ghi am|quay (lai )?clip|co (bang chung|chung cu|giay to chung minh)"),
    _c("bribery", "denunciation", 0.4, r"boi duong|hoi lo|dut lot|phong bi|doi [^.?!]{0,10}(trieu|tien) moi (chiu )?(lam|giai quyet|ky|cap)"),
    _c("medical_harm", "dispute", 0.5, r"soc phan ve|bien chung|di chung|sai sot (y te|chuyen mon)|tai bien|chet oan|tu vong (tai|o) (benh vien|tram y te)"),
    _c("no_lawyer_money", "dispute", 0.5, r"khong (co )?tien (de )?thue luat su|khong du tien thue|can luat su|thue luat su|khong biet (lam|viet) (giay to|don)"),
    _c("time_critical", "dispute", 0.3, r"\b(sang|chieu|toi) mai\b|\bngay mai\b|\btuan sau\b|\bgap lam\b|\b(can|giup|rat|that) gap\b|\bgap gap\b|khan cap|cang som cang tot|\bcuu\b"),
)

# Pure "what does the law say" questions: they lower soft cues (not strong ones).
_INFO_QUESTION = re.compile(
    r"bao lau|bao nhieu (ngay|thang|nam|tien|phan tram|lan)|may (ngay|thang|nam|lan|tieng)|thoi han|co dung (khong|luat|ko)|dung luat|sai luat|"
    r"luat (quy dinh|cho|bat|cam)|phap luat (quy dinh|cho)|co duoc [^.?!]{0,40}khong|co phai [^.?!]{0,40}khong|co vi pham|co gia tri|"
    r"co mat (phi|tien)|phat bao nhieu|tinh (nhu )?the nao|thu tuc|can (nhung )?giay to gi|o dau|co quan nao|"
    r"dinh nghia|khai niem|la gi|duoc hieu|(bi )?(xu ly|xu phat|phat) (the nao|ra sao|nhu the nao|gi)|bi phat (gi|bao nhieu)"
)

# General frames of a question about a rule (how old, how much, what penalty), not of a case. Kept apart
# from _INFO_QUESTION, which also softens the cues: these only keep the model from escalating alone.
_RULE_FRAME = re.compile(r"\b(tuoi nao|may tuoi|bao nhieu|phat (sao|gi)|bi phat|the nao|ra sao|kieu gi|o dau|khi nao)\b")
# "mức phạt", "khung hình phạt": the penalty of a crime named by a strong cue (see general_question)
_PENALTY = re.compile(r"\b(muc|khung) (phat|hinh phat|xu phat)\b")
# The message asks what the law says: how much, how long, which papers, may I, is it lawful ... A long
# story ending in such a question wants information, not a person, unless it also asks for one.
_END = r"( (a|vay|nhi|ha|ah|ak|ad|mn|moi nguoi|nhe|nha|z|v|ban|bot|anh chi|luat su|can bo|oi))*\s*(\?|$)"
_ASKS_INFO = re.compile(
    r"\b(cho|xin|muon|can) ([a-z]+ ){0,2}hoi\b|\bhoi (la|xem|thu)\b|\b(duoc|dc) (khong|chua)\b|"
    r"\b(co|thi|se|duoc|la|phai) ([a-z]+ ){0,10}(khong|chua|hong|hok)" + _END + "|"
    r"\b(la|duoc|mat|het|phai|toi da|toi thieu|tra|dong|nop|phat|huong|ton|tinh|co) ([a-z]+ ){0,2}bao nhieu\b|"
    r"bao nhieu (tien|ngay|thang|nam|phan tram|tuoi|gio)\b|bao lau|\bmay (ngay|thang|nam|tuoi|lan|tieng|gio|phan tram)\b|"
    r"thu tuc|giay to (gi|nao)|can (nhung )?gi\b|dieu kien (gi|nao|la gi)|du dieu kien|"
    r"\b(lam|nop|xin|dang ky|cap|doi|gui|kien|khieu nai|to cao|mua|lay) ([a-z]+ ){0,3}o dau\b|co quan nao|"
    r"(luat|phap luat) quy dinh|quy dinh (the nao|ra sao|nhu the nao|gi|ve)|nhu the nao|ra sao|"
    r"co dung (luat )?(khong|ko|k)\b|co hop phap|co vi pham|co gia tri|thoi hieu|tinh (the nao|sao)|"
    r"\bai (phai )?(chiu|tra|boi thuong|den|giai quyet)\b|\b(gui|nop|bao|trinh bao|bat den|doi) (cho |len |den )?ai\b|"
    # the frames of a question on criminal law: which crime, which article, what penalty, whether it is punished
    r"\b(pham|bi|la|thuoc|cau thanh) (toi|toi danh) (gi|nao)\b|\b(dieu|khoan|luat|van ban|nghi dinh|bo luat) (nao|may)\b|\btoi danh (gi|nao)\b|"
    r"\bhinh phat (gi|nao|ra sao)\b|\bbi (phat|xu ly|xu phat|truy cuu|ngoi tu|phat tu)( [a-z]+){0,2} (khong|ko|k|hok|hong)" + _END + "|"
    r"\bai (xu ly|co tham quyen|co trach nhiem)\b|\bkhac (nhau|gi|cho nao|o diem nao)\b"
)
# ... and what says that a person is needed whatever the question: getting something back, someone
# to act, to go along, to call back, not knowing where to start.
_NEEDS_PERSON = re.compile(
    r"\b(lay|doi|giu) lai (tien|dat|nha|xe|con|giay to|ho chieu)|\bgiup (toi|em|minh|tui|chung toi|gia dinh|me toi|bo toi)\b"
    r"(?= [a-z])(?! (voi|a|nhe|nha|hoi|di|vs|ak|nhe|thu)\b)|\b(can|muon|mong|xin|nho) (duoc )?(co )?(nguoi|can bo|luat su|ben (tro giup|minh))\b|"
    r"\bcu (nguoi|can bo)|goi (lai|dien) cho (toi|em|minh)|goi lai\b|\bgap (truc tiep|nguoi|can bo|luat su)|\bdai dien (cho )?(toi|em|minh|chung toi|gia dinh)|"
    r"\bdi cung\b|\bdung ra\b|khong biet (phai )?(lam|bat dau|xoay xo|keu|hoi|nho) (gi|sao|tu dau|the nao|ai)|\bcuu\b"
)
_ELDER_RE = re.compile(_ELDER)
_CHILD_RE = re.compile(_CHILD)
_HURT_RE = re.compile(r"bi thuong|chay mau|mau chay|bat tinh|gay (tay|chan|xuong)|nhap vien|cap cuu|nguy kich|bong|hon me")

_LEGAL_AID = re.compile(
    r"ho ngheo|can ngheo|khuyet tat|tan tat|dan toc( thieu so)?|nguoi (ede|e de|hmong|h mong|mong|khmer|tay|thai|muong|nung|dao|gia rai|jrai|ba na|bana|xo dang|co ho|cham|raglai|m nong|mnong|stieng|ta oi|bru|van kieu|thuong)\b|"
    r"vung (sau|xa|cao|kho khan|dac biet kho khan)|xa dac biet kho khan|" + _ELDER + r"|bao luc gia dinh|mua ban nguoi|bi ban (sang|qua)|nan nhan|"
    r"liet si|thuong binh|benh binh|co cong|chat doc (da cam|hoa hoc)|\bhiv\b|khong (co )?tien (de )?thue luat su|kho khan (ve )?tai chinh|"
    r"thu nhap (thap|it)|khong biet chu|mu chu|tre em|mo coi|tre mo coi|" + _CHILD
)

# Category -> (urgency, emergency numbers) defaults; violence and injury are refined below.
_CATEGORY_URGENCY = {
    "crisis": Urgency.URGENT,
    "violence": Urgency.URGENT,
    "injury": Urgency.URGENT,
    "arrest": Urgency.HIGH,
    "court": Urgency.HIGH,
    "fraud": Urgency.HIGH,
    "workplace_accident": Urgency.HIGH,
    "elder_abuse": Urgency.HIGH,
    "child_abduction": Urgency.HIGH,
    "missing_person": Urgency.URGENT,
    "labour_exploitation": Urgency.HIGH,
    "human_request": Urgency.NORMAL,
    "drafting": Urgency.NORMAL,
    "dispute": Urgency.NORMAL,
    "complaint": Urgency.NORMAL,
    "denunciation": Urgency.NORMAL,
}
# When several categories fire, the reported one is the most serious.
_CATEGORY_ORDER = (
    "crisis", "injury", "violence", "missing_person", "child_abduction", "elder_abuse", "arrest", "court", "workplace_accident",
    "labour_exploitation", "fraud", "denunciation", "complaint", "drafting", "dispute", "human_request",
)

# ---------------------------------------------------------------------------------------------
# Out of scope

_LEGAL_WORDS = re.compile(
    r"\b(luat|phap luat|quy dinh|nghi dinh|thong tu|dieu \d|phat|xu phat|vi pham|hop phap|trai phep|bat hop phap|toi (pham|danh|gi)|"
    r"kien|toa|khieu nai|to cao|hop dong|quyen|nghia vu|thue|le phi|boi thuong|bi bat|cong an|giay phep|dang ky|thu tuc|tro cap|bao hiem|"
    r"ly hon|ket hon|thua ke|di chuc|dat dai|so do|cu tru|tam tru|can cuoc|khai sinh|lao dong|luong|nghi viec|"
    r"ho khau|thuong tru|tam vang|khai tu|giam ho|cap duong|phung duong|thai san|"
    r"hinh su|truy cuu|toi danh|phat tu|ngoi tu|an tu|tu hinh|bao luc gia dinh)\b"
)

# What day or time it is, when a festival falls: the calendar, not the law (a day off at Tết is a legal
# question: _WORKDAY keeps it)
_CAL = lexicon.alternation("calendar")
_CALENDAR = (
    r"(?:" + _CAL + r")[^.?!]{0,30}\b(?:la |vao |roi vao |nham |la vao )?(?:ngay|thu|mung) (?:nao|may|bao nhieu|gi)\b"
    r"|\b(?:ngay|thu) (?:may|bao nhieu|nao)\b[^.?!]{0,20}\b(?:" + _CAL + r")\b"
    r"|\bcon (?:bao nhieu|may) (?:ngay|hom|tuan) (?:nua )?(?:la |den |toi |thi |la den |la toi |thi den |thi toi |thi la )?(?:" + _CAL + r")\b"
    r"|\b(?:bay gio|gio nay|hien tai|luc nay)(?: la)? may gio\b|\bmay gio (?:roi|rui|r)\b"
    r"|\bnam (?:\d+|nay|sau|ngoai|toi|truoc) (?:la )?nam (?:con )?gi\b|\b(?:doi|xem|tra|coi) (?:ngay )?(?:am|duong) lich\b"
)
_WORKDAY = re.compile(r"\b(nghi|luong|lam viec|lam them|tang ca|thuong|phep|cong ty|nguoi lao dong|hoc sinh|cong chuc)\b")
_SURE_OOS = frozenset({"calendar", "weather"})  # exact enough to refuse whatever the model leans to

_OOS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("lottery", re.compile(r"xo so|(con )?so de (hom nay|mai|nao|dep|ve)|lo de|danh de|danh lo|soi cau|bach thu|\bcon so\b[^.?!]{0,30}(de|lo|danh|bot|trung|hom nay|dep)|con gi (ve|an)|du doan (so|ket qua)|so dep hom nay|\bdi bot\b")),
    ("calendar", re.compile(_CALENDAR)),
    ("weather", re.compile(r"thoi tiet|troi (co )?(mua|nang|lanh|nong)|nhiet do (hom nay|ngay mai|bay gio)|du bao (thoi tiet|bao)|\bbao so \d")),
    ("sports", re.compile(r"bong da|da banh|ty so|tran (dau|dau toi|toi nay)|world cup|\bda (voi|bong)\b|\b(mu|liverpool|arsenal|chelsea|barca|real madrid|man city|man utd)\b|\bai thang\b|ngoai hang anh|champions league|\bc1\b|messi|ronaldo|doi tuyen|\bkeo (nha cai|bong|toi nay)|\bv league\b")),
    ("horoscope", re.compile(r"tu vi|cung hoang dao|\bcung (song ngu|bach duong|kim nguu|song tu|cu giai|su tu|xu nu|thien binh|bo cap|nhan ma|ma ket|bao binh)\b|tinh duyen|boi bai|xem boi|phong thuy|xem tuoi|ngay (tot|dep) (de|cuoi|khai truong)|\bmenh (kim|moc|thuy|hoa|tho)\b|van menh|tarot|huong nha|(hop|lam nha|xay nha) huong|\btuoi (giap|at|binh|dinh|mau|ky|canh|tan|nham|quy) (ty|suu|dan|mao|thin|ti|ngo|mui|than|dau|tuat|hoi)\b")),
    ("flirting", re.compile(r"(lam|co) (nguoi yeu|ny|ban gai|ban trai)\b|(yeu|thich|nho|thuong) (bot|em|anh) (lam|qua|nhieu|nha)|\bhon (em|anh|bot)\b|\bbot (dep|xinh|de thuong|co nguoi yeu|co ny)|(di|hen) (choi|cafe|an) (voi|cung) (anh|em)|😘|😍|❤|💋")),
    ("writing", re.compile(r"(viet|lam|soan|sang tac|nghi)( giup| ho| dum| gium| cho)?( toi| em| minh| anh| chi| tui| tao)?( mot| 1)?( cai| bai| doan)? (tho|bai tho|cv|caption|status|stt|bai van|van mau|bai hat|loi bai hat|loi chuc|thiep|content|quang cao|bai dang|slogan|email xin viec|thu tinh|truyen|kich ban|bai phat bieu|luan van|tieu luan)\b|\bcv xin viec|\bcaption\b")),
    ("marketing", re.compile(r"tang (follow|like|view|tuong tac|doanh so)|tiktok|kiem tien online|chay quang cao|\bseo\b|ban hang online[^.?!]{0,30}(meo|bi quyet|hieu qua)|livestream ban")),
    ("stocks", re.compile(r"(nen|co nen|tu van|goi y|chi|khuyen)[^.?!]{0,20}(mua|ban|dau tu|choi|om)[^.?!]{0,30}(co phieu|chung khoan|coin|bitcoin|crypto|tien ao|forex|vang|ma)|(co phieu|ma|coin) (nao|gi) (tang|len|ngon|tot|se tang|dang mua)|du doan (gia|thi truong)|\blai suat ngan hang nao\b|dau tu (gi|vao dau) (lai|loi)")),
    ("cooking_health", re.compile(r"cong thuc (nau|lam banh)|cach nau|nau (mon|an) gi|biet nau|nau (pho|bun|com|canh|che|banh)|giam can|tang can|lam dep da|uong thuoc gi|benh gi")),
    ("homework", re.compile(r"giai (bai|phuong trinh|toan|de)|bai tap (toan|ly|hoa|tieng anh)|dich[^.?!]{0,30}(sang|ra) tieng (anh|phap|trung|han|nhat|viet)|dich cau nay")),
    ("shopping", re.compile(r"(tu van|goi y|chon|nen mua)[^.?!]{0,20}(dien thoai|laptop|may tinh|xe may|o to|tivi|tu lanh|my pham|quan ao)\b(?! (bi|co bi|phai))")),
    ("chitchat", re.compile(r"(an|nau) gi ngon|mon (gi|nao) ngon|ke chuyen (cuoi|ma|co tich)|chuyen cuoi|hat (cho|mot bai)|choi game|doan (so|cau do)|cau do")),
    ("politics", re.compile(r"(tot hay te|tot hay xau|co dam|nghi (gi|sao) ve|danh gia (gi )?ve|ung ho hay|che (nha nuoc|chinh quyen|dang|chinh phu)|noi xau)[^?]{0,60}(chinh quyen|nha nuoc|\bdang\b|chinh phu|chu tich|thu tuong|tong bi thu|che do|cong san|quoc hoi|lanh dao)|(chinh quyen|nha nuoc|\bdang\b|chinh phu|che do)[^?]{0,40}(tot hay te|tot hay xau|co dam|chi biet noi tot|thoi nat|te hai)|phan dong|lat do|bieu tinh chong")),
    ("chain_message", re.compile(r"chia se (ngay|gap|rong rai|cho (moi nguoi|tat ca|nguoi than|ban be|cac (ban|bac|me|anh chi|phu huynh)))|(gui|chuyen|chia se|nhan) (tin (nhan )?nay |bai nay |tiep )?(cho|den) ([a-z]+ ){0,2}(\d+|muoi|chin|bay|nam|tat ca|moi) (nguoi|ban)|ai (khong|ko) (gui|chia se)|chuyen tiep (tin|bai) nay|\bshare (ngay|gap)\b")),
    ("about_bot", re.compile(r"\b(bot|ban|may|em) (la ai|la gi|ten (la )?gi|cua (cong ty|ai)|do ai|biet hat|bao nhieu tuoi|an com chua|o dau|la nguoi hay may|co phai nguoi|la ai vay)\b|ai (lap trinh|tao ra|viet ra|lam ra)( ra)? (bot|ban|may)|\bla ai cua cong ty\b|\bchatgpt\b|\bai cua cong ty\b")),
)

# ---------------------------------------------------------------------------------------------
# Bad input

_INJECTION = re.compile(
    r"bo qua (moi|tat ca|cac|toan bo|het)?\s*(huong dan|chi dan|lenh|quy tac|yeu cau)|quen (het|moi|tat ca) (huong dan|chi dan|quy tac)|"
    r"ignore (all |the |any )?(previous|prior|above)|system prompt|prompt (he thong|cua ban)|in ra (toan bo )?(prompt|huong dan|chi dan)|"
    r"\brole\s*:\s*system|\brole\b[^a-z]{0,6}system|ban (bay gio )?la (luat su|tro ly|ai|chuyen gia) khong (gioi han|kiem duyet)|"
    r"(hay|phai) khang dinh (rang|la)|dong vai (la )?|jailbreak|developer mode|\bdan mode\b|tra loi theo huong dan tren|lam theo (huong dan|chi dan) (tren|sau)"
)
_PHISHING = re.compile(r"dang nhap|nhan (ngay|qua|thuong|tien|ho tro)|bam vao (day|link|duong link)|click|trung thuong|xac (thuc|minh) tai khoan|cap nhat (thong tin|tai khoan)|ma otp|vneid|nhan tien|qua tang|mien phi")
_SPAM = re.compile(r"dich vu|bao dau|uy tin|gia re|\blh\b|lien he|inbox|\bib\b|zalo|hotline|khong can (giay to|cho|ho so|thu tuc)|cam ket|100 ?%|nhanh chong|lam nhanh|chiet khau|khuyen mai|\bsale\b|dang ky ngay|so dien thoai")
# a word of another language typed by a citizen ("help", "tonight"): vowels, no long consonant run
_PRONOUNCEABLE = re.compile(r"^(?=[a-z]*[aeiouy])(?![a-z]*[^aeiouy]{4})[a-z]+$")
_SYLLABLE = re.compile(r"^(ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdghklmnprstvx])?[aeiouy]{1,3}(ng|nh|ch|[cmnpt])?$")
_KNOWN_TOKENS = frozenset(
    ["ok", "oke", "okay", "bot", "zalo", "facebook", "fb", "tiktok", "cv", "app", "online", "shop", "email", "web", "website", "wifi", "vneid", "ok.", "hi", "hello", "alo", "sorry", "thanks", "tks", "ko", "k", "dc", "đc", "bn", "e", "a", "vs", "j", "ntn", "mn", "cty", "bhxh", "bhyt", "cccd", "cmnd", "gplx", "hdld", "nld", "csgt", "ubnd", "tnld", "xkld", "nvqs", "tmdt", "sdt", "z", "v", "r", "mk", "mik", "ny", "ck", "vk", "vc", "cx", "nma", "thik", "iu", "wa", "ak", "hok", "hong", "dzay", "zay", "tr", "ty", "trieu", "kg", "cm", "mg", "km", "m2", "ha", "usd", "vnd"]
)


def _is_mash(folded: str) -> bool:
    words = re.findall(r"[a-z]+", folded)
    if not words:
        return False
    bad = 0
    for w in words:
        if w in _KNOWN_TOKENS:
            continue
        if re.search(r"(.)\1{3,}", w) or len(w) > 12 or not (_SYLLABLE.match(w) or (len(w) <= 12 and _PRONOUNCEABLE.match(w))):
            bad += 1
    return bad / len(words) >= 0.6


def _bad_input(raw: str, cleaned_text: str, had_html: bool, had_url: bool) -> TriageResult | None:
    if not raw or not raw.strip():
        return TriageResult(Verdict.BAD_INPUT, "empty")
    folded_raw = cue_form(strip_diacritics(nfc(raw)))
    if _INJECTION.search(folded_raw):
        return TriageResult(Verdict.BAD_INPUT, "injection", cues=("injection",))
    folded = cue_form(cleaned_text)
    if had_url and _PHISHING.search(folded):
        return TriageResult(Verdict.BAD_INPUT, "phishing", cues=("phishing",))
    spam_hits = len(set(m.group(0) for m in _SPAM.finditer(folded)))
    letters = [c for c in raw if c.isalpha()]
    caps = sum(1 for c in letters if c.isupper()) / len(letters) if letters else 0.0
    if spam_hits >= 3 or (spam_hits >= 2 and (caps > 0.5 or had_url)):
        return TriageResult(Verdict.BAD_INPUT, "spam", cues=("spam",))
    if not re.search(r"[^\W_]", cleaned_text):
        return TriageResult(Verdict.BAD_INPUT, "html" if (had_html or had_url) else "no_text")
    if _is_mash(folded):
        return TriageResult(Verdict.BAD_INPUT, "mash")
    return None


_OOS_WORDS = tuple((kind, re.compile(r"(?<!\w)(?:" + p.pattern + r")(?!\w)")) for kind, p in _OOS)


def _out_of_scope(folded: str) -> str | None:
    for kind, pattern in _OOS_WORDS:
        if pattern.search(folded):
            if kind in ("politics", "about_bot", "flirting", "writing", "chain_message"):
                return kind  # a legal word does not make these legal questions
            if kind == "calendar" and _WORKDAY.search(folded):
                continue
            if not _LEGAL_WORDS.search(folded):
                return kind
    return None


# ---------------------------------------------------------------------------------------------
# Escalation


def _fires(cue: Cue, folded: str, accented: str) -> bool:
    text = accented if cue.accented else folded
    for m in cue.pattern.finditer(text):
        if cue.guard is not None:
            before = text[max(0, m.start() - 40) : m.start()]
            if cue.guard.search(before):
                continue
        return True
    return False


def escalation(folded: str, accented: str) -> TriageResult | None:
    """Weighted cues -> an escalation result, or None when the message can be answered."""
    fired = [c for c in CUES if _fires(c, folded, accented)]
    if not fired:
        return None
    strong = [c for c in fired if c.weight >= 1.0]
    score = sum(c.weight for c in fired)
    if not strong and _INFO_QUESTION.search(folded):
        score -= 0.4  # "how many days does the law give ...": information, not a case
    if not strong and score < 1.0:
        return None
    categories = {c.category for c in fired if c.weight >= 0.5} or {c.category for c in fired}
    category = next(cat for cat in _CATEGORY_ORDER if cat in categories) if categories & set(_CATEGORY_ORDER) else fired[0].category
    child = bool(_CHILD_RE.search(folded))
    hurt = bool(_HURT_RE.search(folded))
    urgency = _CATEGORY_URGENCY.get(category, Urgency.NORMAL)
    emergency: list[str] = []
    if category == "crisis":
        emergency = ["115"]
        if any(c.category == "violence" for c in fired) or "de doa" in folded or "doa" in folded:
            emergency.append("113")
    elif category == "injury":
        emergency = ["115", "113"]
    elif category == "violence":
        emergency = ["113"]
        if hurt:
            emergency.append("115")
        only_threat = all(c.name in ("threat", "domestic_violence", "exposure_threat") for c in fired if c.category == "violence")
        if only_threat:
            urgency = Urgency.HIGH
    elif (category == "elder_abuse" and re.search(r"\bdanh|doa|bo doi|khong cho an", folded)) or (category == "fraud" and any(c.name in ("repossession", "threat", "death_threat") for c in fired)):
        emergency = ["113"]
    if child and category in ("violence", "child_abduction", "missing_person", "injury", "crisis", "arrest"):
        emergency.append("111")
        if category == "violence":
            urgency = Urgency.URGENT
    if any(c.name == "fraud_now" for c in fired):
        # money leaving the account now: 113 and the bank can still stop the transfer
        urgency = Urgency.URGENT
        emergency.append("113")
    if urgency == Urgency.NORMAL and any(c.name == "time_critical" for c in fired):
        urgency = Urgency.HIGH
    if any(c.category == "violence" for c in fired) and "113" not in emergency:
        emergency.insert(0, "113")
    return TriageResult(
        Verdict.ESCALATE,
        category,
        urgency,
        tuple(dict.fromkeys(emergency)),
        legal_aid_hint(folded),
        round(score, 2),
        tuple(c.name for c in fired),
    )


def legal_aid_hint(folded: str) -> bool:
    """The message suggests the person may be entitled to free legal aid (Điều 7 Luật TGPL 2017)."""
    return bool(_LEGAL_AID.search(folded))


_SENTENCE_END = re.compile(r"(?<=\w)[.!;]+(?=\s|$)|\n+")


def _fold(text: str) -> str:
    """The cue form with sentence ends kept as " . ": "để dành. Em chưa ..." must not read as "dành em"."""
    return cue_form(_SENTENCE_END.sub(" zzendzz ", text)).replace(" zzendzz ", " . ")


def triage(raw: str, cleaned_text: str | None = None, *, had_html: bool = False, had_url: bool = False,
           intent: IntentScores | None = None, faq: float = 0.0) -> TriageResult:
    """Decide what to do with a message before retrieval.

    `raw` is the message as received; `cleaned_text` the normalised text (see clean.clean_message).
    `intent` is the learned model's reading of the message; without it (no sentence model
    configured) the weighted cues below decide alone. `faq` is the score of the message's best FAQ
    match (0 without one): a vetted question close to it is evidence that it is a legal question.
    """
    cleaned_text = raw if cleaned_text is None else cleaned_text
    bad = _bad_input(raw, cleaned_text, had_html, had_url)
    if bad is not None:
        return bad
    folded = _fold(cleaned_text)
    accented = " " + nfc(cleaned_text).lower() + " "
    esc = escalation(folded, accented)
    if esc is not None and bare_topic(folded, esc, faq):
        esc = None  # "bị lừa qua mạng": a topic to explain, not the sender's case
    oos = _out_of_scope(folded)
    if _health_not_case(esc, folded, intent) or (intent is not None and esc is None and _MEDICAL.search(folded)
                                                 and not _LEGAL_WORDS.search(folded) and intent.category != "crisis"):
        return _out_of_scope_result("health", folded)
    if _forwarded(folded):
        return TriageResult(Verdict.OUT_OF_SCOPE, "chain_message")
    if intent is not None:
        return _numbers_first(_urgent_now(_with_model(folded, esc, oos, intent, faq), folded, intent))
    if esc is not None and not general_question(folded, esc):
        return _numbers_first(_urgent_now(esc, folded, None))
    if oos is not None or (_MEDICAL.search(folded) and not _LEGAL_WORDS.search(folded)):
        return _out_of_scope_result(oos or "health", folded)
    return TriageResult(Verdict.ANSWER, legal_aid_hint=legal_aid_hint(folded))


# The learned model's probabilities at which it decides on its own; the cues decide with it in
# between. Chosen on knowledge_base/training/triage_check.jsonl and triage_check_2.jsonl (messages
# we wrote and never train on), not on any evaluation set.
URGENT_P = 0.5
ESCALATE_P = 0.5
# a message the out-of-scope words name, with no cue of a case and no legal word, is refused unless the model
# reads a case in it at least this surely
OOS_CASE_P = 0.9
CUE_OVERRULED_BY_ANSWER_P = 0.8
OUT_OF_SCOPE_P = 0.4
# a question about a rule with no cue of a case stays a question unless the model is at least this sure
RULE_QUESTION_VETO = 0.8
# a message that asks for information and nowhere for a person stays a question unless the model is
# this sure, and soft cues (a dispute, a threat in the past) do not make it a case
INFO_QUESTION_VETO = 0.95
# a message that asks for a person escalates on less of the model's belief
PERSON_ESCALATE_P = 0.35
# an escalation whose likeliest category is violence, abuse, crisis or injury shows emergency numbers
# when the model gives urgency at least this much
URGENT_CATEGORY_P = 0.1
# a message with no legal word whose closest legal question (IntentScores.legal) is below this cosine
# is not a legal question; chosen by cross-validation on our training messages (scripts/tune_triage.py)
LEGAL_SIM_FLOOR = 0.89
# an escalation the model reads as urgent to at least this share gets emergency numbers first
URGENT_SHARE_P = 0.4
# ... and a cue escalation of harm left short of urgent needs at least this much urgency from the model
URGENT_PROMOTE_P = 0.25
# Evidence from the knowledge base that a message is a legal question: its best FAQ match scores at
# least FAQ_EVIDENCE, or its closest known legal question (IntentScores.legal) is at least
# LEGAL_EVIDENCE. With it, the model must be EVIDENCE_OUT_OF_SCOPE_P sure to refuse: a short
# unaccented question ("uong ruou lai xe bi tuoc bang may thang") reads to the sentence model much
# like small talk about drinking, while the FAQ knows it as a question on traffic fines. Chosen by
# cross-validation on our training messages (scripts/tune_triage.py): below 0.93 the similarity keeps
# messages that are out of scope; the FAQ score refuses none of them from 0.4 up.
FAQ_EVIDENCE = 0.5
LEGAL_EVIDENCE = 0.93
EVIDENCE_OUT_OF_SCOPE_P = 0.95
# A bare topic (see bare_topic) needs a FAQ match at least this good. Our training messages hold no bare
# topic, so cross-validation cannot choose it: set low, as the topic rule itself is narrow.
FAQ_TOPIC = 0.25
_PROMOTABLE = frozenset({"violence", "elder_abuse", "child_abduction", "labour_exploitation", "missing_person"})
_URGENT_CATEGORIES = {"violence", "sexual_abuse", "child_abuse", "crisis", "injury", "trafficking"}
_MEDICAL = lexicon.pattern("medical_emergency")
_CHAIN = lexicon.pattern("chain_message")
_FIRST_PERSON = re.compile(_P)


def _health_not_case(esc: TriageResult | None, folded: str, intent: IntentScores | None) -> bool:
    """Someone fell ill (the model reads a health matter, not a case; no other cue, no legal word): 115, not a ticket."""
    return intent is not None and esc is not None and set(esc.cues) <= {"injury_now"} \
        and bool(_MEDICAL.search(folded)) and not _LEGAL_WORDS.search(folded) \
        and intent.p("out_of_scope") > intent.p("urgent") + intent.p("escalate")


def _forwarded(folded: str) -> bool:
    """A chain message (asks to be passed on) that tells nothing of the sender's own case."""
    return bool(_CHAIN.search(folded)) and not _FIRST_PERSON.search(folded)
_HYPOTHETICAL_FRAME = re.compile(r"^ (?:[a-z]+ ){0,3}(?:" + lexicon.alternation("hypothetical") + r") ")
_MODEL_CATEGORY = {"sexual_abuse": "violence", "child_abuse": "violence", "trafficking": "violence",
                   "sued": "court", "lawsuit": "dispute"}
_STRONG_CUES = frozenset(c.name for c in CUES if c.weight >= 1.0)


def asks_for_information(folded: str, esc: TriageResult | None = None) -> bool:
    """The message asks what the law says and nowhere for a person (no strong cue of a case either)."""
    if not _ASKS_INFO.search(folded) or _NEEDS_PERSON.search(folded):
        return False
    return esc is None or (not (_STRONG_CUES & set(esc.cues)) and esc.category not in ("human_request", "drafting"))


# Who asks is not whom it happened to: "cho tôi hỏi", "em muốn hỏi", "bạn tôi hỏi" only frame the question
_ASKING_FRAME = re.compile(
    r"\b(?:cho|xin|cho phep) (?:toi|em|minh|tui|chau|con) (?:duoc )?(?:hoi|tim hieu)\b"
    r"|\b(?:toi|em|minh|tui|chau) (?:muon|xin|can|dang|chi|co|hoi) (?:duoc )?(?:hoi|tim hieu|thac mac|chung)\b"
    r"|\bban (?:toi|em|minh|tui) (?:hoi|nho hoi|muon hoi)\b")
# words that fold like a pronoun but are not the sender: "em bé", "trẻ em" (a child), "phạm tội", "tội gì"
# (a crime), "tối qua" (last night)
_NOT_SELF = re.compile(r"\b(?:tre em|em (?:be|gai|trai|ho|ut|nho))\b|\b(?:la|pham|cac|mot|ve|bi|ket|thanh|dinh|nhan) toi\b"
                       r"|\btoi (?:gi|nay|mai|do|nao|ac|nang|nhe|ay|" + lexicon.alternation("crime_names") + r")\b")
# now or lately: the harm is the sender's present, not a topic
_NOW = re.compile(r"\b(?:dang|vua|vua moi|bay gio|ngay bay gio|hom nay|toi qua|dem qua|sang nay|chieu nay|toi nay|dem nay|"
                  r"hom qua|luc nay|suot|thuong xuyen|lien tuc|(?:may|nhieu|bao nhieu) (?:nam|thang|tuan|hom|ngay) nay)\b")
_DANGER_NOW = lexicon.pattern("danger_now")
# harm to a person: the sender's own harm is never a mere topic, whatever the model reads
_HARM_CATEGORIES = frozenset({"violence", "crisis", "injury", "elder_abuse", "child_abduction", "missing_person"})
_HARM_CUES = frozenset(c.name for c in CUES if c.weight >= 1.0 and c.category in _HARM_CATEGORIES)
# cues a question frame never softens: a life at risk, money leaving now, a request for a person or a draft
_NEVER_TOPIC = frozenset(c.name for c in CUES if c.category in ("crisis", "injury", "human_request", "drafting")) | {"fraud_now"}
_CUE_CATEGORY = {c.name: c.category for c in CUES}


def speaks_of_self(folded: str) -> bool:
    """The message tells of the sender or their family (a pronoun outside the frame of asking)."""
    return bool(_FIRST_PERSON.search(_NOT_SELF.sub(" ", _ASKING_FRAME.sub(" ", folded))))


def general_question(folded: str, esc: TriageResult | None) -> bool:
    """A question about what the law says of a harm, told of nobody in particular ("đánh vợ bị phạt bao
    nhiêu", "người say rượu đánh người có phải chịu trách nhiệm hình sự không"): no sender, no now, no
    request for a person, no life at risk. Strong cues then name the topic, not a case."""
    if esc is None or not (_STRONG_CUES & set(esc.cues)) or _NEVER_TOPIC & set(esc.cues):
        return False
    if not (_ASKS_INFO.search(folded) or _INFO_QUESTION.search(folded) or _RULE_FRAME.search(folded)
            or _PENALTY.search(folded)):
        return False
    return not (_NEEDS_PERSON.search(folded) or speaks_of_self(folded) or _NOW.search(folded)
                or _DANGER_NOW.search(folded))


def own_harm(folded: str, esc: TriageResult | None) -> bool:
    """A strong cue of harm done to the sender or their family ("chồng tôi đánh tôi", "tôi bị ... đánh"), or
    of danger now: a case, however it is asked. The pronoun must stand by the harm: "hàng xóm nhà tôi hay
    đánh vợ, tôi có được báo không" tells of a neighbour's case."""
    if esc is None or not (_HARM_CUES & set(esc.cues)):
        return False
    if _DANGER_NOW.search(folded):
        return True
    text = _ASKING_FRAME.sub(" ", folded)
    harm = [c for c in CUES if c.name in esc.cues and c.name in _HARM_CUES and not c.accented]
    return any(_by_self(text, m) for c in harm for m in c.pattern.finditer(text))


def past_harm_question(folded: str) -> bool:
    """A harm that is over, told as the context of a question on what the law says ("chó nhà bên cắn con tôi
    phải khâu, họ có phải đền không"): it asks a fact, for no person, and nothing says it goes on now."""
    return asks_for_information(folded) and not (_NOW.search(folded) or _DANGER_NOW.search(folded))


# the sender (or their kin) just before the harm, as its subject ("tôi (lại) bị ..."), or just after, as
# its object ("... sờ mó em gái tôi")
_SELF_BEFORE = re.compile(_P + r"(?: (?:lai|van|cu|da|con|luon|cung|thi))? $")
_SELF_AFTER = re.compile(r"^ (?:(?:em|con|chau|be|vo|chong|me|bo|ba|ong|chi|anh)(?: (?:gai|trai|ruot|nho))? (?:toi|minh|tui)|toi|tui)\b")


def _by_self(text: str, m: re.Match[str]) -> bool:
    """The harm matched is done to or told by the sender: a pronoun inside it or right beside it."""
    plain = _NOT_SELF.sub(lambda w: " " * len(w.group(0)), text)  # same length: the match's offsets still hold
    return bool(_FIRST_PERSON.search(plain[m.start(): m.end()]) or _SELF_BEFORE.search(plain[max(0, m.start() - 30): m.start()])
                or _SELF_AFTER.search(text[m.end(): m.end() + 30]))


def _urgent_now(result: TriageResult, folded: str, intent: IntentScores | None) -> TriageResult:
    """An escalation of harm that the cues left short of urgent becomes urgent (numbers first) when the
    danger is now ("không dám về nhà", "nó sẽ quay lại") or the model gives urgency a large share."""
    if result.verdict != Verdict.ESCALATE or result.urgent:
        return result
    harm = result.category in _PROMOTABLE or any(_CUE_CATEGORY.get(c) == "violence" for c in result.cues)
    pe, pu = (intent.p("escalate"), intent.p("urgent")) if intent is not None else (0.0, 0.0)
    by_model = pu >= URGENT_PROMOTE_P and pu >= URGENT_SHARE_P * (pe + pu)
    category = result.category
    if not harm and by_model and category in ("human_request", "dispute") and intent is not None \
            and intent.category in _URGENT_CATEGORIES and pu >= pe:
        # "cứu em với ..." read as a request by the cues, as abuse by the model
        harm, category = True, _MODEL_CATEGORY.get(intent.category, intent.category)
    if not harm or not (by_model or _DANGER_NOW.search(folded)):
        return result
    emergency = ["115", "113"] if category in ("crisis", "injury") else ["113"]
    if _HURT_RE.search(folded):
        emergency.append("115")
    if _CHILD_RE.search(folded):
        emergency.append("111")
    return dataclasses.replace(result, category=category, urgency=Urgency.URGENT,
                               emergency=tuple(dict.fromkeys(list(result.emergency) + emergency)),
                               cues=(*result.cues, "urgent_now"))


def _with_model(folded: str, esc: TriageResult | None, oos: str | None, intent: IntentScores,
                faq: float = 0.0) -> TriageResult:
    pa, pe, pu, po = (intent.p(k) for k in ("answer", "escalate", "urgent", "out_of_scope"))
    hypothetical = bool(_HYPOTHETICAL_FRAME.search(folded)) and (esc is None or not (_STRONG_CUES & set(esc.cues)))
    if (asks_for_information(folded, esc) or hypothetical or bare_topic(folded, esc, faq)
            or general_question(folded, esc)) and pu + pe < INFO_QUESTION_VETO:
        # "... cho em hỏi đất giấy tay có làm sổ được không": the story is context for a question
        pa, pe, pu, esc = pa + pe + pu, 0.0, 0.0, None
    elif esc is None and (_INFO_QUESTION.search(folded) or _RULE_FRAME.search(folded)) and pu + pe < RULE_QUESTION_VETO \
            and not _NEEDS_PERSON.search(folded):
        # "con trai 18 tuổi thì tuổi nào hết bị gọi nhập ngũ": a question about the rule, with no cue of
        # a case; the model alone is not sure enough to call it one
        pa, pe, pu = pa + pe + pu, 0.0, 0.0
    legal = bool(_LEGAL_WORDS.search(folded))
    if oos is not None and esc is None and pu + pe < OOS_CASE_P and (pa < 0.6 or oos in _SURE_OOS) \
            and not legal and not _MEDICAL.search(folded):
        # the words name something out of scope ("kể chuyện cười cho mình nghe đi") and nothing of a case: the
        # model's reading of danger in such small talk is an artefact of the sentence vectors, not a case (the
        # refusal below then words it as usual, 115 first for health)
        pe = pu = 0.0
    cue_urgent = esc is not None and esc.urgent
    if pu >= URGENT_P or (cue_urgent and pu + pe >= 0.3):
        return esc if cue_urgent and esc is not None else _model_escalation(folded, intent, urgent=True)
    wants_person = bool(_NEEDS_PERSON.search(folded))
    if pe + pu >= ESCALATE_P or (esc is None and wants_person and pe + pu >= PERSON_ESCALATE_P):
        if esc is not None:
            return esc
        # urgency the larger share of the model's belief, or an abuse category: numbers first
        urgent = pu >= pe or (intent.category in _URGENT_CATEGORIES and pu >= URGENT_CATEGORY_P) \
            or pu >= URGENT_SHARE_P * (pe + pu)
        return _model_escalation(folded, intent, urgent=urgent)
    if esc is not None and ((pa < CUE_OVERRULED_BY_ANSWER_P and (esc.score >= 1.0 or pe + pu >= 0.25))
                            or "ask_person" in esc.cues or (own_harm(folded, esc) and not past_harm_question(folded))):
        # a request for a person is granted whatever the model reads in the rest; so is the sender's own
        # harm, unless it is over and told as the context of a question on the law
        return esc
    far = not legal and intent.legal is not None and intent.legal < LEGAL_SIM_FLOOR
    evidence = faq >= FAQ_EVIDENCE or (intent.legal is not None and intent.legal >= LEGAL_EVIDENCE)
    refuse_p = EVIDENCE_OUT_OF_SCOPE_P if evidence else OUT_OF_SCOPE_P
    if (po >= refuse_p and (not legal or po >= max(0.8, refuse_p))) or (oos is not None and (pa < 0.6 or oos in _SURE_OOS)) \
            or far \
            or (not legal and pa < 0.7 and _MEDICAL.search(folded)):
        kind = oos or intent.category or "general"
        if intent.category in ("health", "politics", "about_bot", "chain_message") and po >= OUT_OF_SCOPE_P:
            kind = intent.category
        return _out_of_scope_result(kind, folded)
    return TriageResult(Verdict.ANSWER, legal_aid_hint=legal_aid_hint(folded))


# A bare topic names what happened in a few words, to nobody in particular ("bị lừa qua mạng", "con bị
# bạn bắt nạt ở trường") and matches a vetted FAQ question: it asks what the law says about it. Not
# when it speaks of the sender (a pronoun), of now, of a court or police process, asks for a person,
# or carries a cue of danger: those stay cases.
_TOPIC_MAX_WORDS = 7
_NOT_BARE = re.compile(_P + r"|\b(dang|vua|moi|roi|nay|gio|bay gio|hom nay|toi qua|dem qua|sang nay|oi|alo|ad|cuu|gap|giup|"
                       r"toa|toa an|cong an|trieu tap|don kien|khoi to|tam giu|tam giam|bat giam)\b")
# cues that only name a topic (a kind of wrong), not danger or a process under way
_TOPIC_CUES = frozenset({"crime_victim", "crime_topic", "active_dispute", "domestic_violence", "sexual_topic",
                         "work_accident_word", "money_lost", "absconded", "evidence", "bribery"})
_PERSON_NOUN = lexicon.pattern("person_noun")


def bare_topic(folded: str, esc: TriageResult | None, faq: float) -> bool:
    """A few words naming a legal topic, with a FAQ question close to it and nothing of a case of one's own."""
    words = [w for w in folded.split() if w.isalnum()]
    return 0 < len(words) <= _TOPIC_MAX_WORDS and faq >= FAQ_TOPIC and not _NOT_BARE.search(folded) \
        and not _PERSON_NOUN.search(folded) and not _NEEDS_PERSON.search(folded) \
        and (esc is None or set(esc.cues) <= _TOPIC_CUES)


def _out_of_scope_result(kind: str, folded: str) -> TriageResult:
    """Out of scope; signs of a medical emergency still get 115 first, whatever the kind."""
    sick = _MEDICAL.search(folded) or (kind == "health" and _HURT_RE.search(folded))
    return TriageResult(Verdict.OUT_OF_SCOPE, "health" if sick else kind, emergency=("115",) if sick else ())


def _numbers_first(result: TriageResult) -> TriageResult:
    """An urgent case always carries emergency numbers (police by default, ambulance for health)."""
    if result.verdict != Verdict.ESCALATE or not result.urgent or result.emergency:
        return result
    default = ("115",) if result.category in ("crisis", "injury") else ("113",)
    return dataclasses.replace(result, emergency=default)


def _model_escalation(folded: str, intent: IntentScores, *, urgent: bool) -> TriageResult:
    """An escalation the cues did not see: category from the category model, numbers from the category."""
    raw_category = intent.category
    if urgent and raw_category not in _URGENT_CATEGORIES:
        raw_category = "violence"
    if not urgent and raw_category in _URGENT_CATEGORIES | {"", "health", "general", "politics", "about_bot", "chain_message"}:
        raw_category = "human_request"
    category = _MODEL_CATEGORY.get(raw_category, raw_category)
    child = bool(_CHILD_RE.search(folded)) or raw_category == "child_abuse"
    emergency: list[str] = []
    urgency = Urgency.URGENT if urgent else _CATEGORY_URGENCY.get(category, Urgency.NORMAL)
    if urgent:
        if raw_category == "crisis":
            emergency = ["115"]
        elif raw_category == "injury":
            emergency = ["115", "113"]
        else:
            emergency = ["113"]
            if _HURT_RE.search(folded):
                emergency.append("115")
        if child:
            emergency.append("111")
    return TriageResult(Verdict.ESCALATE, category, urgency, tuple(dict.fromkeys(emergency)),
                        legal_aid_hint(folded), round(intent.p("urgent") + intent.p("escalate"), 2),
                        (f"model:{raw_category}",))


# ---------------------------------------------------------------------------------------------
# Too vague to answer: a bare topic

_FILLER = frozenset(
    ["hoi", "ve", "cho", "toi", "em", "minh", "tui", "anh", "chi", "ban", "bot", "oi", "a", "ak", "voi", "luat", "phap", "luat", "van", "de", "tu", "van", "muon", "can", "xin", "chao", "lien", "quan", "quy", "dinh", "thong", "tin", "gi", "khong", "ko", "the", "nao", "ve", "viec", "cac", "linh", "vuc", "mang", "chut", "nhe", "nha", "di", "co"]
)
TOPIC_WORDS: dict[str, str] = {
    "dat dai": "đất đai", "dat": "đất đai", "nha dat": "đất đai", "so do": "đất đai", "nha o": "đất đai",
    "bao hiem": "bảo hiểm", "bao hiem xa hoi": "bảo hiểm", "bhxh": "bảo hiểm", "bao hiem y te": "bảo hiểm",
    "lao dong": "lao động", "viec lam": "lao động", "cong ty": "lao động", "luong": "lao động",
    "hon nhan": "hôn nhân gia đình", "gia dinh": "hôn nhân gia đình", "hon nhan gia dinh": "hôn nhân gia đình",
    "ly hon": "hôn nhân gia đình", "ket hon": "hôn nhân gia đình",
    "thua ke": "thừa kế", "di chuc": "thừa kế", "giao thong": "giao thông", "xe": "giao thông",
    "cu tru": "cư trú, căn cước", "ho khau": "cư trú, căn cước", "can cuoc": "cư trú, căn cước",
    "nghia vu quan su": "nghĩa vụ quân sự", "quan su": "nghĩa vụ quân sự", "thue": "thuế",
    "khieu nai": "khiếu nại, tố cáo", "to cao": "khiếu nại, tố cáo",
}


# Words (besides _FILLER) that frame a question (how long, where, how much, may I, is it lawful ...)
# without saying what it is about. A first message made only of these and filler ("cần giấy tờ
# gì?", "mất bao lâu?", "có bị phạt không?") has no subject: any article found would be a guess.
_FRAME = frozenset(
    [
        "vay", "v", "z", "phai", "lam", "thi", "nop", "duoc", "dc", "bi", "k", "ah", "ha", "nhi",
        "roi", "chua", "nua", "nhu", "giup", "ntn", "sao", "ai", "dau", "o", "tai", "xong", "bao",
        "lau", "nhieu", "ngay", "gio", "khi", "luc", "ra", "mat", "ton", "het", "phi", "thu", "tuc",
        "giai", "quyet", "dung", "giay", "to", "nhung", "ad", "mn", "moi", "nguoi", "tra",
    ]
)

_FRAME_PHRASES = re.compile(r"\bbi phat\b")


def is_vague(text: str) -> bool:
    """Nothing but greetings, filler and question-frame words ("cho em hỏi về luật với ạ",
    "cần giấy tờ gì?", "mất bao lâu?")."""
    folded = cue_form(text).replace("?", " ")
    if not folded.split():
        return False
    # "(có) bị phạt (không)" with nothing else: fined for what?
    words = _FRAME_PHRASES.sub(" ", folded).split()
    return all(w in _FILLER or w in _FRAME or w.isdigit() for w in words)


def topic_only(text: str) -> str | None:
    """The topic of a message that names a topic and asks nothing else ("hỏi về bảo hiểm")."""
    folded = cue_form(text).replace("?", " ")
    words = [w for w in folded.split() if w not in _FILLER]
    if not words or len(words) > 4:
        return None
    phrase = " ".join(words)
    return TOPIC_WORDS.get(phrase)
