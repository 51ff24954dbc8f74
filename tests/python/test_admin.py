"""The admin REST API (`/api/v1`) over real HTTP, the state database behind
it (servers created through the API survive a restart; a corrupt file stops
the host with exit 2), and the activity log of calls over stdio and HTTP."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import anyio
import httpx
import pytest
from mcp import Client
from openapi_spec_validator import validate

from conftest import REPO, install, server, text_of
from test_http import API_KEY, client_with_token, http_server

FIXTURE = REPO / "tests" / "fixtures" / "upstream" / "everything_server.py"
ADMIN_KEY = "admin-key-0123456789abcdef"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}

CONFIG = f"""
[admin]
allow_host_commands = true

[servers.fixture]
command = ["{sys.executable}", "{FIXTURE}"]
env = {{ FIXTURE_SERVER_NAME = "configured" }}
startup_timeout_secs = 20
"""


def env_for(state_dir: Path, **extra: str) -> dict[str, str]:
    return {"PORTCULLIS_STATE_DIR": str(state_dir), "ADMIN_API_KEY": ADMIN_KEY, "API_KEY": API_KEY, **extra}


@contextmanager
def admin_host(portcullis_bin, plugin_dir, cache_dir, state_dir, config=CONFIG, **extra):
    """An HTTP host with an admin key, an MCP key and its own state directory; yields (server, admin client)."""
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=config, env=env_for(state_dir, **extra)) as srv:
        with httpx.Client(base_url=srv.base, headers=ADMIN, timeout=30) as api:
            yield srv, api


def wait_state(api: httpx.Client, name: str, state: str = "running", seconds: float = 30) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        got = api.get(f"/api/v1/servers/{name}")
        assert got.status_code == 200, got.text
        if got.json()["state"] == state:
            return got.json()
        assert time.monotonic() < deadline, f"{name} is not {state}: {got.json()}"
        time.sleep(0.2)


def error_of(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, (response.status_code, response.text)
    error = response.json()["error"]
    assert set(error) == {"code", "message"}, error
    return error["message"]


def activity(api: httpx.Client, **query) -> list[dict]:
    page = api.get("/api/v1/activity", params=query)
    assert page.status_code == 200, page.text
    return page.json()["entries"]


def wait_activity(api: httpx.Client, seconds: float = 10, **query) -> list[dict]:
    deadline = time.monotonic() + seconds
    while not (entries := activity(api, **query)):
        assert time.monotonic() < deadline, f"no activity matching {query}"
        time.sleep(0.1)
    return entries


def test_admin_keys_guard_the_api_and_mcp_credentials_do_not_open_it(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    with admin_host(portcullis_bin, plugin_dir, cache_dir, tmp_path / "state") as (srv, api):
        assert httpx.get(f"{srv.base}/health").json() == {"status": "ok"}
        assert "ADMIN_API_KEY" in error_of(httpx.get(f"{srv.base}/api/v1/health"), 401)
        wrong = {"Authorization": "Bearer not-the-admin-key-at-all"}
        assert "not an admin key" in error_of(httpx.get(f"{srv.base}/api/v1/health", headers=wrong), 401)
        mcp_key = {"Authorization": f"Bearer {API_KEY}"}
        assert "MCP keys" in error_of(httpx.get(f"{srv.base}/api/v1/servers", headers=mcp_key), 401)
        # …and the admin key is no MCP credential.
        assert httpx.post(f"{srv.base}/mcp", headers=ADMIN, json={}).status_code == 401
        health = api.get("/api/v1/health").json()
        assert health["status"] == "ok" and health["servers"] == 1, health
        assert ADMIN_KEY not in srv.log
        assert "no such admin route" in error_of(api.get("/api/v1/nothing-here"), 404)


def test_without_an_admin_key_the_api_is_off_unless_the_listener_is_loopback(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    environment = {"PORTCULLIS_STATE_DIR": str(tmp_path / "state")}
    with http_server(portcullis_bin, plugin_dir, cache_dir, env=environment) as srv:
        assert httpx.get(f"{srv.base}/api/v1/health").json()["status"] == "ok"
    with http_server(portcullis_bin, plugin_dir, cache_dir, env=environment, addr="0.0.0.0:0") as srv:
        port = srv.base.rsplit(":", 1)[1]
        refused = httpx.get(f"http://127.0.0.1:{port}/api/v1/health")
        assert "ADMIN_API_KEY" in error_of(refused, 403)


def test_servers_routes_control_a_configured_server(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    with admin_host(portcullis_bin, plugin_dir, cache_dir, tmp_path / "state") as (srv, api):
        listed = api.get("/api/v1/servers").json()
        assert [s["name"] for s in listed] == ["fixture"], listed
        server = wait_state(api, "fixture")
        assert server["source"] == "config" and server["kind"] == "command", server
        assert server["env"] == {"FIXTURE_SERVER_NAME": "<redacted>"}, "env values never show"
        assert "fixture__echo" in server["tools"]

        called = api.post("/api/v1/servers/fixture/call", json={"tool": "echo", "arguments": {"text": "via admin"}})
        assert called.status_code == 200, called.text
        assert called.json()["content"][0]["text"] == "via admin" and called.json()["isError"] is False
        failed = api.post("/api/v1/servers/fixture/call", json={"tool": "add", "arguments": {"a": "x", "b": 1}})
        assert failed.status_code == 200 and failed.json()["isError"] is True, failed.text
        assert "tool `nope`" in error_of(api.post("/api/v1/servers/fixture/call", json={"tool": "nope"}), 404)
        assert "`tool`" in error_of(api.post("/api/v1/servers/fixture/call", json={"arguments": {}}), 400)

        health = api.get("/api/v1/servers/fixture/health")
        assert health.status_code == 200 and health.json()["healthy"] is True, health.text
        logs = api.get("/api/v1/servers/fixture/logs")
        assert logs.status_code == 200 and isinstance(logs.json()["lines"], list), logs.text

        stopped = api.post("/api/v1/servers/fixture/stop")
        assert stopped.status_code == 200 and stopped.json()["state"] == "stopped", stopped.text
        assert "fixture__echo" not in {t["name"] for t in api.get("/api/v1/tools").json()}
        assert api.get("/api/v1/servers/fixture/health").status_code == 503
        assert "start" in error_of(api.post("/api/v1/servers/fixture/call", json={"tool": "echo"}), 409)
        assert api.post("/api/v1/servers/fixture/start").status_code == 200
        wait_state(api, "fixture")
        assert api.post("/api/v1/servers/fixture/restart").status_code == 200
        wait_state(api, "fixture")
        tools = {t["name"]: t for t in api.get("/api/v1/tools").json()}
        assert tools["fixture__echo"]["provider"] == "fixture" and tools["fixture__echo"]["provider_kind"] == "server"

        assert "portcullis.toml" in error_of(api.delete("/api/v1/servers/fixture"), 409)
        for method, path in [
            ("GET", "/api/v1/servers/ghost"), ("PUT", "/api/v1/servers/ghost"), ("DELETE", "/api/v1/servers/ghost"),
            ("POST", "/api/v1/servers/ghost/start"), ("POST", "/api/v1/servers/ghost/stop"),
            ("POST", "/api/v1/servers/ghost/restart"), ("GET", "/api/v1/servers/ghost/logs"),
            ("GET", "/api/v1/servers/ghost/health"), ("POST", "/api/v1/servers/ghost/call"),
        ]:
            body = {"name": "ghost", "url": "https://example.invalid/mcp"} if method == "PUT" else {"tool": "echo"}
            response = api.request(method, path, json=body if method in ("POST", "PUT") else None)
            assert "no server `ghost`" in error_of(response, 404), (method, path)

        changes = wait_activity(api, principal="admin:ADMIN_API_KEY", tool="server.stop", outcome="ok")
        assert changes[0]["kind"] == "admin" and changes[0]["provider"] == "fixture", changes
        calls = wait_activity(api, tool="fixture__echo", transport="admin")
        assert calls[0]["outcome"] == "ok" and calls[0]["transport"] == "admin", calls
        assert wait_activity(api, tool="fixture__add", outcome="tool_error")[0]["error"]


def test_create_checks_the_body_and_what_the_operator_allows(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    config = "[admin]\nallow_host_commands = false\n"
    with admin_host(portcullis_bin, plugin_dir, cache_dir, tmp_path / "state", config=config) as (srv, api):
        assert "missing field `name`" in error_of(api.post("/api/v1/servers", json={"url": "https://x.invalid/mcp"}), 400)
        assert "unknown field `colour`" in error_of(api.post("/api/v1/servers", json={"name": "a", "colour": 1}), 400)
        assert "exactly one" in error_of(api.post("/api/v1/servers", json={"name": "a"}), 400)
        assert "invalid request body" in error_of(api.post("/api/v1/servers", content=b"{not json"), 400)
        refused = api.post("/api/v1/servers", json={"name": "local", "command": sys.executable, "args": [str(FIXTURE)]})
        assert "allow_host_commands" in error_of(refused, 403)
        reads_env = {"name": "leaky", "url": "https://x.invalid/mcp", "headers": {"Authorization": "${HOME}"}}
        assert "allow_host_commands" in error_of(api.post("/api/v1/servers", json=reads_env), 403)
        assert "transport_type" in error_of(
            api.post("/api/v1/servers", json={"name": "a", "url": "https://x.invalid/mcp", "transport_type": "stdio"}), 400
        )


def test_max_concurrent_servers_caps_what_the_api_adds(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    with admin_host(portcullis_bin, plugin_dir, cache_dir, tmp_path / "state", MAX_CONCURRENT_SERVERS="1") as (srv, api):
        refused = api.post("/api/v1/servers", json={"name": "second", "url": "https://x.invalid/mcp"})
        assert "MAX_CONCURRENT_SERVERS" in error_of(refused, 409)
        assert api.get("/api/v1/servers/second").status_code == 404, "a refused server is not added"


def test_a_server_created_through_the_api_survives_a_restart(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    state = tmp_path / "state"
    body = {
        "name": "made",
        "description": "made through the API",
        "command": sys.executable,
        "args": [str(FIXTURE)],
        "env": {"FIXTURE_SERVER_NAME": "secret-value-123"},
        "transport_type": "stdio",
        "auto_restart": True,
    }
    with admin_host(portcullis_bin, plugin_dir, cache_dir, state) as (srv, api):
        created = api.post("/api/v1/servers", json=body)
        assert created.status_code == 201, created.text
        assert created.json()["env"] == {"FIXTURE_SERVER_NAME": "<redacted>"}
        assert "already" in error_of(api.post("/api/v1/servers", json=body), 409)
        wait_state(api, "made")
        echoed = api.post("/api/v1/servers/made/call", json={"tool": "echo", "arguments": {"text": "one"}})
        assert echoed.json()["content"][0]["text"] == "one", echoed.text
        assert "secret-value-123" not in api.get("/api/v1/servers").text
        assert "renamed" in error_of(api.put("/api/v1/servers/made", json={**body, "name": "other"}), 400)
        updated = api.put("/api/v1/servers/made", json={**body, "description": "changed"})
        assert updated.status_code == 200 and updated.json()["description"] == "changed", updated.text
        assert "secret-value-123" not in srv.log
    with admin_host(portcullis_bin, plugin_dir, cache_dir, state) as (srv, api):
        again = wait_state(api, "made")
        assert again["source"] == "api" and again["description"] == "changed", again
        echoed = api.post("/api/v1/servers/made/call", json={"tool": "echo", "arguments": {"text": "two"}})
        assert echoed.json()["content"][0]["text"] == "two", echoed.text
        assert api.delete("/api/v1/servers/made").status_code == 204
        assert api.get("/api/v1/servers/made").status_code == 404
    with admin_host(portcullis_bin, plugin_dir, cache_dir, state) as (srv, api):
        assert api.get("/api/v1/servers/made").status_code == 404, "a deleted server stays deleted"


def test_plugins_tools_and_their_switches(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    wasm = install(plugin_dir, "hello")
    state = tmp_path / "state"
    with admin_host(portcullis_bin, plugin_dir, cache_dir, state) as (srv, api):
        listed = api.get("/api/v1/plugins").json()
        [hello] = [p for p in listed["plugins"] if p["name"] == "hello"]
        assert hello["sha256"] == hashlib.sha256(wasm.read_bytes()).hexdigest()
        assert hello["source"] == str(wasm) and "tools" in hello["exports"] and hello["tools"] == ["hello"], hello
        assert hello["wit_version"] and hello["limits"]["memory_mib"] > 0 and hello["calls"] == 0, hello
        assert api.post("/api/v1/plugins/hello/reload").status_code == 200
        assert "no plugin `ghost`" in error_of(api.post("/api/v1/plugins/ghost/reload"), 404)
        assert api.post("/api/v1/plugins/hello/disable").status_code == 204
        assert "hello" not in {t["name"] for t in api.get("/api/v1/tools").json()}
        assert api.get("/api/v1/plugins").json()["disabled"] == ["hello"]
    with admin_host(portcullis_bin, plugin_dir, cache_dir, state) as (srv, api):
        assert api.get("/api/v1/plugins").json()["disabled"] == ["hello"], "disabling is remembered"
        assert "hello" not in {t["name"] for t in api.get("/api/v1/tools").json()}
        assert api.post("/api/v1/plugins/hello/enable").status_code == 204
        tools = {t["name"]: t for t in api.get("/api/v1/tools").json()}
        assert tools["hello"]["provider"] == "hello" and tools["hello"]["input_schema"]["type"] == "object", tools
        assert wait_activity(api, tool="plugin.enable")[0]["principal"] == "admin:ADMIN_API_KEY"


@pytest.mark.anyio
async def test_sessions_are_listed_and_ended_and_calls_over_http_are_recorded(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    install(plugin_dir, "hello")
    config = CONFIG + f"""
[servers.mine]
command = ["{sys.executable}", "{FIXTURE}"]
scope = "session"
startup_timeout_secs = 20
"""
    with admin_host(portcullis_bin, plugin_dir, cache_dir, tmp_path / "state", config=config) as (srv, api):
        async with client_with_token(srv.url, API_KEY, "legacy") as client:
            assert text_of(await client.call_tool("hello", {"name": "HTTP"})) == "Hello, HTTP!"
            with anyio.fail_after(30):
                while "mine__echo" not in {t.name for t in (await client.list_tools()).tools}:
                    await anyio.sleep(0.2)
            assert text_of(await client.call_tool("mine__echo", {"text": "own"})) == "own"
            [session] = api.get("/api/v1/sessions").json()
            assert session["transport"] == "http" and session["era"] == "initialize", session
            assert session["principal"] == "key:API_KEY" and session["client_name"], session
            assert session["owners"] == ["key:API_KEY"] and session["servers"] == ["mine"], session
            assert session["containers"] == [], session
            [call] = wait_activity(api, tool="hello", session=session["id"])
            assert call["transport"] == "http" and call["principal"] == "key:API_KEY" and call["provider"] == "hello"
            assert call["bytes_in"] == len('{"name":"HTTP"}') and call["bytes_out"] > 0 and call["arguments"] is None
            assert call["arguments_sha256"] == hashlib.sha256(b'{"name":"HTTP"}').hexdigest()
            assert api.delete(f"/api/v1/sessions/{session['id']}").status_code == 204
            with pytest.raises(Exception, match="ended this session"):
                await client.call_tool("hello", {"name": "again"})
        assert api.get("/api/v1/sessions").json() == []
        assert "no session `ghost`" in error_of(api.delete("/api/v1/sessions/ghost"), 404)
        containers = api.get("/api/v1/containers")
        assert containers.status_code in (200, 503), containers.text
        if containers.status_code == 200:
            assert "no container `ghost`" in error_of(api.delete("/api/v1/containers/ghost"), 404)
        for stamp in ("outcome=ok", "limit=1"):
            assert api.get(f"/api/v1/activity?{stamp}").status_code == 200
        assert "limit" in error_of(api.get("/api/v1/activity?limit=lots"), 400)


@pytest.mark.anyio
async def test_calls_over_stdio_are_recorded_and_paged(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    install(plugin_dir, "hello")
    state = tmp_path / "state"
    params = server(portcullis_bin, plugin_dir, cache_dir, env={"PORTCULLIS_STATE_DIR": str(state), "PORTCULLIS_BUNDLED_PLUGINS": "false"})
    async with Client(params, mode="legacy") as client:
        for name in ("a", "b", "c"):
            assert text_of(await client.call_tool("hello", {"name": name})) == f"Hello, {name}!"
    with admin_host(portcullis_bin, plugin_dir, cache_dir, state) as (srv, api):
        first = api.get("/api/v1/activity", params={"tool": "hello", "limit": 2}).json()
        assert [e["transport"] for e in first["entries"]] == ["stdio", "stdio"], first
        assert all(e["principal"] == "local" and e["era"] == "initialize" and e["outcome"] == "ok" for e in first["entries"])
        rest = api.get("/api/v1/activity", params={"tool": "hello", "limit": 2, "cursor": first["next_cursor"]}).json()
        assert len(rest["entries"]) == 1 and rest["next_cursor"] is None, rest
        assert activity(api, tool="hello", since_ms=int(time.time() * 1000) + 60_000) == []


def test_the_openapi_document_is_valid_3_1_and_lists_every_route(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    with admin_host(portcullis_bin, plugin_dir, cache_dir, tmp_path / "state") as (srv, api):
        doc = api.get("/api/v1/openapi.json").json()
        assert doc["openapi"].startswith("3.1"), doc["openapi"]
        validate(doc)
        for path in [
            "/health", "/api/v1/health", "/api/v1/servers", "/api/v1/servers/{name}", "/api/v1/servers/{name}/start",
            "/api/v1/servers/{name}/stop", "/api/v1/servers/{name}/restart", "/api/v1/servers/{name}/logs",
            "/api/v1/servers/{name}/health", "/api/v1/servers/{name}/call", "/api/v1/plugins",
            "/api/v1/plugins/{name}/reload", "/api/v1/plugins/{name}/enable", "/api/v1/plugins/{name}/disable",
            "/api/v1/tools", "/api/v1/sessions", "/api/v1/sessions/{id}", "/api/v1/containers",
            "/api/v1/containers/{id}", "/api/v1/activity", "/api/v1/tasks", "/api/v1/tasks/{id}",
            "/api/v1/tasks/{id}/cancel", "/api/v1/oauth/users", "/api/v1/oauth/users/{name}",
            "/api/v1/oauth/clients", "/api/v1/oauth/clients/{id}", "/api/v1/oauth/grants", "/api/v1/oauth/grants/{id}",
        ]:
            assert path in doc["paths"], path


def test_a_corrupt_state_database_stops_the_host_with_exit_2_naming_the_file(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    db = state / "portcullis.db"
    db.write_bytes(b"this is not a database " * 400)
    environment = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "PORTCULLIS_CACHE_DIR": str(cache_dir),
                   "PORTCULLIS_STATE_DIR": str(state)}
    done = subprocess.run([str(portcullis_bin), "serve", "--plugins", str(plugin_dir)], env=environment,
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    assert done.returncode == 2, done.stderr.decode()
    assert str(db) in done.stderr.decode() and "corrupt" in done.stderr.decode(), done.stderr.decode()


@pytest.mark.anyio
async def test_a_call_the_client_gives_up_on_is_recorded_as_cancelled(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    with admin_host(portcullis_bin, plugin_dir, cache_dir, tmp_path / "state") as (srv, api):
        wait_state(api, "fixture")
        async with client_with_token(srv.url, API_KEY, "legacy") as client:
            with anyio.move_on_after(1):
                await client.call_tool("fixture__slow", {"seconds": 20, "steps": 20})
            with anyio.fail_after(10):
                while not (entries := activity(api, tool="fixture__slow")):
                    await anyio.sleep(0.1)  # the client sends its cancellation meanwhile
            [entry] = entries
            assert entry["outcome"] == "cancelled" and entry["transport"] == "http", entry
            assert 0.5 < entry["duration_us"] / 1e6 < 10, entry


def test_a_call_past_the_response_deadline_is_recorded_as_timeout(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    """`http.request_timeout_secs` ends a stateless MCP call and a REST call
    alike with 504; the log says `timeout`, not that the client went away."""
    config = CONFIG + "\n[http]\nrequest_timeout_secs = 1\n"
    with admin_host(portcullis_bin, plugin_dir, cache_dir, tmp_path / "state", config=config) as (srv, api):
        wait_state(api, "fixture")
        slow = {"seconds": 20, "steps": 20}
        meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
        headers = {
            "Authorization": f"Bearer {API_KEY}", "Accept": "application/json, text/event-stream",
            "Mcp-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "fixture__slow",
        }
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "fixture__slow", "arguments": slow, "_meta": meta}}
        assert httpx.post(srv.url, json=body, headers=headers, timeout=10).status_code == 504
        rest = httpx.post(f"{srv.base}/rest/tools/fixture__slow", json=slow, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=10)
        assert rest.status_code == 504 and "request_timeout_secs" in rest.text, rest.text
        deadline = time.monotonic() + 10
        while len(entries := activity(api, tool="fixture__slow")) < 2:
            assert time.monotonic() < deadline, entries
            time.sleep(0.1)
        assert sorted(e["transport"] for e in entries) == ["http", "rest"], entries
        assert all(e["outcome"] == "timeout" and e["duration_us"] < 5e6 for e in entries), entries

def test_every_call_of_a_concurrent_burst_is_recorded_and_none_with_the_log_off(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    install(plugin_dir, "hello")
    calls = 400

    def burst(srv) -> None:
        with httpx.Client(base_url=srv.base, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30) as rest:
            def one(i: int) -> int:
                return rest.post("/rest/tools/hello", json={"name": f"n{i}"}).status_code

            with ThreadPoolExecutor(max_workers=8) as pool:
                assert set(pool.map(one, range(calls))) == {200}

    def recorded(api: httpx.Client) -> int:
        count, cursor = 0, None
        while True:
            page = api.get("/api/v1/activity", params={"tool": "hello", "limit": 1000, **({"cursor": cursor} if cursor else {})}).json()
            count += len(page["entries"])
            if (cursor := page["next_cursor"]) is None:
                return count

    with admin_host(portcullis_bin, plugin_dir, cache_dir, tmp_path / "on", config="") as (srv, api):
        burst(srv)
        deadline = time.monotonic() + 10
        while (count := recorded(api)) < calls and time.monotonic() < deadline:
            time.sleep(0.1)
        assert count == calls
    with admin_host(portcullis_bin, plugin_dir, cache_dir, tmp_path / "off", config="[activity]\nenabled = false\n") as (srv, api):
        burst(srv)
        assert api.post("/api/v1/plugins/hello/reload").status_code == 200
        # The writer would have written within its 50 ms linger; give it twenty times that.
        time.sleep(1)
        assert activity(api) == []
