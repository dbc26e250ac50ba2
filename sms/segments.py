"""How many SMS parts a message body takes, in GSM-7 or UCS-2 (3GPP TS 23.038)."""

from dataclasses import dataclass
from typing import Literal

# The GSM 03.38 default alphabet, one septet each. The escape character (0x1B)
# is left out: it only introduces the extension table, nobody types it.
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each character is sent as escape + character, two septets.
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")

# (whole message fits in one part, size of each part once split): a split
# message gives up room in every part to the header that joins the parts.
GSM_LIMITS = (160, 153)
UCS2_LIMITS = (70, 67)


@dataclass(frozen=True)
class SegmentCount:
    encoding: Literal["GSM-7", "UCS-2"]
    characters: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int


def count_segments(body: str) -> SegmentCount:
    """Count the parts `body` is sent in: 0 for an empty body, otherwise at least 1.

    A body made only of GSM-7 characters goes as GSM-7 (extension characters
    take two septets); any other character turns the whole message into UCS-2,
    where a character outside the Basic Multilingual Plane (most emoji) takes
    two code units. Parts are filled a character at a time and a two-unit
    character is never split across parts, as phones and Twilio do, so a long
    message can take one part more than plain division suggests.
    """
    if all(char in GSM_BASIC or char in GSM_EXTENSION for char in body):
        widths = [2 if char in GSM_EXTENSION else 1 for char in body]
        encoding, limits = "GSM-7", GSM_LIMITS
    else:
        widths = [2 if ord(char) > 0xFFFF else 1 for char in body]
        encoding, limits = "UCS-2", UCS2_LIMITS
    return SegmentCount(encoding, sum(widths), _parts(widths, *limits))


def _parts(widths: list[int], single: int, per_part: int) -> int:
    total = sum(widths)
    if total <= single:
        return 1 if total else 0
    parts, used = 1, 0
    for width in widths:
        if used + width > per_part:
            parts, used = parts + 1, 0
        used += width
    return parts


def is_gsm7(text: str) -> bool:
    """True when every character of `text` is in the GSM-7 alphabet (basic or extension table)."""
    return all(char in GSM_BASIC or char in GSM_EXTENSION for char in text)
