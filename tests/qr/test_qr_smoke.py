"""One end-to-end walk: an admin makes a merchant, its owner issues a code, a customer scans,
previews and pays it, the code is spent, the picture is served and the books balance."""
from tests.support.qr import decode, make_code, make_merchant, pay


def test_a_customer_pays_a_dynamic_code_once(app, api):
    owner = api.person(name="Owner")
    payer = api.person(name="Payer", balance=5000)
    merchant = make_merchant(app, api, owner=owner)
    code = make_code(api, owner, merchant, amount=1250, reference="ORDER-1")
    decoded = decode(api, payer, code["payload"])
    assert decoded.json["payable"] is True and decoded.json["amount"] == 1250
    assert decoded.json["merchant"]["name"] == "Café Zürich"

    paid = pay(api, payer, code["payload"], key="k1")
    again = pay(api, payer, code["payload"], key="k2")

    assert paid.status_code == 201, paid.json
    assert again.status_code == 409 and again.json["error"]["code"] == "qr_already_paid"
    assert api.wallet(payer)["balance"] == 3750
    png = api.client.get(f"/api/v1/qr-codes/{code['id']}.png")
    assert png.status_code == 200 and png.data[:4] == b"\x89PNG"
    assert api.verify_ledger() == []
