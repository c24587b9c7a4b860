"""Statements per capture, void and expiry: each is one call to a database function
(app/pos/sql/terminal_holds.sql), besides the signed request's own authentication. Counted with
a SQLAlchemy listener, a figure that does not vary between runs as time does. Before these
functions (the ORM path) a vending capture sent 11 statements after authentication, a void 10,
and the sweeper 9 per hold, each in a BEGIN ... COMMIT of its own."""
from __future__ import annotations

import contextlib
import re

from sqlalchemy import event

from app.core import clock
from app.extensions import db
from tests.support.payment_codes import customer
from tests.support.qr import pay
from tests.support.terminals import make_terminal
import pytest as _pytest
from tests.support.env import NEEDS_REDIS_FOR_COUNTS, TEST_REDIS_URL

pytestmark = _pytest.mark.skipif(not TEST_REDIS_URL, reason=NEEDS_REDIS_FOR_COUNTS)

AUTHORIZATIONS = "/api/v1/pos/authorizations"


@contextlib.contextmanager
def counted(app):
    sent: list[str] = []

    def listen(_conn, _cursor, statement, *_):
        sent.append(statement)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def after_authentication(statements: list[str]) -> list[str]:
    """The use case's own statements: a signed request first reads its terminal (app.pos.auth)."""
    return [s for s in statements if not s.lstrip().startswith("SELECT terminals.")]


def called(statement: str) -> str:
    """The first function a statement calls (the payment call is wrapped to carry the request id:
    app.core.request_ids)."""
    return re.findall(r"(\w+)\(", statement)[0]


def test_capture_void_and_expiry_are_one_statement_each(app, api):
    # given three vending holds and a paid manual-capture payment request
    owner = api.person(name="Shop Owner")
    machine = make_terminal(api, owner=owner, kind="vending")
    till = make_terminal(api, owner=owner, merchant={"id": machine.merchant_id}, label="Till 2")
    buyer = customer(api, balance=10_000)
    first, second, third = (machine.post(AUTHORIZATIONS, {"payment_code": buyer.code(), "amount": 500}).json
                            for _ in range(3))
    request = till.post("/api/v1/pos/payment-requests", {"amount": 400, "currency": "USD", "reference": "T-1",
                                                         "capture": "manual"}).json
    assert pay(api, buyer.person, request["payload"]).status_code == 201

    # when each is captured, voided or expired, counting what is sent to PostgreSQL
    with counted(app) as capture:
        assert machine.post(f"{AUTHORIZATIONS}/{first['id']}/capture", {"amount": 300}).status_code == 200
    with counted(app) as void:
        assert machine.post(f"{AUTHORIZATIONS}/{second['id']}/void").status_code == 200
    with counted(app) as request_capture:
        assert till.post(f"/api/v1/pos/payment-requests/{request['id']}/capture", {}).status_code == 200
    clock.advance(app.config["HOLD_EXPIRES_IN"] + 1)
    with counted(app) as expiry:
        result = app.test_cli_runner().invoke(args=["ledger", "expire-holds"])
        assert "expired 1 hold(s)" in result.output, result.output

    # then each is one call to its function (the sweeper reads which holds are due first)
    assert [called(s) for s in after_authentication(capture)] == ["authorization_settle"]
    assert [called(s) for s in after_authentication(void)] == ["authorization_settle"]
    assert [called(s) for s in after_authentication(request_capture)] == ["request_hold_settle"]
    assert len(expiry) == 2 and expiry[1].startswith("SELECT hold_expire(")
