"""Our merchant-presented codes in EMV form (pure: build_payload, then read back with emv.decode)."""
import pytest

from app.qr import emv
from app.qr.merchant_codes import MerchantInfo, build_payload, read

GUID = "app.wallet.pay"
MERCHANT = MerchantInfo(merchant_id="mer_abc", name="Joe's Coffee", city="Singapore", country="SG", mcc="5814",
                        language="en")


def build(*, merchant=MERCHANT, currency_code="USD", amount=None, reference=None, terminal_label=None,
          qr_id="qr_123"):
    return build_payload(guid=GUID, merchant=merchant, qr_id=qr_id, currency_code=currency_code, amount=amount,
                         reference=reference, terminal_label=terminal_label)


def fields_of(payload: str) -> dict:
    return emv.decode(payload).fields


def test_a_static_code_says_11_and_carries_no_amount():
    fields = fields_of(build())

    assert fields["00"] == "01"
    assert fields["01"] == "11"
    assert "54" not in fields
    assert fields["53"] == "840"


def test_a_dynamic_code_says_12_and_carries_the_amount_in_major_units():
    fields = fields_of(build(amount=1250))

    assert fields["01"] == "12"
    assert fields["54"] == "12.50"
    assert fields["53"] == "840"


@pytest.mark.parametrize("currency_code, amount, text, numeric", [
    ("USD", 5, "0.05", "840"),
    ("USD", 100, "1.00", "840"),
    ("JPY", 500, "500", "392"),  # no decimals at all, not "500.00"
    ("KWD", 1250, "1.250", "414"),  # three decimals
    ("KWD", 5, "0.005", "414"),
    ("USD", 100_000_000, "1000000.00", "840"),
])
def test_the_amount_has_exactly_the_currency_exponent_of_decimals(currency_code, amount, text, numeric):
    fields = fields_of(build(currency_code=currency_code, amount=amount))

    assert fields["54"] == text
    assert fields["53"] == numeric


def test_our_template_names_the_scheme_the_merchant_and_the_code():
    fields = fields_of(build(qr_id="qr_xyz"))

    assert fields["26"] == {"00": GUID, "01": "mer_abc", "02": "qr_xyz"}
    assert list(fields["26"]) == ["00", "01", "02"]
    assert (fields["52"], fields["58"]) == ("5814", "SG")


def test_the_reference_and_terminal_label_go_in_the_additional_data_template():
    fields = fields_of(build(amount=1250, reference="ORDER-42", terminal_label="TILL 3"))

    assert fields["62"] == {"05": "ORDER-42", "07": "TILL 3"}


def test_without_reference_or_label_there_is_no_additional_data_template():
    assert "62" not in fields_of(build(amount=1250))


def test_an_ascii_name_is_written_as_is_and_there_is_no_language_template():
    fields = fields_of(build())

    assert (fields["59"], fields["60"]) == ("Joe's Coffee", "Singapore")
    assert "64" not in fields


def test_a_long_ascii_name_is_cut_to_25_and_a_long_city_to_15_without_a_language_template():
    merchant = MerchantInfo(merchant_id="mer_abc", name="Abcdefghijklmnopqrstuvwxyz Coffee Roasters",
                            city="Llanfairpwllgwyngyll", country="GB", mcc="5814", language="en")

    fields = fields_of(build(merchant=merchant))

    assert fields["59"] == "Abcdefghijklmnopqrstuvwxy"
    assert fields["60"] == "Llanfairpwllgwy"
    assert "64" not in fields


def test_an_accented_name_is_folded_to_ascii_and_the_original_goes_in_the_language_template():
    merchant = MerchantInfo(merchant_id="mer_abc", name="Café Zürich", city="Zürich", country="CH", mcc="5814",
                            language="de")

    payload = build(merchant=merchant, amount=1250)
    fields = fields_of(payload)

    assert (fields["59"], fields["60"]) == ("Cafe Zurich", "Zurich")
    assert fields["64"] == {"00": "de", "01": "Café Zürich", "02": "Zürich"}
    assert payload.isascii() is False  # the UTF-8 text really is in the payload


def test_a_name_in_another_script_gets_a_placeholder_and_the_original_in_the_language_template():
    merchant = MerchantInfo(merchant_id="mer_abc", name="東京珈琲店", city="東京", country="JP", mcc="5814",
                            language="ja")

    fields = fields_of(build(merchant=merchant, currency_code="JPY", amount=500))

    assert fields["59"].isascii() and fields["59"]
    assert fields["60"].isascii() and fields["60"]
    assert fields["64"] == {"00": "ja", "01": "東京珈琲店", "02": "東京"}


def test_long_non_ascii_names_stay_within_the_limits_everywhere():
    merchant = MerchantInfo(merchant_id="mer_abc", name="Bäckerei Müller & Söhne am Großen Garten",
                            city="Sankt Märgen im Schwarzwald", country="DE", mcc="5462", language="de")

    fields = fields_of(build(merchant=merchant))

    assert len(fields["59"]) <= 25 and fields["59"].isascii() and fields["59"].startswith("Backerei Muller")
    assert len(fields["60"]) <= 15 and fields["60"].isascii()
    assert len(fields["64"]["01"]) <= 25 and fields["64"]["01"].startswith("Bäckerei Müller")
    assert len(fields["64"]["02"]) <= 15 and fields["64"]["02"].startswith("Sankt Märgen")


def test_the_crc_is_valid_and_any_changed_character_breaks_it():
    payload = build(amount=1250, reference="ORDER-42")
    check = emv.crc16_ccitt_false(payload[:-4].encode("utf-8"))

    assert payload[-8:-4] == "6304"
    assert payload[-4:] == f"{check:04X}"
    tampered = payload.replace("12.50", "12.40")
    with pytest.raises(emv.EmvError) as caught:
        emv.decode(tampered)
    assert caught.value.reason == "crc_mismatch"


def test_reading_our_own_dynamic_code_gives_minor_units_and_the_alphabetic_currency():
    reading = read(emv.decode(build(currency_code="KWD", amount=1250, qr_id="qr_k")), GUID)

    assert reading.scheme == "ours"
    assert reading.kind == "dynamic"
    assert reading.ours == {"00": GUID, "01": "mer_abc", "02": "qr_k"}
    assert (reading.amount, reading.currency, reading.amount_error) == (1250, "KWD", None)


def test_reading_our_own_static_code_has_no_amount():
    reading = read(emv.decode(build()), GUID)

    assert (reading.scheme, reading.kind, reading.amount) == ("ours", "static", None)


def test_a_code_with_another_guid_is_not_ours():
    reading = read(emv.decode(build(amount=1250)), "com.example.other")

    assert reading.scheme == "emv"
    assert reading.ours is None


def test_an_ascii_name_cut_on_a_space_needs_no_language_template():
    # "x" is the 24th character, so the 25-character cut ends in a space the folded text drops
    merchant = MerchantInfo(merchant_id="mer_abc", name="Abcdefghijklmnopqrstuvwx Coffee", city="Zurich ",
                            country="CH", mcc="5814", language="en")

    fields = fields_of(build(merchant=merchant))

    assert (fields["59"], fields["60"]) == ("Abcdefghijklmnopqrstuvwx", "Zurich")
    assert "64" not in fields


def test_a_non_ascii_name_cut_on_a_space_carries_no_trailing_space_in_the_language_template():
    merchant = MerchantInfo(merchant_id="mer_abc", name="Café Zürich Roastery and Bakery", city="Zürich",
                            country="CH", mcc="5814", language="de")

    fields = fields_of(build(merchant=merchant))

    assert fields["59"] == "Cafe Zurich Roastery and"
    assert fields["64"]["01"] == "Café Zürich Roastery and"


def test_a_blank_name_gets_a_placeholder_and_no_blank_language_template():
    merchant = MerchantInfo(merchant_id="mer_abc", name="   ", city="Zurich", country="CH", mcc="5814",
                            language="en")

    fields = fields_of(build(merchant=merchant))

    assert fields["59"] == "MERCHANT"
    assert "64" not in fields
