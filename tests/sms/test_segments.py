import pytest

from sms.segments import SegmentCount, count_segments


def test_empty_body_takes_no_segment():
    assert count_segments("") == SegmentCount("GSM-7", 0, 0)


@pytest.mark.parametrize(
    ("length", "segments"),
    [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (153 * 3, 3), (153 * 3 + 1, 4)],
)
def test_gsm_body_fits_160_in_one_segment_and_153_per_part_when_split(length, segments):
    count = count_segments("a" * length)

    assert count == SegmentCount("GSM-7", length, segments)


def test_gsm_basic_set_accents_and_greek_stay_single_septets():
    body = "£@ÉéÄÖÑÜ§¿ΔΩ\n"

    assert count_segments(body) == SegmentCount("GSM-7", len(body), 1)


@pytest.mark.parametrize("char", list("^{}\\[~]|€\f"))
def test_extension_character_counts_as_two_septets(char):
    assert count_segments("a" + char).characters == 3
    assert count_segments("a" + char).encoding == "GSM-7"


def test_extension_characters_can_push_a_body_into_a_second_segment():
    assert count_segments("a" * 158 + "€").segments == 1
    assert count_segments("a" * 159 + "€").segments == 2


def test_extension_character_is_never_split_across_parts():
    # 152 septets then a 2-septet €: the € cannot start in part 1's last septet,
    # so 152 + 2 + 152 = 306 septets need three parts, not two.
    body = "a" * 152 + "€" + "a" * 152

    assert count_segments(body) == SegmentCount("GSM-7", 306, 3)


def test_a_single_emoji_turns_the_whole_body_into_ucs2_and_counts_two_code_units():
    count = count_segments("Thanks 👍")

    assert count == SegmentCount("UCS-2", 9, 1)


@pytest.mark.parametrize(("length", "segments"), [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs2_body_fits_70_in_one_segment_and_67_per_part_when_split(length, segments):
    count = count_segments("ŵ" * length)  # Welsh w-circumflex is not in GSM-7

    assert count == SegmentCount("UCS-2", length, segments)


def test_curly_quotes_are_not_gsm():
    assert count_segments("It’s done").encoding == "UCS-2"


def test_is_gsm7_accepts_the_extension_table_and_rejects_curly_quotes_and_emoji():
    from sms import is_gsm7

    assert is_gsm7("Price: €5 [50% off] {today}")
    assert not is_gsm7("It’s open")
    assert not is_gsm7("Thanks 👍")
