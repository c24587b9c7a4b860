"""Paying a merchant's code from the app: once for a dynamic code, any number of times for a
static one, never an altered or foreign code, and the books always balance."""
import pytest

from app.core import clock
from app.qr import emv
from tests.support.qr import (PIN, decode, make_code, make_merchant, merchant_balance, pay, payment_count, tlv,
                               vectors, with_crc)

PAYMENT_FIELDS = {"id", "status", "amount", "currency", "merchant", "reference", "created_at"}


@pytest.fixture
def shop(app, api):
    """(owner, merchant): a USD merchant called Café Zürich."""
    owner = api.person(name="Owner")
    return owner, make_merchant(app, api, owner=owner)


def set_pin(api, person, pin=PIN):
    assert api.client.put("/api/v1/me/pin", json={"pin": pin}, headers=person.auth).status_code == 204


def code_status(api, owner, merchant, code) -> str:
    return api.get(f"/api/v1/merchants/{merchant['id']}/qr-codes/{code['id']}", owner).json["status"]


# --- dynamic codes -----------------------------------------------------------------------------

def test_a_dynamic_code_is_paid_once_and_the_money_moves_to_the_merchant(app, api, shop):
    # given a dynamic code for 12.50 and a payer with 50.00
    owner, merchant = shop
    payer = api.person(name="Payer", balance=5000)
    code = make_code(api, owner, merchant, reference="ORDER-1")

    # when the payer pays it
    response = pay(api, payer, code["payload"])

    # then 201 with the payment, the payer has 37.50, the merchant 12.50
    assert response.status_code == 201, response.json
    body = response.json
    assert PAYMENT_FIELDS <= set(body)
    assert (body["status"], body["amount"], body["currency"], body["reference"]) == \
        ("succeeded", 1250, "USD", "ORDER-1")
    assert body["merchant"] == {"id": merchant["id"], "name": "Café Zürich", "city": "Zürich"}
    assert body["id"].startswith("txn_")
    assert api.wallet(payer)["balance"] == 3750
    assert merchant_balance(app, merchant["id"]) == 1250
    assert api.verify_ledger() == []


def test_paying_a_dynamic_code_a_second_time_is_409_and_moves_nothing(app, api, shop):
    owner, merchant = shop
    payer = api.person(name="Payer", balance=5000)
    other = api.person(name="Other", balance=5000)
    code = make_code(api, owner, merchant)
    assert pay(api, payer, code["payload"]).status_code == 201

    again = pay(api, payer, code["payload"])
    by_other = pay(api, other, code["payload"])

    assert again.status_code == 409 and again.json["error"]["code"] == "qr_already_paid"
    assert by_other.status_code == 409 and by_other.json["error"]["code"] == "qr_already_paid"
    assert api.wallet(payer)["balance"] == 3750 and api.wallet(other)["balance"] == 5000
    assert merchant_balance(app, merchant["id"]) == 1250
    assert payment_count(app) == 1
    assert api.verify_ledger() == []


def test_an_expired_code_is_410_and_moves_nothing(app, api, shop):
    owner, merchant = shop
    payer = api.person(name="Payer", balance=5000)
    code = make_code(api, owner, merchant, expires_in=60)

    clock.advance(60)
    response = pay(api, payer, code["payload"])

    assert response.status_code == 410
    assert response.json["error"]["code"] == "qr_expired"
    assert api.wallet(payer)["balance"] == 5000
    assert merchant_balance(app, merchant["id"]) == 0
    assert api.verify_ledger() == []


def test_a_code_can_be_paid_just_before_it_expires(app, api, shop):
    owner, merchant = shop
    payer = api.person(name="Payer", balance=5000)
    code = make_code(api, owner, merchant, expires_in=60)

    clock.advance(59)

    assert pay(api, payer, code["payload"]).status_code == 201


def test_sending_an_amount_for_a_dynamic_code_is_422(app, api, shop):
    owner, merchant = shop
    payer = api.person(name="Payer", balance=5000)
    code = make_code(api, owner, merchant)

    response = pay(api, payer, code["payload"], amount=1)

    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"
    assert response.json["error"]["details"]["fields"][0]["field"] == "amount"
    assert api.wallet(payer)["balance"] == 5000
    assert code_status(api, owner, merchant, code) == "active"


def test_without_enough_money_it_is_402_nothing_moves_and_the_code_stays_payable(app, api, shop):
    # given a payer with 5.00 and a code for 12.50
    owner, merchant = shop
    payer = api.person(name="Payer", balance=500)
    code = make_code(api, owner, merchant)

    # when they try to pay
    response = pay(api, payer, code["payload"])

    # then 402, no money moved, and the code can still be paid (by them, after a top-up)
    assert response.status_code == 402
    assert response.json["error"]["code"] == "insufficient_funds"
    assert api.wallet(payer)["balance"] == 500
    assert merchant_balance(app, merchant["id"]) == 0
    assert code_status(api, owner, merchant, code) == "active"
    assert decode(api, payer, code["payload"]).json["payable"] is True
    api.topup(payer, 1000)
    assert pay(api, payer, code["payload"]).status_code == 201
    assert api.wallet(payer)["balance"] == 250
    assert api.verify_ledger() == []


# --- static codes ------------------------------------------------------------------------------

def test_a_static_code_needs_the_amount_the_payer_typed(app, api, shop):
    owner, merchant = shop
    payer = api.person(name="Payer", balance=5000)
    code = make_code(api, owner, merchant, kind="static")

    response = pay(api, payer, code["payload"])

    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"
    assert api.wallet(payer)["balance"] == 5000


def test_a_static_code_is_paid_with_the_typed_amount_again_and_again_by_anyone(app, api, shop):
    # given a static code and two payers
    owner, merchant = shop
    first = api.person(name="First", balance=5000)
    second = api.person(name="Second", balance=5000)
    code = make_code(api, owner, merchant, kind="static")

    # when both pay it, the first twice
    a = pay(api, first, code["payload"], amount=700)
    b = pay(api, second, code["payload"], amount=300)
    c = pay(api, first, code["payload"], amount=50)

    # then every payment goes through for what was typed, and the code stays active
    assert [r.status_code for r in (a, b, c)] == [201, 201, 201]
    assert [r.json["amount"] for r in (a, b, c)] == [700, 300, 50]
    assert api.wallet(first)["balance"] == 4250 and api.wallet(second)["balance"] == 4700
    assert merchant_balance(app, merchant["id"]) == 1050
    assert code_status(api, owner, merchant, code) == "active"
    assert api.verify_ledger() == []


# --- codes we cannot pay ------------------------------------------------------------------------

def _altered(payload: str, tag: str, value: str) -> str:
    """The payload with one field changed and a fresh, valid CRC: a well-formed EMV string."""
    tree = emv.decode(payload).to_tree()
    if tag == "62.05":
        tree["62"]["05"] = value
    else:
        tree[tag] = value
    altered = emv.encode(tree)
    emv.decode(altered)  # still a valid EMV code
    return altered


@pytest.mark.parametrize("tag, value", [("54", "0.01"), ("54", "12.49"), ("62.05", "ORDER-2"), ("53", "978"),
                                        ("59", "Someone Else")])
def test_an_altered_copy_of_our_code_is_not_payable(app, api, shop, tag, value):
    owner, merchant = shop
    payer = api.person(name="Payer", balance=5000)
    code = make_code(api, owner, merchant, reference="ORDER-1")

    response = pay(api, payer, _altered(code["payload"], tag, value))

    assert response.status_code == 422
    assert response.json["error"]["code"] == "qr_not_payable"
    assert api.wallet(payer)["balance"] == 5000
    assert code_status(api, owner, merchant, code) == "active"


def _rebuilt(payload: str, tag: str, plain: str) -> str:
    """The payload with field `tag` set to a plain value (not sub-fields), written by hand with a
    fresh CRC: our encoder does not write a plain value that reads as sub-fields."""
    tree = emv.decode(payload).to_tree()
    tree.pop("63")
    tree[tag] = plain
    body = "".join(tlv(t, v if isinstance(v, str) else "".join(tlv(s, x) for s, x in v.items()))
                   for t, v in tree.items())
    return with_crc(body)


@pytest.mark.parametrize("tag, plain", [("26", "app.wallet.pay/qr_x"), ("82", "3C5E8F2A")])
def test_our_code_with_a_plain_value_in_a_template_tag_is_not_payable(app, api, shop, tag, plain):
    # given our code with its account template (26) replaced, or an extra tag 82 added, by a
    # plain value that the decoder now keeps as an opaque field
    owner, merchant = shop
    payer = api.person(name="Payer", balance=5000)
    code = make_code(api, owner, merchant, reference="ORDER-1")

    response = pay(api, payer, _rebuilt(code["payload"], tag, plain))

    assert response.status_code == 422
    assert response.json["error"]["code"] == "qr_not_payable"
    assert api.wallet(payer)["balance"] == 5000
    assert code_status(api, owner, merchant, code) == "active"


def test_a_code_naming_an_unknown_qr_id_is_not_payable(app, api, shop):
    owner, merchant = shop
    payer = api.person(name="Payer", balance=5000)
    code = make_code(api, owner, merchant)
    tree = emv.decode(code["payload"]).to_tree()
    tree["26"]["02"] = "qr_forged"

    response = pay(api, payer, emv.encode(tree))

    assert response.status_code == 422 and response.json["error"]["code"] == "qr_not_payable"


@pytest.mark.parametrize("vector", vectors("OK"))
def test_another_schemes_code_is_not_payable(api, vector):
    payer = api.person(name="Payer", balance=5000)

    response = pay(api, payer, vector["payload"], amount=100)

    assert response.status_code == 422
    assert response.json["error"]["code"] == "qr_not_payable"
    assert api.wallet(payer)["balance"] == 5000


def test_a_broken_code_is_422_qr_invalid(app, api, shop):
    owner, merchant = shop
    payer = api.person(name="Payer", balance=5000)
    code = make_code(api, owner, merchant)

    response = pay(api, payer, code["payload"][:-1] + ("0" if code["payload"][-1] != "0" else "1"))

    assert response.status_code == 422
    assert response.json["error"]["code"] == "qr_invalid"
    assert response.json["error"]["details"]["reason"] == "crc_mismatch"


def test_a_payload_with_control_characters_is_422_and_moves_nothing(app, api, shop):
    owner, merchant = shop
    payer = api.person(name="Payer", balance=5000)
    tree = emv.decode(make_code(api, owner, merchant)["payload"]).to_tree()
    tree["26"]["02"] = "qr_\x00x"  # PostgreSQL cannot even look such an id up: this was a 500

    response = pay(api, payer, emv.encode(tree))

    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"
    assert api.wallet(payer)["balance"] == 5000


# --- the payer's wallet --------------------------------------------------------------------------

def test_paying_from_a_wallet_in_another_currency_is_422(app, api, shop):
    owner, merchant = shop
    payer = api.person(name="Payer", balance=5000)
    euros = api.post("/api/v1/wallets", payer, json={"currency": "EUR"})
    assert euros.status_code == 201, euros.json
    api.topup(payer, 5000, wallet_id=euros.json["id"])
    code = make_code(api, owner, merchant)

    response = pay(api, payer, code["payload"], wallet_id=euros.json["id"])

    assert response.status_code == 422
    assert response.json["error"]["code"] == "currency_not_supported"
    assert api.wallet(payer, euros.json["id"])["balance"] == 5000
    assert code_status(api, owner, merchant, code) == "active"


def test_paying_from_someone_elses_wallet_is_404(app, api, shop):
    owner, merchant = shop
    payer = api.person(name="Payer", balance=5000)
    victim = api.person(name="Victim", balance=5000)
    code = make_code(api, owner, merchant)

    response = pay(api, payer, code["payload"], wallet_id=victim.wallet_id)

    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert api.wallet(victim)["balance"] == 5000 and api.wallet(payer)["balance"] == 5000
    assert code_status(api, owner, merchant, code) == "active"


def test_paying_needs_a_token(api, shop):
    owner, merchant = shop
    code = make_code(api, owner, merchant)

    response = api.post("/api/v1/qr/payments", None, json={"payload": code["payload"], "wallet_id": "wal_x"})

    assert response.status_code == 401


# --- PIN -----------------------------------------------------------------------------------------

def test_a_payment_above_the_no_pin_amount_needs_the_pin(app, api, shop):
    # given a code for 100.01 (NO_PIN_AMOUNT is 100.00) and a payer with a PIN
    owner, merchant = shop
    payer = api.person(name="Payer", balance=20_000)
    set_pin(api, payer)
    code = make_code(api, owner, merchant, amount=10_001)

    # when they pay without the PIN, with a wrong one, then with the right one
    without = pay(api, payer, code["payload"])
    wrong = pay(api, payer, code["payload"], pin="135792")
    right = pay(api, payer, code["payload"], pin=PIN)

    # then only the right PIN pays
    assert without.status_code == 403 and without.json["error"]["code"] == "pin_required"
    assert wrong.status_code == 403 and wrong.json["error"]["code"] == "pin_invalid"
    assert right.status_code == 201, right.json
    assert api.wallet(payer)["balance"] == 20_000 - 10_001


def test_a_payment_of_exactly_the_no_pin_amount_needs_no_pin(app, api, shop):
    owner, merchant = shop
    payer = api.person(name="Payer", balance=20_000)
    set_pin(api, payer)
    code = make_code(api, owner, merchant, amount=10_000)

    assert pay(api, payer, code["payload"]).status_code == 201


def test_a_static_code_with_a_typed_amount_above_the_no_pin_amount_needs_the_pin(app, api, shop):
    owner, merchant = shop
    payer = api.person(name="Payer", balance=20_000)
    set_pin(api, payer)
    code = make_code(api, owner, merchant, kind="static")

    response = pay(api, payer, code["payload"], amount=15_000)

    assert response.status_code == 403 and response.json["error"]["code"] == "pin_required"
    assert api.wallet(payer)["balance"] == 20_000


# --- idempotency ---------------------------------------------------------------------------------

def test_an_idempotency_key_replay_returns_the_same_answer_and_pays_once(app, api, shop):
    owner, merchant = shop
    payer = api.person(name="Payer", balance=5000)
    code = make_code(api, owner, merchant)

    first = pay(api, payer, code["payload"], key="pay-1")
    replay = pay(api, payer, code["payload"], key="pay-1")

    assert first.status_code == 201, first.json
    assert (replay.status_code, replay.json) == (first.status_code, first.json)
    assert api.wallet(payer)["balance"] == 3750
    assert merchant_balance(app, merchant["id"]) == 1250
    assert payment_count(app) == 1
    assert api.verify_ledger() == []


def test_an_idempotency_key_replay_of_a_static_payment_pays_once(app, api, shop):
    owner, merchant = shop
    payer = api.person(name="Payer", balance=5000)
    code = make_code(api, owner, merchant, kind="static")

    first = pay(api, payer, code["payload"], amount=400, key="pay-s")
    replay = pay(api, payer, code["payload"], amount=400, key="pay-s")
    other_body = pay(api, payer, code["payload"], amount=500, key="pay-s")

    assert (replay.status_code, replay.json) == (first.status_code, first.json)
    assert other_body.status_code == 409 and other_body.json["error"]["code"] == "idempotency_conflict"
    assert api.wallet(payer)["balance"] == 4600
    assert payment_count(app) == 1


# --- history -------------------------------------------------------------------------------------

def test_the_payment_shows_in_the_payers_history_and_as_a_transaction(app, api, shop):
    owner, merchant = shop
    payer = api.person(name="Payer", balance=5000)
    code = make_code(api, owner, merchant, reference="ORDER-5")
    paid = pay(api, payer, code["payload"]).json

    history = api.get(f"/api/v1/wallets/{payer.wallet_id}/transactions", payer)
    detail = api.get(f"/api/v1/transactions/{paid['id']}", payer)

    assert history.status_code == 200
    row = history.json["data"][0]
    assert row["id"] == paid["id"]
    assert (row["type"], row["amount"], row["currency"], row["balance_after"]) == ("payment", -1250, "USD", 3750)
    assert row["counterparty"] == {"type": "merchant", "name": "Café Zürich", "merchant_id": merchant["id"]}
    assert row["reference"] == "ORDER-5"
    assert detail.status_code == 200
    assert (detail.json["type"], detail.json["amount"], detail.json["counterparty"]["type"]) == \
        ("payment", -1250, "merchant")
    assert [(leg["kind"], leg["amount"], leg["debit_account_id"]) for leg in detail.json["legs"]] == \
        [("posted", 1250, payer.wallet_id)]


def test_another_user_cannot_read_the_payment(app, api, shop):
    owner, merchant = shop
    payer = api.person(name="Payer", balance=5000)
    code = make_code(api, owner, merchant)
    paid = pay(api, payer, code["payload"]).json

    assert api.get(f"/api/v1/transactions/{paid['id']}", api.person(name="Nosy")).status_code == 404


def test_the_books_balance_after_a_mix_of_payments_and_refusals(app, api, shop):
    owner, merchant = shop
    payers = [api.person(name=f"P{i}", balance=3000) for i in range(3)]
    static = make_code(api, owner, merchant, kind="static")
    for i, payer in enumerate(payers):
        dynamic = make_code(api, owner, merchant, amount=1000 + i)
        assert pay(api, payer, dynamic["payload"]).status_code == 201
        assert pay(api, payer, dynamic["payload"]).status_code == 409
        assert pay(api, payer, static["payload"], amount=5000).status_code == 402
        assert pay(api, payer, static["payload"], amount=100).status_code == 201

    assert merchant_balance(app, merchant["id"]) == 1000 + 1001 + 1002 + 300
    assert sum(api.wallet(p)["balance"] for p in payers) == 9000 - (1000 + 1001 + 1002 + 300)
    assert api.verify_ledger() == []
