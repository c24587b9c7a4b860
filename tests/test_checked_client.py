"""The suite's test client checks every JSON answer against the OpenAPI document
(tests/support/checked_client.py): these tests prove that it fails on a wrong body."""
from __future__ import annotations

import pytest
from flask_openapi3 import OpenAPI
from pydantic import BaseModel

from tests.support.checked_client import CheckedClient, SchemaMismatch, install, take_mismatches


class Pet(BaseModel):
    id: int
    name: str


class PetPath(BaseModel):
    pet_id: int


@pytest.fixture
def pets():
    """A small API that declares `200: Pet` and answers whatever the test asks it to."""
    shop = OpenAPI(__name__)
    answers = {}

    @shop.get("/pets/<int:pet_id>", responses={200: Pet})
    def get_pet(path: PetPath):
        return answers["next"]

    install(shop)
    client = shop.test_client()

    def ask(body, status=200):
        answers["next"] = (body, status)
        return client.get("/pets/7")

    return ask


def test_a_body_that_matches_the_declared_schema_passes(pets):
    response = pets({"id": 7, "name": "Rex"})

    assert response.json == {"id": 7, "name": "Rex"}
    assert take_mismatches() == []


def test_a_body_missing_a_declared_field_fails_naming_the_operation_the_status_and_the_field(pets):
    with pytest.raises(SchemaMismatch) as failure:
        pets({"id": 7})

    message = str(failure.value)
    assert message.startswith("GET /pets/{pet_id} answered 200, ")
    assert "'name' is a required property" in message
    assert take_mismatches() == [message]  # written down too, for answers read in other threads


def test_a_field_of_the_wrong_type_fails(pets):
    with pytest.raises(SchemaMismatch, match=r"at \['id'\]: 'seven' is not of type 'integer'"):
        pets({"id": "seven", "name": "Rex"})
    take_mismatches()


def test_a_status_the_operation_does_not_declare_fails(pets):
    with pytest.raises(SchemaMismatch, match="the document declares no 201 answer"):
        pets({"id": 7, "name": "Rex"}, 201)
    take_mismatches()


@pytest.mark.parametrize("body", [
    {"detail": "not found"},                                                  # not an envelope
    {"error": {"code": "not_found", "message": "no such pet"}},               # no details
    {"error": {"code": "not_found", "message": "", "details": {}}},           # an empty message
    {"error": {"code": "not_found", "message": "no such pet", "details": []}},  # details not an object
    {"error": {"code": "not_found", "message": "gone", "details": {}}, "hint": "x"},  # a stray field
])
def test_an_error_that_is_not_our_envelope_fails(pets, body):
    with pytest.raises(SchemaMismatch, match="GET /pets/{pet_id} answered 404, not our error envelope"):
        pets(body, 404)
    take_mismatches()


def test_an_error_in_our_envelope_passes(pets):
    response = pets({"error": {"code": "not_found", "message": "no such pet", "details": {}}}, 404)

    assert response.status_code == 404
    assert take_mismatches() == []


def test_every_client_of_the_app_is_checked_against_its_own_document(app, client, monkeypatch):
    # given the app's test clients, and /healthz answering something its document does not declare
    assert type(client) is CheckedClient and type(app.test_client()) is CheckedClient
    endpoint = next(rule.endpoint for rule in app.url_map.iter_rules() if rule.rule == "/healthz")
    monkeypatch.setitem(app.view_functions, endpoint, lambda: {"status": "asleep"})

    # when a test asks for it, then the answer fails the test
    with pytest.raises(SchemaMismatch, match=r"GET /healthz answered 200, at \['status'\]: 'ok' was expected"):
        client.get("/healthz")
    take_mismatches()
