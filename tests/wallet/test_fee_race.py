"""Fees under load, on PostgreSQL: many clients pay three merchants with different rates, send
money to each other with a P2P fee, and refund orders whose fee comes back, all at once. The fee
revenue account then holds exactly what the configuration says the acknowledged payments owed,
every payment carries its fee, and the ledger verifies (no deadlock between the payments' fee
lines, which lock merchant then revenue, and the fee returns, which lock revenue after the merchant)."""
from __future__ import annotations

import random
import threading
import uuid

from sqlalchemy import select

from app.extensions import db
from app.wallet.fee_rules import fee_amount, fee_returned_total
from app.wallet.models import Transaction
from tests.support.fees import revenue, set_fee_settings, set_merchant_fee
from tests.support.merchant_server import MerchantServer, make_server
from tests.support.qr import make_code, make_merchant

THREADS = 12
STEPS = 12
RATES = [(150, 10, None), (0, 25, None), (300, 0, True)]  # rate_bps, min_fee, refund_returns_fee
P2P = (100, 1)


def test_fees_from_many_clients_at_once_sum_to_what_the_configuration_says(app, api):
    # given three merchants with their rates (the third's orders refunded with the fee back) and a P2P fee
    payers = [api.person(name=f"P{i}", balance=50_000) for i in range(6)]
    owners, codes = [], []
    for i, (rate, minimum, returns) in enumerate(RATES[:2]):
        owner = api.person(name=f"Owner {i}")
        merchant = make_merchant(app, api, owner=owner, name=f"Shop {i}")
        set_merchant_fee(app, merchant["id"], rate, minimum, refund_returns_fee=returns)
        owners.append(owner)
        codes.append((merchant["id"], make_code(api, owner, merchant, kind="static")["payload"]))
    _, shop, server = make_server(app, api, name="Order Shop")
    set_merchant_fee(app, shop["id"], *RATES[2][:2], refund_returns_fee=RATES[2][2])
    set_fee_settings(app, p2p_rate_bps=P2P[0], p2p_min=P2P[1])

    paid: list[tuple[int, str, int]] = []  # (merchant index or -1 for P2P, transaction id, amount)
    refunds: list[tuple[str, int]] = []  # (refund id, amount), all of the order shop
    unexpected: list = []
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def client_loop(seed: int) -> None:
        rng = random.Random(seed)
        client = app.test_client()
        own_server = MerchantServer(app.test_client(), server.key, server.merchant_id)
        barrier.wait(timeout=60)
        for _ in range(STEPS):
            payer = rng.choice(payers)
            headers = {**payer.auth, "Idempotency-Key": str(uuid.uuid4())}
            amount = rng.randint(1, 2000)
            what = rng.random()
            if what < 0.5:
                index = rng.randrange(2)
                response = client.post("/api/v1/qr/payments", headers=headers, json={
                    "payload": codes[index][1], "wallet_id": payer.wallet_id, "amount": amount})
                done = [(index, response)]
            elif what < 0.75:
                other = rng.choice([p for p in payers if p is not payer])
                response = client.post("/api/v1/transfers", headers=headers, json={
                    "to": other.wallet_id, "amount": amount, "currency": "USD"})
                done = [(-1, response)]
            else:
                order = own_server.post("/orders", {"amount": amount, "currency": "USD",
                                                    "reference": f"R-{uuid.uuid4().hex[:10]}"})
                response = client.post("/api/v1/qr/payments", headers=headers, json={
                    "payload": order.json["payload"], "wallet_id": payer.wallet_id})
                done = [(2, response)]
                if response.status_code == 201:
                    back = own_server.post(f"/orders/{order.json['id']}/refunds", {"amount": amount // 2 or 1},
                                           key=str(uuid.uuid4()))
                    with lock:
                        if back.status_code == 201:
                            refunds.append((back.json["id"], back.json["amount"]))
                        else:
                            unexpected.append((back.status_code, back.json))
            with lock:
                for index, answer in done:
                    if answer.status_code == 201:
                        paid.append((index, answer.json["id"], amount))
                    else:
                        unexpected.append((answer.status_code, answer.json))

    # when twelve clients do it all at once
    threads = [threading.Thread(target=client_loop, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    # then nothing failed (no deadlock, no 500), and the revenue is exactly the configured fees
    assert unexpected == []
    assert len(paid) == THREADS * STEPS
    expected = {}
    for index, txn_id, amount in paid:
        rate, minimum = P2P if index == -1 else RATES[index][:2]
        expected[txn_id] = fee_amount(amount, rate, minimum)
    with app.app_context():
        recorded = dict(db.session.execute(select(Transaction.id, Transaction.fee)
                                           .where(Transaction.id.in_(list(expected)))).all())
        refund_rows = db.session.execute(select(Transaction).where(
            Transaction.id.in_([r for r, _ in refunds]))).scalars().all()
        payments = {t.id: t for t in db.session.execute(select(Transaction).where(
            Transaction.id.in_([t.related_id for t in refund_rows]))).scalars()}
        returned = {t.id: t.fee for t in refund_rows}
        owed_back = {t.id: fee_returned_total(payments[t.related_id].fee, payments[t.related_id].amount, t.amount)
                     for t in refund_rows}
    assert recorded == expected
    assert returned == owed_back  # one refund per order: its share of the fee
    assert revenue(app) == sum(expected.values()) - sum(returned.values())
    assert api.verify_ledger() == []
