"""Vietnamese placeholders the storage layer writes where citizen text was removed (shown in the desk)."""

from __future__ import annotations

# replaces the question, transcript and notes of a ticket when the citizen deletes their data
REDACTED = "[Đã xoá theo yêu cầu của người dân]"

# --- the register of places (bot/storage/places.py): what an admin reads about a CSV import ------
# Placeholders: {line}, {column}, {value}, {columns}, {kinds}.

CSV_NOT_UTF8 = "Tệp không phải UTF-8 (hãy lưu lại dạng \"CSV UTF-8\")."
CSV_EMPTY = "Tệp trống."
CSV_UNKNOWN_HEADER = (
    "Dòng tiêu đề không đúng. Danh sách xã, phường cần các cột: {communes}; danh sách điểm phục vụ cần: {points}."
)
CSV_BROKEN = "dòng {line}: không đọc được ({value})."
CSV_FIELD_COUNT = "dòng {line}: có {value} cột, cần {columns} cột như dòng tiêu đề."
CSV_REQUIRED = "dòng {line}: thiếu {column}."
CSV_TOO_LONG = "dòng {line}: {column} dài quá {value} ký tự."
CSV_BAD_CODE = "dòng {line}: {column} \"{value}\" chỉ được gồm chữ số, chữ cái, dấu gạch."
CSV_BAD_KIND = "dòng {line}: loại \"{value}\" không có; dùng một trong: {kinds}."
CSV_UNKNOWN_COMMUNE = "dòng {line}: mã xã \"{value}\" không có trong danh sách xã, phường (nhập danh sách xã, phường trước)."
CSV_COMMUNE_NAME = "dòng {line}: mã xã {column} là \"{value}\", không phải tên ghi trong dòng."
CSV_COMMUNE_PROVINCE = "dòng {line}: xã {column} thuộc tỉnh mã {value}, không phải tỉnh ghi trong dòng."
CSV_POINT_DIFFERS = "dòng {line}: điểm \"{value}\" đã có ở dòng trước với {column} khác; mọi dòng của một điểm phải ghi giống nhau."
CSV_DUPLICATE = "dòng {line}: lặp lại dòng {value}."
