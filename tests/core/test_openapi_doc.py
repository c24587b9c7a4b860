"""The document declares our error envelope for every error an operation can give, so that a
generated client parses errors (flask-openapi3 alone declared 422 as a list of its own model and
left out 400, 401, 403, 404, 409, 413 and 429)."""


def test_every_error_status_in_the_document_is_our_envelope(client):
    doc = client.get("/openapi.json").json
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            errors = {status: response for status, response in operation["responses"].items() if status >= "400"}
            assert {"400", "422", "500"} <= set(errors), (method, path)
            for status, response in errors.items():
                if (path, status) == ("/readyz", "503"):
                    continue  # not ready is an answer of its own: which of the database and Redis is down
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}, (method, path, status)


def test_signed_in_operations_declare_401_and_money_moving_ones_402_and_409(client):
    doc = client.get("/openapi.json").json
    transfer = doc["paths"]["/api/v1/transfers"]["post"]["responses"]
    assert {"401", "402", "403", "404", "409", "413"} <= set(transfer)
    assert "401" not in doc["paths"]["/healthz"]["get"]["responses"]


def test_the_envelope_is_a_component_with_code_message_and_details(client):
    schemas = client.get("/openapi.json").json["components"]["schemas"]
    assert schemas["ErrorEnvelope"]["required"] == ["error"]
    assert set(schemas["ErrorBody"]["required"]) == {"code", "message", "details"}


def test_a_request_models_cached_schema_survives_a_caller_that_changes_its_copy():
    # flask-openapi3 asks for the header model's schema on every request; it is cached, and a
    # caller popping a key (as the schema-clash test pops "$defs") must not empty the cache
    from app.core.schemas import IdempotencyHeader
    first = IdempotencyHeader.model_json_schema()
    first.pop("properties")
    assert "Idempotency-Key" in IdempotencyHeader.model_json_schema()["properties"]
    assert IdempotencyHeader.model_json_schema(by_alias=True) is not IdempotencyHeader.model_json_schema(by_alias=True)
