"""The consumer payment code format (pure): prefix + device handle + wallet slot + 8-digit TOTP."""
from __future__ import annotations

import base64

import pyotp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.qr.payment_codes import LENGTH, describe, make_code, otp_at_step, otps_at_steps, parse_code

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
# RFC 6238 appendix B, SHA1, 8 digits, 30 s steps.
RFC_SHA1_VECTORS = [(59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"),
                    (1234567890, "89005924"), (2000000000, "69279037"), (20000000000, "65353130")]

relaxed = settings(deadline=None)
handles = st.integers(0, 9_999_999).map(lambda n: f"{n:07d}")
slots = st.integers(0, 9)
times = st.floats(0, 2 ** 33, allow_nan=False, allow_infinity=False)
prefixes = st.integers(0, 99).map(lambda n: f"{n:02d}")


@pytest.mark.parametrize(("at", "expected"), RFC_SHA1_VECTORS)
def test_the_last_eight_digits_are_the_rfc_6238_sha1_code_of_the_secret(at, expected):
    code = make_code("28", "1234567", 3, RFC_SECRET, at)

    assert code == "28" + "1234567" + "3" + expected


def test_a_code_is_eighteen_ascii_digits_starting_with_the_prefix():
    code = make_code("28", "0000042", 0, pyotp.random_base32(), 1_700_000_000)

    assert len(code) == LENGTH == 18
    assert code.isascii() and code.isdigit()
    assert code.startswith("280000042" + "0")


def test_the_code_changes_with_the_period_and_stays_within_one():
    secret = pyotp.random_base32()
    start = 1_700_000_010 - 1_700_000_010 % 30

    first, same_period = make_code("28", "1234567", 1, secret, start), make_code("28", "1234567", 1, secret, start + 29)
    codes_of_ten_periods = {make_code("28", "1234567", 1, secret, start + 30 * k) for k in range(10)}

    assert first == same_period
    assert len(codes_of_ten_periods) >= 9  # two equal 8-digit codes among ten would be a 1-in-2-million fluke


def test_a_longer_period_keeps_the_code_longer():
    secret = pyotp.random_base32()
    start = 1_700_000_040 - 1_700_000_040 % 60

    assert make_code("28", "1234567", 1, secret, start, period=60) == \
        make_code("28", "1234567", 1, secret, start + 59, period=60)
    assert make_code("28", "1234567", 1, secret, start, period=60)[-8:] == \
        pyotp.TOTP(secret, digits=8, interval=60).at(start)


@relaxed
@given(prefix=prefixes, handle=handles, slot=slots, at=times)
def test_parse_code_reads_back_what_make_code_wrote(prefix, handle, slot, at):
    secret = RFC_SECRET
    code = make_code(prefix, handle, slot, secret, at)

    assert parse_code(code, prefix) == (handle, slot, pyotp.TOTP(secret, digits=8).at(int(at)))


@pytest.mark.parametrize("code", [
    "",
    "28123456731234567",          # 17 digits
    "2812345673123456789",        # 19 digits
    "29" + "1234567" + "3" + "12345678",  # another prefix
    "28123456731234567a",
    "28 1234567312345678"[:18],
    "2812345673123456٧8",        # an Arabic-Indic digit: isdigit() is true, but it is not ours
    "281234567312345６78",        # a full-width digit
])
def test_parse_code_refuses_anything_that_is_not_exactly_our_eighteen_digits(code):
    assert parse_code(code, "28") is None


def test_parse_code_refuses_what_is_not_a_string():
    assert parse_code(None, "28") is None  # type: ignore[arg-type]
    assert parse_code(281234567312345678, "28") is None  # type: ignore[arg-type]


@pytest.mark.parametrize(("prefix", "handle", "slot"), [
    ("2", "1234567", 0), ("28a", "1234567", 0), ("2x", "1234567", 0),
    ("28", "123456", 0), ("28", "12345678", 0), ("28", "12345a7", 0),
    ("28", "1234567", -1), ("28", "1234567", 10),
])
def test_make_code_refuses_parts_that_would_not_fit_the_format(prefix, handle, slot):
    with pytest.raises(ValueError):
        make_code(prefix, handle, slot, RFC_SECRET, 59)


def test_the_format_description_names_the_prefix_and_the_period():
    text = describe("28", 30)

    assert "'28'" in text and "30 s" in text and "SHA1" in text and "18 digits" in text


def test_the_codes_of_many_steps_at_once_are_the_rfc_6238_codes():
    steps = range(0, 2 ** 32, 2 ** 28)
    rfc = otps_at_steps(RFC_SECRET, range(59 // 30, 59 // 30 + 1))

    assert rfc == ["94287082"]
    assert otps_at_steps(RFC_SECRET, steps) == [otp_at_step(RFC_SECRET, step, 30) for step in steps]


@relaxed
@given(st.binary(min_size=14, max_size=40), st.integers(0, 2 ** 35))
def test_the_codes_of_many_steps_at_once_are_pyotps(seed, first):
    secret = base64.b32encode(seed).decode().rstrip("=")  # unpadded, as pyotp.random_base32 makes them
    steps = range(first, first + 11)

    assert otps_at_steps(secret, steps) == [pyotp.TOTP(secret, digits=8, interval=5).at(step * 5) for step in steps]
