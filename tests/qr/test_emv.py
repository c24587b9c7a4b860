"""Rules of the EMV MPM codec, one named test per rule, plus the public vector table."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from app.qr.emv import EmvError, crc16_ccitt_false, decode, encode
from app.qr.emv_amounts import format_amount, parse_amount
from app.qr.transliterate import MERCHANT_CITY_MAX, MERCHANT_NAME_MAX, ascii_fold

# A BCB Pix static code: 00, 26 (template), 52, 53, 58, 59, 60, 62 (template), 63.
PIX = (
    "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000"
    "5204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D"
)
# Non-ASCII merchant name whose check digits happen to start with two zeros.
BAECKEREI = "00020101021152045812530397854031865802DE5908Bäckerei6006Berlin630400D7"


def with_crc(body: str) -> str:
    """Finish a hand-written body with "6304" and its correct check digits."""
    body += "6304"
    return body + f"{crc16_ccitt_false(body.encode('utf-8')):04X}"


def tlv(tag: str, value: str) -> str:
    """One ID-length-value field, written by hand (the encoder is under test here)."""
    return f"{tag}{len(value):02d}{value}"


def refusal(payload: str) -> EmvError:
    with pytest.raises(EmvError) as caught:
        decode(payload)
    return caught.value


# --- public vectors -------------------------------------------------------------------

def _vectors_path() -> Path:
    override = os.environ.get("EMV_VECTORS")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / "shared/vectors/emv_mpm_public.json"


def _vectors(expect: str | None = None) -> list:
    path = _vectors_path()
    if not path.is_file():
        reason = f"EMV vector file not found at {path} (set EMV_VECTORS to point at it)"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="no-vectors")]
    vectors = json.loads(path.read_text(encoding="utf-8"))
    return [pytest.param(v, id=v["name"]) for v in vectors if expect in (None, v["expect"])]


@pytest.mark.parametrize("vector", _vectors())
def test_every_public_vector_expects_ok_or_fail(vector):
    assert vector["expect"] in ("OK", "FAIL")


@pytest.mark.parametrize("vector", _vectors("OK"))
def test_public_ok_vector_decodes_and_re_encodes_to_the_same_payload(vector):
    # Given a payload published as valid
    payload = vector["payload"]
    # When it is decoded and its tree encoded again
    tree = decode(payload).to_tree()
    # Then the original comes back, up to the case of the check digits
    assert encode(tree) == payload[:-4] + payload[-4:].upper()


@pytest.mark.parametrize("vector", _vectors("FAIL"))
def test_public_fail_vector_is_refused_for_its_crc(vector):
    # Given a payload published as corrupt, when decoded, then the CRC is blamed
    error = refusal(vector["payload"])
    assert (error.tag, error.reason) == ("63", "crc_mismatch")


# --- decoding: what is accepted -------------------------------------------------------

def test_decode_nests_template_sub_fields_and_keeps_other_tags_as_strings():
    # Given a Pix code, when decoded
    fields = decode(PIX).fields
    # Then templates are dicts, plain tags are strings, all in payload order
    assert list(fields) == ["00", "26", "52", "53", "58", "59", "60", "62", "63"]
    assert fields["26"] == {"00": "br.gov.bcb.pix", "01": "123e4567-e12b-12d1-a456-426655440000"}
    assert fields["62"] == {"05": "***"}
    assert fields["59"] == "Fulano de Tal"


def test_decode_exposes_convenience_properties():
    # Given a code with every common field, including a language template (64)
    payload = with_crc(
        "0002010102125204581253033925403500"
        "5802JP5908Ramen Ya6005Tokyo610610000162070303ABC"
        "64150002JA0105ラーメン屋"
        "26140004JCB.0102ab"
    )
    # When decoded
    decoded = decode(payload)
    # Then each property reads its tag
    assert (decoded.format_indicator, decoded.point_of_initiation) == ("01", "12")
    assert (decoded.mcc, decoded.currency_numeric, decoded.amount) == ("5812", "392", "500")
    assert (decoded.country, decoded.merchant_name) == ("JP", "Ramen Ya")
    assert (decoded.merchant_city, decoded.postal_code) == ("Tokyo", "100001")
    assert decoded.additional == {"03": "ABC"}
    assert decoded.language_template == {"00": "JA", "01": "ラーメン屋"}
    assert decoded.merchant_accounts == {"26": {"00": "JCB.", "01": "ab"}}
    assert decoded.crc == payload[-4:]


def test_to_tree_is_json_serialisable():
    # Given a decoded code with templates, when its tree goes through JSON, then nothing is lost
    tree = decode(PIX).to_tree()
    assert json.loads(json.dumps(tree)) == tree


def test_decode_accepts_fields_in_any_order_between_00_and_63():
    # Given 58 before 53 and 62 before 52
    payload = with_crc("0002015802TH62070503***530376452040000")
    # When decoded, then the order is kept as received
    assert list(decode(payload).fields) == ["00", "58", "62", "53", "52", "63"]


def test_decode_accepts_lower_case_check_digits():
    # Given a valid code whose check digits are written in lower case
    payload = PIX[:-4] + PIX[-4:].lower()
    # When decoded, then it is accepted and the crc property is upper-cased
    assert decode(payload).crc == "1D3D"


def test_decode_accepts_check_digits_with_leading_zeros():
    # Given a code whose CRC is 0x00D7, when decoded, then it is accepted
    assert decode(BAECKEREI).crc == "00D7"


def test_decode_accepts_a_format_indicator_other_than_01():
    # Given a future format version, when decoded, then the value is reported as is
    assert decode(with_crc("00020253039865802BR")).format_indicator == "02"


def test_decode_accepts_a_payload_without_tag_01():
    # Given a code with no point-of-initiation field, when decoded, then it reads None
    assert decode(PIX).point_of_initiation is None


def test_decode_counts_lengths_in_characters_not_bytes():
    # Given "5908Bäckerei": 8 characters, 9 bytes in UTF-8 ("ä" is two bytes)
    # When decoded, then length 08 covers exactly the name and 60 follows intact
    decoded = decode(BAECKEREI)
    assert (decoded.merchant_name, decoded.merchant_city) == ("Bäckerei", "Berlin")


# --- decoding: plain values in template tags -----------------------------------------
# Banks print codes with a plain value, not ID-length-value sub-fields, in a template tag: the
# field report was a DuitNow code (Malaysia) with a hex string in tag 82 (unreserved templates
# 80-99), refused as a whole for "bad_tag". Merchant account templates (26-51) are filled as
# each scheme likes too. Such a value is kept as one opaque string. Payloads built here, each
# with a correct CRC, and one for every way a value can fail to read as sub-fields.

DUITNOW_ACCOUNT = tlv("26", tlv("00", "A0000006150001") + tlv("01", "501664") + tlv("02", "123456789"))
MALAYSIAN_TAIL = tlv("52", "5999") + tlv("53", "458") + tlv("58", "MY") + tlv("59", "QRCSDNBHD") + tlv("60", "BANGI")


def malaysian(*fields: str) -> str:
    return with_crc("000201" + "010211" + DUITNOW_ACCOUNT + MALAYSIAN_TAIL + "".join(fields))


LENIENT = [
    # (payload, tag, opaque value): what the value would have been refused for, as the id
    pytest.param(malaysian(tlv("82", "3C5E8F2A9B1D4E6F7A8B")), "82", "3C5E8F2A9B1D4E6F7A8B", id="82-hex-bad_tag"),
    pytest.param(malaysian(tlv("80", "20240101")), "80", "20240101", id="80-date-length_overrun"),
    pytest.param(malaysian(tlv("99", "7")), "99", "7", id="99-one-char-truncated"),
    pytest.param(malaysian(tlv("91", "01A1XYZ")), "91", "01A1XYZ", id="91-bad_length"),
    pytest.param(malaysian(tlv("85", "0102AB0102AB")), "85", "0102AB0102AB", id="85-duplicate_tag"),
    pytest.param(malaysian(tlv("29", "0066812345678")), "29", "0066812345678", id="29-merchant-account-plain"),
    pytest.param(malaysian(tlv("51", "MY.DUITNOW.7788")), "51", "MY.DUITNOW.7788", id="51-merchant-account-text"),
]


@pytest.mark.parametrize(("payload", "tag", "value"), LENIENT)
def test_a_template_tag_holding_a_plain_value_decodes_as_one_opaque_string(payload, tag, value):
    # Given a code with a plain value in template tag 26-51 or 80-99, and a correct CRC
    # When decoded
    decoded = decode(payload)
    # Then that field is a string, not a dict of sub-fields, and named as opaque
    assert decoded.fields[tag] == value
    assert decoded.opaque == (tag,)
    # And the real sub-field templates around it still nest
    assert decoded.merchant_accounts == {"26": {"00": "A0000006150001", "01": "501664", "02": "123456789"}}


@pytest.mark.parametrize(("payload", "tag", "value"), LENIENT)
def test_a_code_with_an_opaque_field_re_encodes_to_the_same_payload(payload, tag, value):
    assert encode(decode(payload).to_tree()) == payload


@pytest.mark.parametrize(("payload", "tag", "value"), LENIENT)
def test_a_code_with_an_opaque_field_and_a_wrong_crc_is_still_refused(payload, tag, value):
    # Given the same code with its last check digit changed, then the CRC is blamed
    error = refusal(payload[:-1] + ("0" if payload[-1] != "0" else "1"))
    assert (error.tag, error.reason) == ("63", "crc_mismatch")


def test_a_code_without_opaque_fields_says_so():
    assert decode(PIX).opaque == ()


@pytest.mark.parametrize("tag", ["62", "64"])
def test_an_emvco_defined_template_holding_a_plain_value_is_still_refused(tag):
    # Given 62 (additional data) or 64 (language) with a value that is not sub-fields: EMVCo
    # defines their sub-fields and we read them (the reference, the merchant's own-language name)
    error = refusal(with_crc("000201" + tlv(tag, "3C5E8F2A") + "5802MY"))
    # Then the code is refused, naming the field inside the template
    assert (error.tag, error.reason) == (f"{tag}.3C", "bad_tag")


def test_a_malformed_top_level_is_still_refused_next_to_an_opaque_template():
    # Given a lenient tag 82 followed by a field whose length is not digits
    error = refusal(with_crc("000201" + tlv("82", "3C5E8F2A") + "58x2MY"))
    assert (error.tag, error.reason) == ("58", "bad_length")


# --- decoding: what is refused --------------------------------------------------------

def test_decode_refuses_a_wrong_crc():
    # Given a valid code with one check digit changed
    error = refusal(PIX[:-1] + "E")
    # Then the CRC is blamed
    assert (error.tag, error.reason) == ("63", "crc_mismatch")


def test_decode_refuses_a_corrupted_template_as_a_crc_mismatch():
    # Given a template length changed in transit (the CRC no longer matches)
    error = refusal(PIX.replace("62070503***", "62070509***"))
    # Then corruption is reported, not the template's apparent overrun
    assert error.reason == "crc_mismatch"


def test_decode_refuses_check_digits_that_are_not_hex():
    assert refusal(PIX[:-4] + "1D3G").reason == "bad_crc_format"


def test_decode_refuses_an_empty_payload():
    error = refusal("")
    assert (error.tag, error.reason) == (None, "empty")


def test_decode_refuses_a_truncated_field():
    # Given three characters left where a tag and a length need four
    error = refusal(PIX + "630")
    assert (error.tag, error.reason) == (None, "truncated")


def test_decode_refuses_a_length_that_runs_past_the_end():
    # Given a last field claiming 05 characters with only 4 left
    error = refusal(PIX[:-8] + "63051D3D")
    assert (error.tag, error.reason) == ("63", "length_overrun")


def test_decode_refuses_a_sub_field_that_runs_past_its_template():
    # Given 62 holding 7 characters whose sub-field 05 claims 10
    error = refusal(with_crc("00020153039865802BR62070510***"))
    # Then the error names the path inside the template
    assert (error.tag, error.reason) == ("62.05", "length_overrun")
    assert "62.05" in str(error)


def test_decode_refuses_a_truncated_sub_field():
    # Given 62 holding "0503***05": a whole sub-field, then two stray characters
    error = refusal(with_crc("00020153039866209" "0503***05"))
    assert (error.tag, error.reason) == ("62", "truncated")


def test_decode_refuses_a_duplicate_tag():
    error = refusal(with_crc("00020153039865303986"))
    assert (error.tag, error.reason) == ("53", "duplicate_tag")


def test_decode_refuses_a_duplicate_sub_tag_within_a_template():
    error = refusal(with_crc("0002016212050212050234"))
    assert (error.tag, error.reason) == ("62.05", "duplicate_tag")


@pytest.mark.parametrize("length", ["x4", "4 ", "+4", "٠٤"])
def test_decode_refuses_a_non_numeric_length(length):
    error = refusal(with_crc(f"0002015802BR53{length}986"))
    assert (error.tag, error.reason) == ("53", "bad_length")


def test_decode_refuses_a_non_numeric_sub_field_length():
    error = refusal(with_crc("000201620705x3***"))
    assert (error.tag, error.reason) == ("62.05", "bad_length")


def test_decode_refuses_a_non_numeric_tag():
    assert refusal(with_crc("000201AB02BR")).reason == "bad_tag"


def test_decode_refuses_a_payload_without_crc():
    error = refusal("00020153039865802BR")
    assert (error.tag, error.reason) == ("63", "missing_crc")


def test_decode_refuses_a_crc_that_is_not_last():
    # Given a correct CRC followed by one more field
    error = refusal(PIX + "6103123")
    assert (error.tag, error.reason) == ("63", "crc_not_last")


def test_decode_refuses_a_payload_not_starting_with_00():
    error = refusal(with_crc("53039860002015802BR"))
    assert (error.tag, error.reason) == ("53", "format_indicator_not_first")


def test_emv_error_is_a_value_error_whose_message_names_tag_and_reason():
    error = refusal(PIX[:-1] + "E")
    assert isinstance(error, ValueError)
    assert "63" in str(error) and "crc_mismatch" in str(error)


# --- CRC and encoding -----------------------------------------------------------------

def test_crc16_ccitt_false_matches_the_catalogue_check_value():
    assert crc16_ccitt_false(b"123456789") == 0x29B1


def test_crc16_ccitt_false_of_nothing_is_its_initial_value():
    assert crc16_ccitt_false(b"") == 0xFFFF


def test_encode_writes_00_first_then_the_given_order_and_an_upper_case_crc():
    # Given fields with 00 last and templates out of ascending order
    fields = {
        "58": "BR", "62": {"05": "***"}, "26": {"01": "key", "00": "br.gov.bcb.pix"}, "00": "01",
    }
    # When encoded
    payload = encode(fields)
    # Then 00 leads, the rest keep their order, and the CRC is upper-case hex
    assert payload.startswith("0002015802BR62070503***26250103key0014br.gov.bcb.pix6304")
    assert payload[-4:] == f"{crc16_ccitt_false(payload[:-4].encode()):04X}"


def test_encode_ignores_a_caller_supplied_crc():
    assert encode({"00": "01", "63": "FFFF"}) == encode({"00": "01"})


def test_encode_counts_characters_and_checks_utf8_bytes():
    # Given a non-ASCII name, when encoded, then the length is in characters
    assert encode({"00": "01", "59": "Bäcker"}).startswith("0002015906Bäcker6304")
    assert decode(encode({"00": "01", "59": "Bäcker"})).merchant_name == "Bäcker"


@pytest.mark.parametrize(
    ("fields", "tag", "reason"),
    [
        ({"00": "01", "59": "x" * 100}, "59", "value_too_long"),
        ({"00": "01", "62": {"05": "x" * 96}}, "62", "value_too_long"),
        ({"00": "01", "62": {"05": "x" * 100}}, "62.05", "value_too_long"),
        ({"00": "01", "59": ""}, "59", "empty_value"),
        ({"00": "01", "5": "x"}, "5", "bad_tag"),
        ({"00": "01", "62": {"5a": "x"}}, "62.5a", "bad_tag"),
        ({"00": "01", "59": 5}, "59", "bad_value"),
        ({"00": "01", "59": {"00": "x"}}, "59", "not_a_template"),
        ({"00": "01", "62": "0503***"}, "62", "template_expected"),
        ({"00": "01", "64": "3C5E8F2A"}, "64", "template_expected"),  # 62 and 64 are never opaque
        ({"00": "01", "82": "0503***"}, "82", "template_expected"),  # reads as sub-fields: give a mapping
        ({"00": "01", "26": ""}, "26", "empty_value"),
        ({"59": "Shop"}, "00", "missing_format_indicator"),
    ],
)
def test_encode_refuses_fields_it_cannot_write(fields, tag, reason):
    with pytest.raises(EmvError) as caught:
        encode(fields)
    assert (caught.value.tag, caught.value.reason) == (tag, reason)


# --- amounts (tag 54) -----------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "exponent", "minor"),
    [("4.22", 2, 422), ("100", 2, 10000), ("12.3", 2, 1230), ("500", 0, 500),
     ("0.125", 3, 125), ("9999999999.99", 2, 999999999999)],
)
def test_parse_amount_reads_minor_units(text, exponent, minor):
    assert parse_amount(text, exponent) == minor


@pytest.mark.parametrize(
    ("text", "exponent", "reason"),
    [("500.5", 0, "amount_too_precise"), ("1.234", 2, "amount_too_precise"),
     ("-1", 2, "bad_amount"), ("+1", 2, "bad_amount"), ("", 2, "bad_amount"),
     ("abc", 2, "bad_amount"), ("1,00", 2, "bad_amount"), ("1.", 2, "bad_amount"),
     (".5", 2, "bad_amount"), ("1e3", 2, "bad_amount"), (" 1", 2, "bad_amount"),
     ("١٢", 2, "bad_amount"), ("12345678901234", 2, "amount_too_long")],
)
def test_parse_amount_refuses_text_that_is_not_a_payable_amount(text, exponent, reason):
    with pytest.raises(EmvError) as caught:
        parse_amount(text, exponent)
    assert (caught.value.tag, caught.value.reason) == ("54", reason)


@pytest.mark.parametrize(
    ("minor", "exponent", "text"),
    [(422, 2, "4.22"), (10000, 2, "100.00"), (5, 2, "0.05"), (500, 0, "500"), (1234, 3, "1.234")],
)
def test_format_amount_writes_exactly_the_currency_decimals(minor, exponent, text):
    assert format_amount(minor, exponent) == text


@pytest.mark.parametrize(
    ("minor", "exponent", "reason"),
    [(-1, 2, "bad_amount"), (10**13, 2, "amount_too_long")],
)
def test_format_amount_refuses_negative_or_too_long_amounts(minor, exponent, reason):
    with pytest.raises(EmvError) as caught:
        format_amount(minor, exponent)
    assert caught.value.reason == reason


# --- transliteration (tags 59, 60) ----------------------------------------------------

@pytest.mark.parametrize(
    ("text", "folded"),
    [("Café Zürich", "Cafe Zurich"), ("Straße", "Strasse"), ("Æble Ørsted", "AEble Orsted"),
     ("Łódź", "Lodz"), ("Đà Nẵng", "Da Nang"), ("ＡＢＣ ﬁne", "ABC fine"),
     ("東京 Tokyo", "Tokyo"), ("a € b", "a b"), ("  tab\there\nnew  ", "tab here new")],
)
def test_ascii_fold_transliterates_to_printable_ascii(text, folded):
    assert ascii_fold(text, MERCHANT_NAME_MAX) == folded


def test_ascii_fold_truncates_without_leaving_a_trailing_space():
    # Given a city whose 15th character is a space, when folded, then the space is cut
    assert ascii_fold("Rio de Janeiro X", MERCHANT_CITY_MAX) == "Rio de Janeiro"
