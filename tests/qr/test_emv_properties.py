"""Property tests: anything encode() writes, decode() reads back unchanged."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.qr.emv import EmvError, crc16_ccitt_false, decode, encode, is_template, may_be_opaque
from app.qr.emv_amounts import format_amount, parse_amount

# Timing is not under test here; a slow CI box should not turn into a failure.
# (A per-test decorator, not a profile, so other suites' settings are left alone.)
relaxed = settings(deadline=None)

ALL_TAGS = [f"{n:02d}" for n in range(100)]
TOP_TAGS = [tag for tag in ALL_TAGS[1:] if tag != "63"]

# Any Unicode text (Hypothesis already leaves out lone surrogates, which UTF-8 cannot carry).
values = st.text(min_size=1, max_size=99)
# At most 3 sub-fields of at most 25 characters: 3 * (4 + 25) = 87 fits a template's 99.
templates = st.dictionaries(
    st.sampled_from(ALL_TAGS), st.text(min_size=1, max_size=25), min_size=1, max_size=3
)


# A plain value in a template tag that may hold one (26-51, 80-99): a first character that is
# not a digit never reads as sub-fields, so it decodes as the same opaque string.
opaque_values = st.builds(lambda first, rest: first + rest,
                          st.characters(blacklist_categories=("Cs",)).filter(lambda c: not c.isdigit()),
                          st.text(max_size=98))


@st.composite
def field_trees(draw: st.DrawFn) -> dict[str, str | dict[str, str]]:
    """00 first, then distinct tags in random order, templates where the tag nests (or, where
    the tag may be opaque, sometimes a plain value)."""
    tags = draw(st.lists(st.sampled_from(TOP_TAGS), unique=True, max_size=12))
    tree: dict[str, str | dict[str, str]] = {"00": draw(values)}
    for tag in tags:
        if may_be_opaque(tag):
            tree[tag] = draw(st.one_of(templates, opaque_values))
        else:
            tree[tag] = draw(templates) if is_template(tag) else draw(values)
    return tree


def reference_crc(data: bytes) -> int:
    """CRC-16/CCITT-FALSE spelled out bit by bit, to check the library shortcut."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021 if crc & 0x8000 else crc << 1) & 0xFFFF
    return crc


@relaxed
@given(field_trees())
def test_encoded_tree_decodes_to_the_same_tree_in_the_same_order(tree):
    # Given any valid tree, when encoded and decoded again
    payload = encode(tree)
    decoded = decode(payload).to_tree()
    # Then the tree comes back in order, followed only by the CRC
    assert decoded.pop("63") == payload[-4:]
    assert list(decoded.items()) == list(tree.items())


@relaxed
@given(field_trees())
def test_encoded_tree_carries_a_valid_upper_case_crc(tree):
    # Given any valid tree, when encoded
    payload = encode(tree)
    # Then it ends in 6304 and the upper-case CRC of everything before the check digits
    assert payload[-8:-4] == "6304"
    assert payload[-4:] == f"{crc16_ccitt_false(payload[:-4].encode('utf-8')):04X}"


@relaxed
@given(field_trees(), st.data())
def test_any_single_ascii_character_changed_before_the_check_digits_is_refused(tree, data):
    # Given an encoded tree and one ASCII character before the check digits
    payload = encode(tree)
    positions = [i for i, ch in enumerate(payload[:-4]) if ch.isascii()]
    index = data.draw(st.sampled_from(positions))
    ascii_chars = st.characters(min_codepoint=32, max_codepoint=126)
    replacement = data.draw(ascii_chars.filter(lambda ch: ch != payload[index]))
    # When that one byte changes (a burst CRC-16 always catches), then decoding refuses
    with pytest.raises(EmvError):
        decode(payload[:index] + replacement + payload[index + 1 :])


@relaxed
@given(st.binary(max_size=600))
def test_crc_matches_the_bit_by_bit_definition(data):
    assert crc16_ccitt_false(data) == reference_crc(data)


@relaxed
@given(st.integers(min_value=0, max_value=10**11 - 1), st.integers(min_value=0, max_value=3))
def test_formatted_amount_parses_back_to_the_same_minor_units(minor, exponent):
    assert parse_amount(format_amount(minor, exponent), exponent) == minor
