"""Case 3: the token's counter is the purse's sequence number (1, 2, 3, ...), so the server finds
by number what is missing (gaps: tokens a terminal still holds, or lost) and what was spent twice
(a number reused with other content, even within the allowance); the reference terminal refuses a
number at or below the highest it has taken from that purse."""
from __future__ import annotations

from terminal.purse import PurseQueue
from tests.support.purse import Phone, purses_path, upload
from tests.support.terminals import make_terminal


def _purse(api, payer, phone) -> dict:
    return api.get(f"{purses_path(payer)}/{phone.certificate['purse_id']}", payer).json


def test_numbers_not_uploaded_show_as_gaps_until_they_arrive(app, api):
    payer = api.person(name="Customer", balance=10_000)
    phone = Phone(payer)
    assert phone.take_purse(api, 3_000).status_code == 201
    till_a, till_b = make_terminal(api), make_terminal(api)
    tokens = {n: phone.token((till_a if n % 2 else till_b).terminal_id, 100, counter=n) for n in range(1, 7)}

    answers = upload(till_a, *(phone.record(tokens[n]) for n in (5, 1)))  # till B holds 2, 4 and 6 (3 is lost)

    assert [a["purse_gaps"] for a in answers] == [[[1, 4]], [[2, 4]]]  # as it stood after each capture
    assert _purse(api, payer, phone)["gaps"] == [[2, 4]]
    upload(till_b, *(phone.record(tokens[n]) for n in (2, 4, 6)))
    assert _purse(api, payer, phone)["gaps"] == [[3, 3]]  # the lost one stays visible
    [late] = upload(till_a, phone.record(tokens[3]))
    assert late["status"] == "posted" and late["purse_gaps"] == []
    assert _purse(api, payer, phone)["gaps"] == []


def test_a_number_spent_twice_is_a_double_spend_even_within_the_allowance(app, api):
    payer = api.person(name="Customer", balance=10_000)
    phone = Phone(payer)
    assert phone.take_purse(api, 3_000).status_code == 201
    till_a, till_b = make_terminal(api), make_terminal(api)

    upload(till_a, phone.record(phone.token(till_a.terminal_id, 300, counter=1)))
    [second] = upload(till_b, phone.record(phone.token(till_b.terminal_id, 300, counter=1)))  # a reset phone

    assert second["status"] == "posted" and second["overspend"] is True  # 600 of 3,000: the total says nothing
    purse = _purse(api, payer, phone)
    assert (purse["status"], purse["frozen_reason"]) == ("frozen", "counter_reused")
    assert api.verify_ledger() == []


def test_the_terminal_refuses_a_number_at_or_below_the_highest_it_took(app, api, tmp_path):
    payer = api.person(name="Customer", balance=10_000)
    phone = Phone(payer)
    assert phone.take_purse(api, 3_000).status_code == 201
    queue = PurseQueue(tmp_path / "purse.jsonl")
    queue.accept(phone.certificate, phone.token("ter_x", 100, counter=5))

    assert queue.refusal(phone.certificate, phone.token("ter_x", 100, counter=5)) == "counter_seen"
    assert queue.refusal(phone.certificate, phone.token("ter_x", 100, counter=3)) == "counter_seen"  # reset
    assert queue.refusal(phone.certificate, phone.token("ter_x", 100, counter=6)) is None
