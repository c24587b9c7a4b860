"""Section 4: a terminal back online uploads its offline sales; the server matches each with the
confirmation it gave and reports both kinds of mismatch; limits are enforced and checked again."""
from __future__ import annotations

from app.core import clock
from tests.support.offline import make_offline_till, pay, record

SALES = "/api/v1/pos/offline/sales"


def _sold(api, till, payer, amount: int, **kwargs):
    code = till.code(amount, **kwargs)
    paid = pay(api, payer, code.payload)
    assert paid.status_code == 201, paid.json
    return code, paid.json


def test_an_upload_posts_each_record_once_and_a_resent_batch_is_all_duplicates(app, api):
    till = make_offline_till(api)
    payer = api.person(name="Customer", balance=10_000)
    since = int(clock.now().timestamp()) - 60
    records = [record(*_sold(api, till, payer, amount), offline_since=since) for amount in (100, 200, 300)]

    first = till.terminal.post(SALES, {"records": list(reversed(records))})  # out of order is fine
    again = till.terminal.post(SALES, {"records": records})

    assert first.status_code == 200, first.json
    assert [r["status"] for r in first.json["results"]] == ["posted"] * 3
    assert first.json["unreported"] == [] and first.json["gaps"] == []
    assert [r["status"] for r in again.json["results"]] == ["duplicate"] * 3
    assert api.wallet(payer)["balance"] == 9_400  # uploads move no money: the payments did


def test_both_kinds_of_mismatch_are_reported_to_the_terminal_and_the_merchant(app, api):
    till = make_offline_till(api)
    payer = api.person(name="Customer", balance=10_000)
    since = int(clock.now().timestamp()) - 60
    kept = record(*_sold(api, till, payer, 100), offline_since=since)
    lost_code, lost = _sold(api, till, payer, 250)  # paid; the machine never reported it
    forged_code = till.code(999)  # never paid: a record of it is forged
    forged = {**kept, "seq": forged_code.seq, "nonce": forged_code.nonce, "amount": 999}
    altered = record(*_sold(api, till, payer, 400), offline_since=since, amount=40)

    answer = till.terminal.post(SALES, {"records": [kept, forged, altered]})

    results = answer.json["results"]
    assert [(r["status"], r["reason"]) for r in results] == [
        ("posted", None), ("refused", "not_issued"), ("refused", "mismatch")]
    assert [u["seq"] for u in answer.json["unreported"]] == [lost_code.seq, altered["seq"]]
    assert answer.json["gaps"] == [[lost_code.seq, lost_code.seq]]
    terminal_view = till.terminal.get("/api/v1/pos/offline/unreported").json
    merchant_view = api.get(f"/api/v1/merchants/{till.terminal.merchant_id}/offline/unreported", till.owner).json
    for view in (terminal_view, merchant_view):
        assert [(u["seq"], u["payment_id"]) for u in view["issued_not_reported"]] == [
            (lost_code.seq, lost["id"]), (altered["seq"], altered["payment_id"])]
        assert [(r["seq"], r["reason"]) for r in view["reported_not_issued"]] == [
            (forged_code.seq, "not_issued"), (altered["seq"], "mismatch")]
    # the same forged record again gets the same refusal; changed content is a conflict
    resent = till.terminal.post(SALES, {"records": [forged, {**kept, "amount": 101}]}).json["results"]
    assert [(r["status"], r["reason"]) for r in resent] == [("refused", "not_issued"), ("refused", "conflict")]


def test_a_malformed_record_is_refused_and_the_good_ones_still_post(app, api):
    till = make_offline_till(api)
    payer = api.person(name="Customer", balance=10_000)
    since = int(clock.now().timestamp()) - 60
    good = record(*_sold(api, till, payer, 100), offline_since=since)

    answer = till.terminal.post(SALES, {"records": [{"seq": 5, "amount": 1.5}, "not a record", good]})

    results = answer.json["results"]
    assert [(r["status"], r["reason"]) for r in results] == [
        ("refused", "malformed"), ("refused", "malformed"), ("posted", None)]
    assert results[0]["seq"] == 5 and results[0]["errors"]


def test_a_batch_above_the_size_limit_is_refused_whole(app, api):
    till = make_offline_till(api)
    app.config["OFFLINE_UPLOAD_MAX_RECORDS"], saved = 2, app.config["OFFLINE_UPLOAD_MAX_RECORDS"]
    try:
        answer = till.terminal.post(SALES, {"records": [{}, {}, {}]})
    finally:
        app.config["OFFLINE_UPLOAD_MAX_RECORDS"] = saved
    assert answer.status_code == 413 and answer.json["error"]["code"] == "payload_too_large"


def test_staff_limits_reach_the_terminal_and_breaches_are_reported_on_upload(app, api):
    till = make_offline_till(api)
    url = f"/api/v1/merchants/{till.terminal.merchant_id}/terminals/{till.terminal.terminal_id}/offline-limits"
    assert api.get(url, till.owner).json == {"terminal_id": till.terminal.terminal_id, "custom": False,
                                             **{k: app.config[f"OFFLINE_{k.upper()}"] for k in
                                                ("max_sale", "max_total", "max_count", "max_hours")}}
    limits = {"max_sale": 300, "max_total": 500, "max_count": 2, "max_hours": 1}
    bad = api.client.put(url, json={**limits, "max_sale": 600}, headers=till.owner.auth)
    assert bad.status_code == 422
    assert api.client.put(url, json=limits, headers=till.owner.auth).json == {
        "terminal_id": till.terminal.terminal_id, **limits, "custom": True}
    assert till.terminal.get("/api/v1/pos/config").json["offline"]["limits"] == {**limits, "custom": True}

    payer = api.person(name="Customer", balance=10_000)
    now = int(clock.now().timestamp())
    since = now - 2 * 3600  # offline for two hours: over max_hours
    records = [record(*_sold(api, till, payer, amount), offline_since=since) for amount in (250, 400, 100)]
    results = till.terminal.post(SALES, {"records": records}).json["results"]

    assert [r["status"] for r in results] == ["posted"] * 3  # the customers paid: the sales stand
    assert [r["breaches"] for r in results] == [
        ["max_hours"], ["max_sale", "max_total", "max_hours"], ["max_total", "max_count", "max_hours"]]


def test_a_batch_close_reports_offline_sales_not_uploaded_and_gaps_and_counts_the_offline_sales(app, api):
    till = make_offline_till(api)
    payer = api.person(name="Customer", balance=10_000)
    since = int(clock.now().timestamp()) - 60
    first = record(*_sold(api, till, payer, 100), offline_since=since)
    _sold(api, till, payer, 200)  # paid, never uploaded
    third = record(*_sold(api, till, payer, 300), offline_since=since)
    assert till.terminal.post(SALES, {"records": [first, third]}).status_code == 200

    closed = till.terminal.post("/api/v1/pos/batches/close", {})

    assert closed.status_code == 201, closed.json
    assert closed.json["offline"] == {"unreported": 1, "gaps": [[2, 2]]}
    assert closed.json["count"] == 3 and closed.json["totals"]["USD"]["sales"] == 600  # paid online: in the batch
