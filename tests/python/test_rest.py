"""The REST plane: tools as `POST /rest/tools/{name}` and their OpenAPI 3.1 document at
`GET /rest/openapi.json`, over real HTTP, with the MCP credentials and guards."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from openapi_spec_validator import validate

from conftest import install
from test_http import API_KEY, http_server

KEYS = f'[http.api_keys]\nci = "{API_KEY}"\n'
AUTH = {"Authorization": f"Bearer {API_KEY}"}
OPERATION_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def document(srv, **headers) -> dict:
    response = httpx.get(f"{srv.base}/rest/openapi.json", headers=headers, timeout=10)
    assert response.status_code == 200, (response.status_code, response.text)
    return response.json()


def call(srv, name: str, body=None, *, content: bytes | None = None, headers=None, timeout: float = 30) -> httpx.Response:
    url = f"{srv.base}/rest/tools/{name}"
    if content is not None:
        return httpx.post(url, content=content, headers={"Content-Type": "application/json", **(headers or {})}, timeout=timeout)
    return httpx.post(url, json=body, headers=headers or {}, timeout=timeout)


def wait_for_document(srv, predicate, timeout: float = 15, **headers) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        doc = document(srv, **headers)
        if predicate(doc) or time.monotonic() > deadline:
            return doc
        time.sleep(0.2)


def test_the_document_is_valid_openapi_and_follows_the_live_tool_list(portcullis_bin, plugin_dir, cache_dir):
    install(plugin_dir, "hello")
    with http_server(portcullis_bin, plugin_dir, cache_dir) as srv:
        doc = document(srv)
        validate(doc)
        assert doc["openapi"] == "3.1.0"
        assert doc["servers"] == [{"url": srv.base}]
        assert "security" not in doc, "no authentication is configured"
        hello = doc["paths"]["/rest/tools/hello"]["post"]
        assert hello["operationId"] == "hello"
        assert hello["summary"] == "Say hello"
        assert hello["description"] == "Greets someone by name."
        schema = hello["requestBody"]["content"]["application/json"]["schema"]
        assert schema["required"] == ["name"] and schema["properties"]["name"]["type"] == "string"

        # Plugins dropped in while running appear in the (re-generated) document.
        install(plugin_dir, "faulty")
        install(plugin_dir, "conformance")
        doc = wait_for_document(srv, lambda d: "/rest/tools/fine" in d["paths"] and "/rest/tools/test_simple_text" in d["paths"])
        assert "/rest/tools/fine" in doc["paths"], sorted(doc["paths"])
        assert "/rest/tools/test_simple_text" in doc["paths"]
        validate(doc)
        ids = [op["post"]["operationId"] for op in doc["paths"].values()]
        assert len(ids) == len(set(ids)), ids
        assert all(OPERATION_ID.match(i) for i in ids), ids
        assert all(len(op["post"]["description"]) <= 300 for op in doc["paths"].values())

        # And a removed plugin leaves it.
        (plugin_dir / "faulty.wasm").unlink()
        doc = wait_for_document(srv, lambda d: "/rest/tools/fine" not in d["paths"])
        assert "/rest/tools/fine" not in doc["paths"]
        assert "/rest/tools/hello" in doc["paths"]


def test_calls_need_the_mcp_credentials_and_the_document_says_so(portcullis_bin, plugin_dir, cache_dir):
    install(plugin_dir, "hello")
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=KEYS) as srv:
        ok = call(srv, "hello", {"name": "Ada"}, headers=AUTH)
        assert ok.status_code == 200, ok.text
        assert ok.json()["content"] == [{"type": "text", "text": "Hello, Ada!"}]

        missing = call(srv, "hello", {"name": "Ada"})
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"].startswith("Bearer")
        wrong = call(srv, "hello", {"name": "Ada"}, headers={"Authorization": "Bearer not-the-key-0123456789"})
        assert wrong.status_code == 401

        # The document is open (a GPT imports its URL) but describes the bearer scheme;
        # credentials, when sent, must be right.
        doc = document(srv)
        validate(doc)
        assert doc["security"] == [{"bearer": []}]
        assert doc["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
        assert "/rest/tools/hello" in document(srv, **AUTH)["paths"]
        bad = httpx.get(f"{srv.base}/rest/openapi.json", headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401

        # A REST call is counted like an MCP tools/call.
        metrics = httpx.get(f"{srv.base}/metrics", headers=AUTH).text
        assert 'portcullis_tool_calls_total{tool="hello"} 1' in metrics


def test_errors_have_their_own_status_codes(portcullis_bin, plugin_dir, cache_dir):
    install(plugin_dir, "hello")
    install(plugin_dir, "conformance")
    with http_server(portcullis_bin, plugin_dir, cache_dir, config="[http]\nmax_body_bytes = 4096\n") as srv:
        failed = call(srv, "test_error_handling", {})
        assert failed.status_code == 422
        assert failed.json()["error"] == "tool_error"
        assert failed.json()["error_description"] == "This tool intentionally returns an error for testing"

        invalid = call(srv, "hello", {})
        assert invalid.status_code == 422
        assert "invalid arguments" in invalid.json()["error_description"]

        unknown = call(srv, "no_such_tool", {})
        assert unknown.status_code == 404
        assert "no_such_tool" in unknown.json()["error_description"]

        bad_json = call(srv, "hello", content=b'{"name": ')
        assert bad_json.status_code == 400
        assert "not valid JSON" in bad_json.json()["error_description"]
        not_object = call(srv, "hello", ["Ada"])
        assert not_object.status_code == 400
        assert "JSON object" in not_object.json()["error_description"]

        too_big = call(srv, "hello", {"name": "x" * 10_000})
        assert too_big.status_code == 413
        assert "http.max_body_bytes" in too_big.json()["error_description"]

        # A tool that needs the client's model has no MCP client to ask.
        sampling = call(srv, "test_sampling", {"prompt": "hi"})
        assert sampling.status_code == 422
        assert "no MCP client" in sampling.json()["error_description"]

        assert call(srv, "test_simple_text", {}).status_code == 200


def test_a_faulty_plugins_fault_fails_only_its_call(portcullis_bin, plugin_dir, cache_dir):
    install(plugin_dir, "faulty")
    install(plugin_dir, "hello")
    with http_server(portcullis_bin, plugin_dir, cache_dir, config="[plugins.faulty]\ncpu_ms = 200\n") as srv:
        crash = call(srv, "crash", {})
        assert crash.status_code == 422
        assert "crashed" in crash.json()["error_description"]
        spin = call(srv, "spin", {})
        assert spin.status_code == 422
        assert "CPU time limit of 200 ms" in spin.json()["error_description"]
        assert call(srv, "fine", {}).json()["content"][0]["text"] == "still fine"
        assert call(srv, "hello", {"name": "z"}).json()["content"][0]["text"] == "Hello, z!"


def test_rest_calls_pass_the_tool_call_policies(portcullis_bin, plugin_dir, cache_dir):
    install(plugin_dir, "hello")
    config = '[plugins.tool-rules.settings]\ndeny = ["hello/*"]\n'
    env = {"PORTCULLIS_BUNDLED_PLUGINS": "true"}
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=config, env=env) as srv:
        denied = call(srv, "hello", {"name": "Ada"})
        assert denied.status_code == 422
        assert "denied" in denied.json()["error_description"]
        assert "tool-rules" in denied.json()["error_description"]


def test_the_guards_of_mcp_apply(portcullis_bin, plugin_dir, cache_dir):
    install(plugin_dir, "hello")
    with http_server(portcullis_bin, plugin_dir, cache_dir, env={"RATE_LIMIT_REQUESTS": "3"}) as srv:
        foreign = call(srv, "hello", {"name": "Ada"}, headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 403
        statuses = [call(srv, "hello", {"name": "Ada"}).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429], statuses


def test_upstream_tools_follow_their_principals_and_have_no_client_to_ask(portcullis_bin, plugin_dir, cache_dir):
    from test_upstreams import fixture_server

    private = fixture_server("private").replace("max_restarts = 2", 'max_restarts = 2\nprincipals = ["key:ci-*"]')
    ci, visitor = "key-of-ci-0123456789", "key-of-visitor-0123456789"
    keys = f'[http.api_keys]\nci-runner = "{ci}"\nvisitor = "{visitor}"\n'
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=keys + private) as srv:
        as_ci = {"Authorization": f"Bearer {ci}"}
        doc = wait_for_document(srv, lambda d: "/rest/tools/private__echo" in d["paths"], timeout=30, **as_ci)
        assert "/rest/tools/private__echo" in doc["paths"], sorted(doc["paths"])
        validate(doc)
        echoed = call(srv, "private__echo", {"text": "mine"}, headers=as_ci)
        assert echoed.status_code == 200, echoed.text
        assert echoed.json()["content"][0]["text"] == "mine"

        # A principal the server does not serve: not in its document, 404 on call, like MCP.
        as_visitor = {"Authorization": f"Bearer {visitor}"}
        assert not any(p.startswith("/rest/tools/private__") for p in document(srv, **as_visitor)["paths"])
        assert not any(p.startswith("/rest/tools/private__") for p in document(srv)["paths"])
        assert call(srv, "private__echo", {"text": "theirs"}, headers=as_visitor).status_code == 404

        # The upstream's sampling request has no MCP client to go to.
        asked = call(srv, "private__ask_model", {"prompt": "2+2?"}, headers=as_ci)
        assert asked.status_code == 422, asked.text
        assert "no MCP client" in asked.json()["error_description"], asked.json()
