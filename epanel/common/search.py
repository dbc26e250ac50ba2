"""Searching text with LIKE: what people type is matched literally, so a search for "%" or "_" finds
those characters, not every row."""

LIKE_ESCAPE = "\\"


def contains_pattern(text: str) -> str:
    """A LIKE pattern for `text` anywhere in a value (use with escape=LIKE_ESCAPE), lower-cased."""
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
