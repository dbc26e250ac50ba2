"""Where a `next=` parameter may send someone: only to a page of this site."""

from urllib.parse import urlsplit


def safe_next_path(target: str | None, fallback: str) -> str:
    """Return target if it is a same-site relative path, otherwise fallback.

    Browsers treat `//host`, `/\\host` and `\\\\host` as other sites, so any
    backslash, control character or scheme-relative form is refused outright.
    """
    if not target or len(target) > 2000:
        return fallback
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return fallback
    if not target.startswith("/") or target.startswith("//"):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target
