"""Vietnamese function words, typed without accents: the words a message can drop without losing its subject."""

from __future__ import annotations

# Vietnamese function words, pronouns, particles and question frames, folded (source: Vietnamese
# grammar: the closed word classes). They say who asks and how, never what the question is about.
FUNCTION_WORDS = frozenset(
    ["a", "ah", "ak", "ha", "nhi", "ne", "nhe", "nha", "oi", "u", "uh", "vay", "v", "z", "day", "do", "kia", "nay", "ay", "la", "va", "cua", "co", "khong", "ko", "k", "hong", "hem", "duoc", "dc", "thi", "ma", "nhung", "cac", "cho", "voi", "ve", "theo", "trong", "tren", "duoi", "khi", "neu", "da", "se", "bi", "phai", "lam", "nao", "gi", "sao", "the", "nhu", "bao", "nhieu", "lau", "may", "moi", "ai", "toi", "tui", "minh", "em", "anh", "chi", "chung", "ta", "ong", "ba", "bac", "mot", "rat", "qua", "con", "nua", "roi", "cung", "van", "chua", "ra", "vao", "len", "o", "hoi", "xin", "cam", "on", "biet", "giup", "truong", "hop", "nguoc", "luc", "gio", "ngay", "thang", "nam", "tuoi", "tieng", "lan", "phan", "tram", "dau", "xong", "het", "cai", "hay", "hoac", "nen", "vi", "boi", "luon", "thoi", "ntn"]
)
