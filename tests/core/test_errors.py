"""Each error code owns its status: raises name the code only, and the README lists them all."""
import ast
import re
from pathlib import Path

import pytest

from app.core.errors import PAYMENT_REFUSED, AppError, Code

ROOT = Path(__file__).resolve().parents[2]


def test_every_code_has_one_status_in_the_error_range():
    assert all(400 <= code.status <= 599 for code in Code)
    assert len({code.value for code in Code}) == len(Code)  # no alias hides a second status


def test_an_app_error_takes_its_status_from_its_code():
    assert AppError(Code.WALLET_FROZEN, "frozen").status == 403
    assert AppError(Code.INSUFFICIENT_FUNDS, "no").status == 402


def test_a_terminal_hears_any_refused_payment_as_402_with_the_code_kept():
    refused = AppError(Code.WALLET_FROZEN, "frozen", {"a": 1}).as_payment_refusal(charge_id="chg_1")
    assert (refused.status, refused.code, refused.details) == (PAYMENT_REFUSED, Code.WALLET_FROZEN,
                                                              {"charge_id": "chg_1"})


def test_no_raise_in_the_app_passes_a_status():
    offenders = []
    for path in (ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "AppError":
                third = node.args[2] if len(node.args) > 2 else None
                if isinstance(third, ast.Constant) or any(k.arg == "status" for k in node.keywords):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_the_readme_lists_every_code_with_its_status():
    text = (ROOT / "README.md").read_text()
    block = text.split("<!-- error-codes -->")[1].split("<!-- /error-codes -->")[0]
    listed = {}
    for status, codes in re.findall(r"- \*\*(\d{3})\*\*: (.+)", block):
        for code in re.findall(r"`([a-z_]+)`", codes):
            assert code not in listed, f"{code} listed twice"
            listed[code] = int(status)
    assert listed == {code.value: code.status for code in Code}


@pytest.mark.parametrize("headers, body", [
    ({}, '{"identifier": "a@b.test", "password": "x"}'),  # curl -d without a content type
    ({"Content-Type": "text/plain"}, '{"identifier": "a@b.test", "password": "x"}'),
    ({"Content-Type": "application/json"}, "not json"),
    ({"Content-Type": "application/json"}, "[1, 2]"),
])
def test_a_body_that_is_not_a_json_object_says_so_without_naming_our_classes(client, headers, body):
    response = client.post("/api/v1/auth/login", data=body, headers=headers)

    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "validation_error"
    assert error["details"]["fields"][0]["field"] == "body"
    # the caller learns what to send, not the name of a pydantic model ("instance of LoginBody")
    assert "JSON object" in error["message"] and "application/json" in error["message"], error
    assert "LoginBody" not in str(error), error
