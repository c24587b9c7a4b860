"""Merchants issue QR codes and read their status; anyone signed in can decode a scanned code."""
from datetime import datetime, timedelta

import pytest

from app.core import clock
from app.qr import emv
from tests.support.qr import (create_code, decode, make_admin, make_code, make_merchant, pay, tlv, vectors,
                               with_crc)

CODE_FIELDS = {"id", "kind", "payload", "amount", "currency", "expires_at", "status"}


@pytest.fixture
def shop(app, api):
    """(owner, merchant): a USD merchant called Café Zürich."""
    owner = api.person(name="Owner")
    return owner, make_merchant(app, api, owner=owner, language="de")


# --- issuing codes ---------------------------------------------------------------------------

def test_a_static_code_is_issued_without_amount_or_expiry(api, shop):
    owner, merchant = shop

    response = create_code(api, owner, merchant, kind="static", currency="USD")

    assert response.status_code == 201, response.json
    code = response.json
    assert CODE_FIELDS <= set(code)
    assert (code["kind"], code["amount"], code["currency"], code["expires_at"], code["status"]) == \
        ("static", None, "USD", None, "active")
    fields = emv.decode(code["payload"]).fields
    assert fields["01"] == "11" and "54" not in fields
    assert fields["26"]["01"] == merchant["id"] and fields["26"]["02"] == code["id"]


def test_a_dynamic_code_carries_its_amount_and_reference_and_expires_in_300_seconds_by_default(api, shop):
    owner, merchant = shop

    response = create_code(api, owner, merchant, kind="dynamic", currency="USD", amount=1250, reference="ORDER-7")

    assert response.status_code == 201, response.json
    code = response.json
    assert CODE_FIELDS <= set(code)
    assert (code["kind"], code["amount"], code["currency"], code["status"]) == ("dynamic", 1250, "USD", "active")
    fields = emv.decode(code["payload"]).fields
    assert (fields["01"], fields["54"], fields["53"]) == ("12", "12.50", "840")
    assert fields["62"]["05"] == "ORDER-7"
    assert (fields["59"], fields["64"]["01"]) == ("Cafe Zurich", "Café Zürich")
    lifetime = datetime.fromisoformat(code["expires_at"]) - datetime.fromisoformat(code["created_at"])
    assert lifetime == timedelta(seconds=300)


@pytest.mark.parametrize("expires_in", [5, 86400])
def test_a_dynamic_code_may_live_from_5_seconds_to_a_day(api, shop, expires_in):
    owner, merchant = shop

    code = make_code(api, owner, merchant, expires_in=expires_in)

    lifetime = datetime.fromisoformat(code["expires_at"]) - datetime.fromisoformat(code["created_at"])
    assert lifetime == timedelta(seconds=expires_in)


@pytest.mark.parametrize("expires_in", [4, 86401, 0, -1])
def test_a_lifetime_outside_5_seconds_to_a_day_is_422(api, shop, expires_in):
    owner, merchant = shop

    response = create_code(api, owner, merchant, kind="dynamic", currency="USD", amount=1250, expires_in=expires_in)

    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"
    assert response.json["error"]["details"]["fields"][0]["field"] == "expires_in"


@pytest.mark.parametrize("body, field", [
    ({"kind": "static", "currency": "USD", "amount": 1250}, "amount"),
    ({"kind": "dynamic", "currency": "USD"}, "amount"),
    ({"kind": "dynamic", "currency": "USD", "amount": 0}, "amount"),
    ({"kind": "dynamic", "currency": "USD", "amount": 12.5}, "amount"),
    ({"kind": "dynamic", "currency": "XYZ", "amount": 1250}, "currency"),
    ({"kind": "once", "currency": "USD", "amount": 1250}, "kind"),
    ({"kind": "dynamic", "currency": "USD", "amount": 1250, "reference": "Ünïcode"}, "reference"),
    ({"kind": "dynamic", "currency": "USD", "amount": 1250, "reference": "R" * 26}, "reference"),
])
def test_a_bad_code_request_is_422_naming_the_field(api, shop, body, field):
    owner, merchant = shop

    response = create_code(api, owner, merchant, **body)

    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_error"
    assert field in {f["field"] for f in response.json["error"]["details"]["fields"]}


def test_a_static_code_with_an_expiry_is_422(api, shop):
    owner, merchant = shop

    response = create_code(api, owner, merchant, kind="static", currency="USD", expires_in=60)

    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"


def test_a_code_in_a_currency_the_merchant_has_no_account_for_is_422(api, shop):
    owner, merchant = shop  # a USD merchant

    response = create_code(api, owner, merchant, kind="dynamic", currency="EUR", amount=1250)

    assert response.status_code == 422
    assert response.json["error"]["code"] == "currency_not_supported"


def test_someone_who_does_not_work_for_the_merchant_gets_404(api, shop):
    owner, merchant = shop
    stranger = api.person(name="Stranger")

    response = create_code(api, stranger, merchant, kind="dynamic", currency="USD", amount=1250)

    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_an_admin_who_does_not_work_for_the_merchant_gets_404_too(app, api, shop):
    owner, merchant = shop

    response = create_code(api, make_admin(app, api), merchant, kind="static", currency="USD")

    assert response.status_code == 404


def test_issuing_a_code_needs_a_token(api, shop):
    owner, merchant = shop

    response = api.post(f"/api/v1/merchants/{merchant['id']}/qr-codes", None,
                        json={"kind": "static", "currency": "USD"})

    assert response.status_code == 401


# --- reading a code's status ------------------------------------------------------------------

def test_a_dynamic_code_goes_from_active_to_paid(api, shop):
    # given a dynamic code and a payer with money
    owner, merchant = shop
    payer = api.person(name="Payer", balance=5000)
    code = make_code(api, owner, merchant)
    url = f"/api/v1/merchants/{merchant['id']}/qr-codes/{code['id']}"
    before = api.get(url, owner)

    # when it is paid
    paid = pay(api, payer, code["payload"])

    # then it reads as paid, naming the payment
    after = api.get(url, owner)
    assert before.status_code == 200 and before.json["status"] == "active"
    assert before.json["paid_transaction_id"] is None
    assert paid.status_code == 201, paid.json
    assert after.json["status"] == "paid"
    assert after.json["paid_transaction_id"] == paid.json["id"]


def test_a_dynamic_code_reads_as_expired_once_its_time_is_up(api, shop):
    owner, merchant = shop
    code = make_code(api, owner, merchant, expires_in=60)
    url = f"/api/v1/merchants/{merchant['id']}/qr-codes/{code['id']}"

    clock.advance(59)
    still = api.get(url, owner).json["status"]
    clock.advance(1)
    now = api.get(url, owner).json["status"]

    assert (still, now) == ("active", "expired")


def test_a_static_code_never_expires(api, shop):
    owner, merchant = shop
    code = make_code(api, owner, merchant, kind="static")

    clock.advance(800)

    assert api.get(f"/api/v1/merchants/{merchant['id']}/qr-codes/{code['id']}", owner).json["status"] == "active"


def test_a_code_is_404_to_strangers_and_under_another_merchant(app, api, shop):
    owner, merchant = shop
    code = make_code(api, owner, merchant)
    stranger = api.person(name="Stranger")
    other = make_merchant(app, api, owner=owner, name="Other Shop")

    as_stranger = api.get(f"/api/v1/merchants/{merchant['id']}/qr-codes/{code['id']}", stranger)
    wrong_merchant = api.get(f"/api/v1/merchants/{other['id']}/qr-codes/{code['id']}", owner)
    unknown = api.get(f"/api/v1/merchants/{merchant['id']}/qr-codes/qr_unknown", owner)

    assert as_stranger.status_code == 404
    assert wrong_merchant.status_code == 404
    assert unknown.status_code == 404


# --- decoding a scanned code --------------------------------------------------------------------

def test_our_dynamic_code_decodes_as_ours_and_payable(api, shop):
    owner, merchant = shop
    payer = api.person(name="Payer")
    code = make_code(api, owner, merchant, reference="ORDER-9")

    response = decode(api, payer, code["payload"])

    assert response.status_code == 200, response.json
    body = response.json
    assert (body["scheme"], body["kind"], body["payable"], body["reason"]) == ("ours", "dynamic", True, None)
    assert body["merchant"] == {"name": "Café Zürich", "city": "Zürich", "country": "CH", "mcc": "5814"}
    assert (body["amount"], body["currency"], body["reference"]) == (1250, "USD", "ORDER-9")


def test_our_static_code_decodes_without_an_amount(api, shop):
    owner, merchant = shop
    code = make_code(api, owner, merchant, kind="static")

    body = decode(api, owner, code["payload"]).json

    assert (body["scheme"], body["kind"], body["amount"], body["payable"]) == ("ours", "static", None, True)


@pytest.mark.parametrize("currency, amount, text", [("JPY", 500, "500"), ("KWD", 1250, "1.250")])
def test_amounts_in_zero_and_three_decimal_currencies_decode_to_minor_units(app, api, currency, amount, text):
    owner = api.person(name="Owner")
    merchant = make_merchant(app, api, owner=owner, currency=currency, country="JP" if currency == "JPY" else "KW")
    code = make_code(api, owner, merchant, amount=amount)

    body = decode(api, owner, code["payload"]).json

    assert emv.decode(code["payload"]).amount == text
    assert (body["amount"], body["currency"], body["payable"]) == (amount, currency, True)


def test_a_paid_code_decodes_as_not_payable(api, shop):
    owner, merchant = shop
    payer = api.person(name="Payer", balance=5000)
    code = make_code(api, owner, merchant)
    assert pay(api, payer, code["payload"]).status_code == 201

    body = decode(api, payer, code["payload"]).json

    assert body["payable"] is False and "paid" in body["reason"]


def test_an_expired_code_decodes_as_not_payable(api, shop):
    owner, merchant = shop
    code = make_code(api, owner, merchant)

    clock.advance(301)
    body = decode(api, owner, code["payload"]).json

    assert body["payable"] is False and "expired" in body["reason"]


def test_an_altered_copy_of_our_code_decodes_as_not_payable(api, shop):
    owner, merchant = shop
    code = make_code(api, owner, merchant)
    tree = emv.decode(code["payload"]).to_tree()
    tree["54"] = "0.01"

    body = decode(api, owner, emv.encode(tree)).json

    assert body["scheme"] == "ours" and body["amount"] == 1
    assert body["payable"] is False and "altered" in body["reason"]


def _scheme_for(name: str) -> str:
    if name.startswith(("Pix", "BR Code")):
        return "pix"
    if name.startswith("PromptPay"):
        return "promptpay"
    if name.startswith(("PayNow", "SGQR")):  # the SGQR sample leads with its PayNow template
        return "paynow"
    raise AssertionError(f"no expected scheme for vector {name!r}")


@pytest.mark.parametrize("vector", vectors("OK"))
def test_a_public_foreign_code_decodes_with_its_scheme_and_is_not_payable(api, vector):
    person = api.person(name="Scanner")

    response = decode(api, person, vector["payload"])

    assert response.status_code == 200, response.json
    body = response.json
    assert body["scheme"] == _scheme_for(vector["name"])
    assert body["payable"] is False
    assert body["reason"]
    assert body["fields"] == emv.decode(vector["payload"]).to_tree()


@pytest.mark.parametrize("payload, amount, currency", [
    ("00020101021229370016A000000677010111011300660000000005802TH530376454044.226304E469", 422, "THB"),
    ("00020101021226520009SG.PAYNOW010120213S99345678ABCD03011040899991231520400005303702540512.345802SG5912"
     "ACME Pte Ltd6009Singapore62110107INV123463041E74", 1234, "SGD"),
])
def test_a_foreign_amount_decodes_to_minor_units(api, payload, amount, currency):
    body = decode(api, api.person(name="Scanner"), payload).json

    assert (body["amount"], body["currency"], body["kind"]) == (amount, currency, "dynamic")


# A DuitNow code as Malaysian banks print it (the field report): a plain hex value in tag 82,
# one of the unreserved templates 80-99, which used to make the whole code 422 qr_invalid.
DUITNOW_WITH_PLAIN_82 = with_crc(
    "000201010211" + tlv("26", tlv("00", "A0000006150001") + tlv("01", "501664") + tlv("02", "123456789"))
    + "5204999953034585802MY5909QRCSDNBHD6005BANGI" + tlv("82", "3C5E8F2A9B1D4E6F7A8B"))


def test_a_duitnow_code_with_a_plain_value_in_template_82_decodes_and_names_it_opaque(api):
    response = decode(api, api.person(name="Scanner"), DUITNOW_WITH_PLAIN_82)

    assert response.status_code == 200, response.json
    body = response.json
    assert body["scheme"] == "duitnow" and body["payable"] is False
    assert body["fields"]["82"] == "3C5E8F2A9B1D4E6F7A8B"
    assert body["fields"]["26"] == {"00": "A0000006150001", "01": "501664", "02": "123456789"}
    assert body["opaque_fields"] == ["82"]
    assert body["merchant"]["name"] == "QRCSDNBHD"


def test_a_code_without_opaque_fields_lists_none(api, shop):
    owner, merchant = shop

    body = decode(api, owner, make_code(api, owner, merchant)["payload"]).json

    assert body["opaque_fields"] == []


def test_the_decode_schema_says_a_field_is_sub_fields_or_an_opaque_string(client):
    schemas = client.get("/openapi.json").json["components"]["schemas"]

    fields = schemas["DecodeOut"]["properties"]["fields"]["additionalProperties"]
    assert {"type": "string"} in fields["anyOf"]
    assert {"type": "object", "additionalProperties": {"type": "string"}} in fields["anyOf"]
    assert schemas["DecodeOut"]["properties"]["opaque_fields"]["type"] == "array"


def test_our_code_with_a_plain_value_added_in_tag_82_decodes_as_altered(api, shop):
    owner, merchant = shop
    code = make_code(api, owner, merchant)

    body = decode(api, owner, with_crc(code["payload"][:-8] + tlv("82", "3C5E8F2A"))).json

    assert body["scheme"] == "ours" and body["opaque_fields"] == ["82"]
    assert body["payable"] is False and "altered" in body["reason"]


@pytest.mark.parametrize("vector", vectors("FAIL"))
def test_a_broken_public_code_is_422_qr_invalid_naming_the_problem(api, vector):
    response = decode(api, api.person(name="Scanner"), vector["payload"])

    assert response.status_code == 422
    assert response.json["error"]["code"] == "qr_invalid"
    assert response.json["error"]["details"] == {"tag": "63", "reason": "crc_mismatch"}


@pytest.mark.parametrize("cut", [4, 10, 60])
def test_a_truncated_payload_is_422_qr_invalid(api, shop, cut):
    owner, merchant = shop
    code = make_code(api, owner, merchant, reference="ORDER-1")

    response = decode(api, owner, code["payload"][:-cut])

    assert response.status_code == 422
    assert response.json["error"]["code"] == "qr_invalid"
    assert response.json["error"]["details"]["reason"]


@pytest.mark.parametrize("payload", ["hello", "https://example.com/pay?id=1", "0002"])
def test_text_that_is_not_emv_is_422_qr_invalid(api, payload):
    response = decode(api, api.person(name="Scanner"), payload)

    assert response.status_code == 422
    assert response.json["error"]["code"] == "qr_invalid"


def test_decoding_needs_a_token(api, shop):
    owner, merchant = shop
    code = make_code(api, owner, merchant)

    assert api.post("/api/v1/qr/decode", None, json={"payload": code["payload"]}).status_code == 401


def test_a_payload_with_control_characters_is_422_not_a_server_error(api, shop):
    # given our code with a NUL smuggled into the code id and a valid CRC recomputed over it
    owner, merchant = shop
    tree = emv.decode(make_code(api, owner, merchant)["payload"]).to_tree()
    tree["26"]["02"] = "qr_\x00x"

    response = decode(api, owner, emv.encode(tree))

    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"


@pytest.mark.parametrize("path", ["/api/v1/merchants/{m}/qr-codes/qr_%00x", "/api/v1/qr-codes/qr_%00x.png",
                                  "/api/v1/qr-codes/qr_%00x.svg"])
def test_an_id_with_a_nul_is_refused_not_a_server_error(api, shop, path):
    owner, merchant = shop

    response = api.get(path.format(m=merchant["id"]), owner)

    assert response.status_code in (404, 422)
