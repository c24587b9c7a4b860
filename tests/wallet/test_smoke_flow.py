def test_two_people_top_up_and_pay_each_other(api):
    alice = api.person(name="Alice", balance=5000)
    bob = api.person(name="Bob")

    response = api.transfer(alice, bob.phone, 1200, note="lunch")

    assert response.status_code == 201, response.json
    assert response.json["amount"] == -1200
    assert api.wallet(alice)["balance"] == 3800
    assert api.wallet(bob)["balance"] == 1200
    history = api.get(f"/api/v1/wallets/{bob.wallet_id}/transactions", bob).json
    assert [item["amount"] for item in history["data"]] == [1200]
    assert api.verify_ledger() == []
