"""Vietnamese placeholders the storage layer writes where citizen text was removed (shown in the desk)."""

from __future__ import annotations

# replaces the question, transcript and notes of a ticket when the citizen deletes their data
REDACTED = "[Đã xoá theo yêu cầu của người dân]"
