"""/v1/openapi.json describes exactly the /v1 routes the app serves, both ways."""
from __future__ import annotations

import re

import pytest

from app import create_app
from app.web.openapi import document

IGNORED_METHODS = {"HEAD", "OPTIONS"}
_RULE_VARIABLE = re.compile(r"<[^>]+>")
_DOC_VARIABLE = re.compile(r"\{[^}]+\}")
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@pytest.fixture(scope="module")
def routes(tmp_path_factory) -> dict[str, set[str]]:
    """{"/v1/projects/{}/forms/{}": {"GET", "PATCH", ...}} of the app's own /v1 rules."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "STORAGE_DIR": str(tmp_path_factory.mktemp("s")), "SECRET_KEY": "t"})
    out: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/v1/") and not rule.rule.startswith("/v1/key/"):
            key = _RULE_VARIABLE.sub("{}", rule.rule)
            out.setdefault(key, set()).update(set(rule.methods or ()) - IGNORED_METHODS)
    return out


def described() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for path, item in document()["paths"].items():
        key = "/v1" + _DOC_VARIABLE.sub("{}", path)
        out.setdefault(key, set()).update(
            m.upper() for m in item if m in HTTP_METHODS and m.upper() not in IGNORED_METHODS)
    return out


def test_every_v1_route_is_described(routes):
    doc = described()
    missing = sorted(f"{m} {p}" for p, methods in routes.items()
                     for m in methods - doc.get(p, set()))
    assert missing == [], ("routes missing from app/web/openapi/*.yaml (describe them in the "
                           "file of their resource)")


def test_every_described_operation_exists(routes):
    extra = sorted(f"{m} {p}" for p, methods in described().items()
                   for m in methods - routes.get(p, set()))
    assert extra == []


def test_token_in_path_routes_mirror_the_api(tmp_path):
    """`/v1/key/{token}/...` is the document's second server, so it must serve the same API."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "STORAGE_DIR": str(tmp_path), "SECRET_KEY": "t"})
    rules = {(r.rule, frozenset(r.methods or ())) for r in app.url_map.iter_rules()}
    keyed = {(rule.replace("/v1/key/<key_token>", "/v1", 1), methods)
             for rule, methods in rules if rule.startswith("/v1/key/")}
    plain = {(rule, methods) for rule, methods in rules
             if rule.startswith("/v1/") and not rule.startswith("/v1/key/")
             and rule != "/v1/openapi.json"}
    assert keyed == plain
    servers = [s["url"] for s in document()["servers"]]
    assert servers == ["/v1", "/v1/key/{token}"]


def test_operations_are_unique_and_path_parameters_declared():
    doc = document()
    assert doc["openapi"].startswith("3.1")
    ids = []
    for path, item in doc["paths"].items():
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            ids.append(operation["operationId"])
            assert "responses" in operation, f"{method} {path}"
            names = {_param(doc, p)["name"] for p in shared + operation.get("parameters", [])
                     if _param(doc, p)["in"] == "path"}
            assert names == set(re.findall(r"\{([^}]+)\}", path)), f"{method} {path}"
    assert len(ids) == len(set(ids))


def test_the_document_is_served_without_login(client):
    response = client.get("/v1/openapi.json")
    assert response.status_code == 200 and response.is_json
    assert response.get_json()["paths"]["/projects/{projectId}/forms"]["get"]["operationId"] \
        == "listForms"


def _param(doc: dict, parameter: dict) -> dict:
    ref = parameter.get("$ref")
    if ref is None:
        return parameter
    return doc["components"]["parameters"][ref.rsplit("/", 1)[-1]]
