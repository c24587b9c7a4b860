"""The application around the API: health, the OpenAPI document and docs page, the error
envelope for routing failures, and how settings (and secrets) are loaded."""
from __future__ import annotations

import json
import re
import secrets
import stat

import pytest
from cryptography.fernet import Fernet

from app.config import SECRET_NAMES, ConfigError, load_config

NOT_DOCUMENTED = {"static", "openapi_document", "api_docs_page", "api_docs_files",
                  "wallet_page", "wallet_manifest", "wallet_worker", "merchant_page",
                  "terminal_page", "admin_page"}  # pages and files, not API (app/pages.py)


def assert_envelope(response, status: int, code: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    assert set(response.json) == {"error"}
    assert set(response.json["error"]) == {"code", "message", "details"}
    assert response.json["error"]["code"] == code


# --- health ------------------------------------------------------------------------------------

def test_healthz_says_the_process_is_alive(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_checks_the_database_and_the_store(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json == {"status": "ready", "checks": {"database": "ok", "store": "ok"}}


# --- OpenAPI and docs --------------------------------------------------------------------------

def test_the_openapi_document_is_version_3_1(client):
    response = client.get("/openapi.json")

    assert response.status_code == 200
    doc = response.json
    assert doc["openapi"].startswith("3.1")
    assert doc["info"]["title"] == "Wallet API"
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_the_openapi_document_lists_every_route_and_method_the_app_serves(app, client):
    # given the app's URL map and its published document
    paths = client.get("/openapi.json").json["paths"]

    # when each API rule is converted to OpenAPI's path syntax
    api_rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint not in NOT_DOCUMENTED]
    assert any(rule.rule.startswith("/api/v1/") for rule in api_rules)

    # then every rule and each of its methods is documented
    for rule in api_rules:
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        assert path in paths, f"{rule.rule} ({rule.endpoint}) is missing from /openapi.json"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in paths[path], f"{method} {path} is missing from /openapi.json"


def test_every_documented_path_is_a_real_route(app, client):
    paths = client.get("/openapi.json").json["paths"]
    served = {re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule) for rule in app.url_map.iter_rules()}

    assert set(paths) <= served


def test_models_that_share_a_name_in_the_document_share_their_schema():
    """The document keys schemas by name (the model's title, else its class name), so two models
    of one name and different fields leave one of them declared with the other's schema (charge
    refunds were once declared with an order refund's fields)."""
    import importlib
    import inspect
    import pkgutil

    from pydantic import BaseModel

    import app as package

    schemas: dict[str, dict[str, set[str]]] = {}  # name -> schema -> the models that give it that schema
    for module_info in pkgutil.walk_packages(package.__path__, "app."):
        module = importlib.import_module(module_info.name)
        for model in vars(module).values():
            if inspect.isclass(model) and issubclass(model, BaseModel) and model.__module__ == module.__name__:
                schema = model.model_json_schema()
                nested = schema.pop("$defs", {})  # the models it holds, named by class
                for name, part in {schema.get("title", model.__name__): schema, **nested}.items():
                    text = json.dumps(part, sort_keys=True)
                    schemas.setdefault(name, {}).setdefault(text, set()).add(f"{module.__name__}.{model.__name__}")
    clashes = sorted(f"{name}: {' vs '.join(', '.join(sorted(m)) for m in by_schema.values())}"
                     for name, by_schema in schemas.items() if len(by_schema) > 1)
    assert clashes == []


def test_the_money_operations_document_their_request_bodies_and_the_idempotency_header(client):
    paths = client.get("/openapi.json").json["paths"]

    for path in ("/api/v1/transfers", "/api/v1/wallets/{wallet_id}/topups"):
        operation = paths[path]["post"]
        assert "requestBody" in operation
        assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in operation["parameters"])


def test_every_id_in_a_path_or_query_is_at_most_40_characters_without_control_characters(client):
    # given every parameter of the document named like an id (path parameters are all ids but month)
    from app.core.fields import NO_CONTROLS
    paths = client.get("/openapi.json").json["paths"]
    missing = []
    for path, operations in paths.items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] not in ("path", "query") or not parameter["name"].endswith("_id"):
                    continue
                schema = parameter["schema"]
                schema = next((s for s in schema.get("anyOf", []) if s.get("type") == "string"), schema)
                # then each declares the pattern and the length
                if schema.get("pattern") != NO_CONTROLS or schema.get("maxLength") != 40:
                    missing.append(f"{method.upper()} {path} {parameter['name']}")
    assert missing == []


def test_the_docs_page_is_html_that_loads_nothing_from_another_host(client):
    response = client.get("/docs")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "/openapi.json" in html
    assert re.findall(r"https?://", html) == [], "the docs page must work without the internet"
    assert not re.search(r"""(src|href)\s*=\s*["']//""", html)  # protocol-relative URLs too


def test_the_docs_page_runs_swagger_ui_from_this_server_with_no_inline_script(client):
    html = client.get("/docs").get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)

    # every script is a file of ours (no inline code, which the page's CSP would refuse)
    assert scripts and all(body.strip() == "" and 'src="/' in attrs for attrs, body in scripts)
    for src in re.findall(r'src="(/[^"]+)"', html) + re.findall(r'href="(/[^"]+\.css)"', html):
        served = client.get(src)
        assert served.status_code == 200 and len(served.data) > 100, src
    bundle = client.get("/docs/swagger/js/swagger-ui-bundle.js")
    assert b"SwaggerUIBundle" in bundle.data
    assert "'unsafe-inline'" not in client.get("/docs").headers["Content-Security-Policy"]
    assert "SwaggerUIBundle" in client.get("/static/docs.js").get_data(as_text=True)
    # and only the UI's own files are reachable there
    assert client.get("/docs/swagger/../../__init__.py").status_code == 404


# --- routing errors ----------------------------------------------------------------------------

def test_an_unknown_route_is_a_404_envelope(client):
    assert_envelope(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_envelope(client.get("/nope"), 404, "not_found")


def test_a_wrong_method_is_a_405_envelope(client):
    assert_envelope(client.delete("/api/v1/wallets"), 405, "method_not_allowed")
    assert_envelope(client.get("/api/v1/transfers"), 405, "method_not_allowed")
    assert_envelope(client.post("/healthz"), 405, "method_not_allowed")


# --- settings ----------------------------------------------------------------------------------

def production_env(**overrides) -> dict:
    env = {"APP_ENV": "production", "DATABASE_URL": "postgres://u:p@db/wallet",
           "SECRET_KEY": secrets.token_urlsafe(32), "JWT_SIGNING_KEYS": f"k1:{secrets.token_urlsafe(40)}",
           "DATA_ENCRYPTION_KEY": Fernet.generate_key().decode(), "HASH_PEPPER": secrets.token_urlsafe(32)}
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def test_production_refuses_to_start_without_secrets(tmp_path):
    with pytest.raises(ConfigError) as refused:
        load_config(tmp_path, env={"APP_ENV": "production"})

    for name in (*SECRET_NAMES, "DATABASE_URL"):
        assert name in str(refused.value)
    assert not (tmp_path / "secrets.json").exists()


@pytest.mark.parametrize("missing", [*SECRET_NAMES, "DATABASE_URL"])
def test_production_refuses_to_start_without_any_one_secret(tmp_path, missing):
    with pytest.raises(ConfigError, match=missing):
        load_config(tmp_path, env=production_env(**{missing: None}))


def test_production_takes_its_secrets_and_database_from_the_environment(tmp_path):
    env = production_env()

    config = load_config(tmp_path, env=env)

    assert config["APP_ENV"] == "production" and config["TESTING"] is False
    assert config["SECRET_KEY"] == env["SECRET_KEY"]
    assert config["JWT_KEYS"] == [("k1", env["JWT_SIGNING_KEYS"].split(":", 1)[1])]
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db/wallet"
    assert not (tmp_path / "secrets.json").exists()


def test_demo_sign_ins_are_off_unless_set_and_refused_in_production(tmp_path):
    assert load_config(tmp_path / "dev", env={"APP_ENV": "development"})["DEMO_SIGNINS"] is False
    assert load_config(tmp_path / "prod", env=production_env())["DEMO_SIGNINS"] is False
    assert load_config(tmp_path / "demo", env={"DEMO_SIGNINS": "1"})["DEMO_SIGNINS"] is True
    with pytest.raises(ConfigError, match="DEMO_SIGNINS"):
        load_config(tmp_path / "prod", env=production_env(DEMO_SIGNINS="1"))


def test_bin_run_turns_the_demo_sign_ins_on_only_after_seeding_the_demo_users(monkeypatch):
    from app import serve
    ran = []
    monkeypatch.setattr(serve.subprocess, "run", lambda command, **kw: ran.append((command[1:], dict(kw["env"]))))
    env = {"DATABASE_URL": "postgresql://u@db/wallet"}

    assert serve._set_up(env) == 0

    assert [command for command, _ in ran] == [["db", "upgrade"], ["seed-demo"]]
    assert "DEMO_SIGNINS" not in ran[-1][1] and env["DEMO_SIGNINS"] == "1"


def test_production_refuses_a_short_jwt_key(tmp_path):
    with pytest.raises(ConfigError):
        load_config(tmp_path, env=production_env(JWT_SIGNING_KEYS="k1:short"))


def test_development_generates_secrets_once_and_reuses_them(tmp_path):
    # given an empty instance folder
    instance = tmp_path / "instance"

    # when development settings are loaded twice
    first = load_config(instance, env={"APP_ENV": "development"})
    second = load_config(instance, env={"APP_ENV": "development"})

    # then secrets were generated into instance/secrets.json, readable by the owner only, and reused
    path = instance / "secrets.json"
    stored = json.loads(path.read_text())
    assert set(stored) == {*SECRET_NAMES, "PURSE_ISSUER_KEYS"}  # the purse issuer key: generated beside them
    assert first["PURSE_ISSUER_KEYS"] == second["PURSE_ISSUER_KEYS"] and len(first["PURSE_ISSUER_KEYS"]) == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for name in SECRET_NAMES:
        assert first[name] == second[name] == stored[name]
    assert len(first["SECRET_KEY"]) >= 32
    assert first["JWT_KEYS"] == second["JWT_KEYS"]
    assert first["SQLALCHEMY_DATABASE_URI"] is None  # no DATABASE_URL: create_app starts the embedded server


def test_a_database_url_that_is_not_postgresql_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="PostgreSQL"):
        load_config(tmp_path, env={"APP_ENV": "development", "DATABASE_URL": "sqlite:///wallet.db"})


def test_development_secrets_differ_between_checkouts(tmp_path):
    one = load_config(tmp_path / "a", env={"APP_ENV": "development"})
    two = load_config(tmp_path / "b", env={"APP_ENV": "development"})

    assert all(one[name] != two[name] for name in SECRET_NAMES)


def test_an_unknown_app_env_is_refused(tmp_path):
    with pytest.raises(ConfigError):
        load_config(tmp_path, env={"APP_ENV": "staging"})


def test_a_non_numeric_limit_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="MAX_AMOUNT"):
        load_config(tmp_path, env={"APP_ENV": "development", "MAX_AMOUNT": "lots"})


def test_the_default_limits_are_the_documented_ones(tmp_path):
    config = load_config(tmp_path, env={"APP_ENV": "development"})

    assert config["MAX_AMOUNT"] == 100_000_000
    assert config["MAX_WALLET_BALANCE"] == 100_000_000
    assert config["MAX_CONTENT_LENGTH"] == 64 * 1024


def test_a_nul_character_anywhere_is_refused_as_bad_input_not_a_server_error(api):
    person = api.person()

    in_path = api.get("/api/v1/wallets/wal_%00abc", person)
    in_body = api.post("/api/v1/transfers", person, json={"to": "a\u0000b", "amount": 5, "currency": "USD"})

    assert in_path.status_code == 422 and in_path.json["error"]["code"] == "validation_error"
    assert in_body.status_code == 422 and in_body.json["error"]["code"] == "validation_error"
