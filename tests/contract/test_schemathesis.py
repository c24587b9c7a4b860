"""Schemathesis over every operation of the OpenAPI document (issue 16): generated requests,
valid and invalid, sent as each operation's own kind of caller (a signed-in user, a merchant's API
key, a terminal signing its requests as the README says), and each answer checked for a server
error, a status the document does not declare, a content type it does not declare, and a body that
does not match the declared schema.

Bounded for CI: SCHEMATHESIS_EXAMPLES examples per operation (default 20, derandomized, so a run
is repeatable); a longer run sets it higher. Half of the examples use the caller's real wallet,
merchant and terminal ids in the path, so the checks reach past the 404 of a random id.
"""
from __future__ import annotations

import json
import os
import zlib
from urllib.parse import urlencode

import pytest
import schemathesis
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from tests.support.merchant_server import create_key
from tests.support.payment_codes import set_pin
from tests.support.terminals import make_terminal

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "20"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
TERMINAL_SCHEME = "terminalSignature"


SHARDS = 6  # the operations are split over this many tests, so xdist spreads them over its workers


class Callers:
    """One of each kind of caller, with objects of their own for the paths to name."""

    def __init__(self, app, api):
        self.user = api.person(name="Probe User", balance=50_000)
        set_pin(api, self.user)
        self.terminal = make_terminal(api, owner=self.user)
        response = create_key(api, self.user, self.terminal.merchant_id)
        assert response.status_code == 201, response.json
        self.merchant_key = response.json["key"]
        self.ids = {"wallet_id": self.user.wallet_id, "merchant_id": self.terminal.merchant_id,
                    "terminal_id": self.terminal.terminal_id}

    def headers_for(self, security: list[dict], method: str, target: str, body: bytes) -> dict:
        schemes = set().union(*security) if security else set()
        if TERMINAL_SCHEME in schemes:
            return self.terminal.headers(method, target, body)
        if "merchantApiKey" in schemes:
            return {"Authorization": f"Bearer {self.merchant_key}"}
        if "bearer" in schemes:
            return dict(self.user.auth)
        return {}


@pytest.fixture
def callers(app, api):
    return Callers(app, api)


def _request_of(case, callers: Callers) -> tuple[str, str, bytes, dict]:
    """The case as bytes on the wire: the same bytes are signed (terminals) and sent."""
    if zlib.crc32(repr(case.body).encode() + repr(case.query).encode()) % 2:
        for name in case.path_parameters or {}:
            if name in callers.ids:
                case.path_parameters[name] = callers.ids[name]
    sent = case.as_transport_kwargs()
    target = sent["path"]
    if sent.get("query_string"):
        target += "?" + urlencode(sent["query_string"], doseq=True)
    headers = {k: v for k, v in sent["headers"].items() if k.lower() not in ("authorization", "user-agent")}
    if "json" in sent:
        body = json.dumps(sent["json"]).encode()
        headers["Content-Type"] = "application/json"
    else:
        body = sent.get("data") or b""
        body = body.encode() if isinstance(body, str) else body
    security = case.operation.definition.raw.get("security", [])
    headers.update(callers.headers_for(security, case.method.upper(), target, body))
    return case.method.upper(), target, body, headers


def _probe(app, callers: Callers, operation) -> None:
    """EXAMPLES generated cases against one operation; raises on the first broken check."""
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def probe(case):
        method, target, body, headers = _request_of(case, callers)
        response = FlaskClient(app).open(target, method=method, data=body, headers=headers)
        response.make_sequence()
        case.validate_response(response, checks=CHECKS)

    probe()


def _summary(exc: Exception) -> str:
    """The lines of schemathesis's report that say what broke, without its curl and tracebacks."""
    lines = [line.strip(" |") for line in str(exc).splitlines()]
    wanted = [line for line in lines if line.startswith(("- ST", "Received", "Documented", "`{", "curl"))]
    return "\n    ".join(wanted[:8]) or str(exc)[:800]


@pytest.mark.parametrize("shard", range(SHARDS))
def test_every_operation_keeps_its_contract(app, callers, shard):
    # The schema is loaded here, not at import: schemathesis's lazy pytest loader does not run on
    # pytest 9, and the document needs the app, which the session fixture builds.
    operations = [result.ok() for result in schemathesis.openapi.from_wsgi("/openapi.json", app).get_all_operations()]
    assert len(operations) > 80  # every operation of the document, not a few
    failures = []
    for operation in operations[shard::SHARDS]:
        try:
            _probe(app, callers, operation)
        except (Exception, BaseExceptionGroup) as exc:  # every operation is probed; all failures reported
            failures.append(f"{operation.method.upper()} {operation.path}: {_summary(exc)}")
    assert not failures, "\n\n".join(failures)
