"""The HTTP transport with the Python SDK client: Streamable HTTP in both eras,
the legacy SSE transport, and the guards around them (API keys, OAuth JWTs,
Host/Origin checks, rate limits, body caps, deadlines), operations endpoints,
and graceful shutdown."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from contextlib import asynccontextmanager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import anyio
import httpx
import httpx2
import jwt
import mcp_types as types
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from conftest import install, text_of

pytestmark = pytest.mark.anyio

MODES = ["legacy", "2026-07-28"]
LISTENING = re.compile(r"serving MCP over HTTP at (https?://\S+/mcp)")
API_KEY = "test-key-0123456789abcdef"


class HttpServer:
    """A `portcullis serve --http` process on a free port, its stderr collected."""

    def __init__(self, proc: subprocess.Popen):
        self.proc = proc
        self.lines: list[str] = []
        self.url: str | None = None
        self._ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.proc.stderr:
            line = raw.decode(errors="replace")
            self.lines.append(line)
            if self.url is None and (m := LISTENING.search(line)):
                self.url = m.group(1)
                self._ready.set()
        self._ready.set()

    @property
    def base(self) -> str:
        return self.url.removesuffix("/mcp")

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def wait_ready(self, timeout: float = 60):
        self._ready.wait(timeout)
        assert self.url, f"the server did not start:\n{self.log}"

    def terminate(self, timeout: float = 20) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)


@contextmanager
def http_server(bin: Path, plugin_dir: Path, cache_dir: Path, *extra: str, config: str | None = None, env=None, addr="127.0.0.1:0"):
    """Starts the server with `plugin_dir` (bundled plugins off) and yields it once it listens."""
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LOG_LEVEL": "info",
        "PORTCULLIS_CACHE_DIR": str(cache_dir),
        "PORTCULLIS_BUNDLED_PLUGINS": "false",
        # Each test's host has its own state database.
        "PORTCULLIS_STATE_DIR": str(plugin_dir.parent / "state"),
    }
    environment.update(env or {})
    args = [str(bin), "serve", "--http", addr, "--plugins", str(plugin_dir), *extra]
    if config is not None:
        path = plugin_dir.parent / "portcullis.toml"
        path.write_text(config)
        args += ["--config", str(path)]
    proc = subprocess.Popen(args, env=environment, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    server = HttpServer(proc)
    try:
        server.wait_ready()
        yield server
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@asynccontextmanager
async def client_with_token(url: str, token: str, mode: str):
    async with create_mcp_http_client(headers={"Authorization": f"Bearer {token}"}) as http:
        async with Client(streamable_http_client(url, http_client=http), mode=mode) as client:
            yield client


def initialize_body() -> dict:
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
    }


def modern_call(name: str, arguments: dict) -> tuple[dict, dict]:
    """A raw 2026-07-28 tools/call: its headers and body."""
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    body = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": name, "arguments": arguments, "_meta": meta}}
    headers = {
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2026-07-28",
        "Mcp-Method": "tools/call",
        "Mcp-Name": name,
    }
    return headers, body


def post_initialize(url: str, **headers) -> httpx.Response:
    headers.setdefault("Accept", "application/json, text/event-stream")
    with httpx.Client(timeout=10) as http:
        return http.post(url, json=initialize_body(), headers=headers)


def sse_events(text: str) -> list[tuple[str | None, dict]]:
    """The (id, message) of each SSE event with JSON data in `text`."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields = dict(line.split(":", 1) for line in block.splitlines() if ":" in line and not line.startswith(":"))
        if fields.get("data", "").strip():
            events.append((fields.get("id", "").strip() or None, json.loads(fields["data"])))
    return events


def answer_of(response: httpx.Response) -> dict:
    """The JSON-RPC answer in a plain JSON or an SSE response."""
    if response.headers.get("content-type", "").startswith("application/json"):
        return response.json()
    return next(m for _, m in sse_events(response.text) if "id" in m)


class RawSession:
    """A 2025-11-25 Streamable HTTP session driven with raw requests."""

    def __init__(self, url: str, **headers):
        self.url = url
        init = post_initialize(url, **headers)
        assert init.status_code == 200, (init.status_code, init.text)
        self.headers = {
            "Accept": "application/json, text/event-stream",
            "Mcp-Session-Id": init.headers["mcp-session-id"],
            "MCP-Protocol-Version": "2025-11-25",
            **headers,
        }
        self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def post(self, body: dict, timeout: float = 30) -> httpx.Response:
        return httpx.post(self.url, json=body, headers=self.headers, timeout=timeout)


# --- Serving -----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_streamable_http_lists_and_calls_in_both_eras(portcullis_bin, plugin_dir, cache_dir, mode):
    install(plugin_dir, "hello")
    with http_server(portcullis_bin, plugin_dir, cache_dir) as srv:
        async with Client(srv.url, mode=mode) as client:
            assert "hello" in {t.name for t in (await client.list_tools()).tools}
            assert text_of(await client.call_tool("hello", {"name": "Ada"})) == "Hello, Ada!"


async def test_legacy_sse_transport_lists_calls_and_hears_list_changes(portcullis_bin, plugin_dir, cache_dir):
    changed = anyio.Event()

    async def on_message(message):
        if getattr(message, "method", None) == "notifications/tools/list_changed":
            changed.set()

    with http_server(portcullis_bin, plugin_dir, cache_dir) as srv:
        async with Client(sse_client(f"{srv.base}/sse"), mode="legacy", message_handler=on_message) as client:
            assert (await client.list_tools()).tools == []
            install(plugin_dir, "hello")
            with anyio.fail_after(10):
                await changed.wait()
            assert text_of(await client.call_tool("hello", {"name": "SSE"})) == "Hello, SSE!"


async def test_list_changes_reach_a_streamable_http_session(portcullis_bin, plugin_dir, cache_dir):
    changed = anyio.Event()

    async def on_message(message):
        if getattr(message, "method", None) == "notifications/tools/list_changed":
            changed.set()

    with http_server(portcullis_bin, plugin_dir, cache_dir) as srv:
        async with Client(srv.url, mode="legacy", message_handler=on_message) as client:
            await client.list_tools()
            install(plugin_dir, "hello")
            with anyio.fail_after(10):
                await changed.wait()
            assert "hello" in {t.name for t in (await client.list_tools()).tools}


async def test_list_changes_reach_a_2026_listener(portcullis_bin, plugin_dir, cache_dir):
    with http_server(portcullis_bin, plugin_dir, cache_dir) as srv:
        async with Client(srv.url, mode="2026-07-28") as client:
            async with client.listen(tools_list_changed=True) as subscription:
                install(plugin_dir, "hello")
                with anyio.fail_after(10):
                    async for event in subscription:
                        assert type(event).__name__ == "ToolsListChanged"
                        break
            assert "hello" in {t.name for t in (await client.list_tools(cache_mode="refresh")).tools}


async def test_tool_calls_with_mistyped_params_are_invalid_params(portcullis_bin, plugin_dir, cache_dir):
    install(plugin_dir, "faulty")
    with http_server(portcullis_bin, plugin_dir, cache_dir) as srv:
        session = RawSession(srv.url)
        for id_, params in [(2, {"name": 5}), (3, {"name": "fine", "arguments": "x"})]:
            answer = answer_of(session.post({"jsonrpc": "2.0", "id": id_, "method": "tools/call", "params": params}))
            assert answer["id"] == id_ and answer["error"]["code"] == -32602, answer
        headers, body = modern_call("fine", {})
        body["params"]["arguments"] = "x"
        answer = answer_of(httpx.post(srv.url, json=body, headers=headers, timeout=30))
        assert answer["id"] == 7 and answer["error"]["code"] == -32602, answer


def chatty_call(id_: int, count: int, ms: int) -> dict:
    """A tools/call of faulty's `chatty`, with a progress token."""
    arguments = {"count": count, "ms": ms}
    return {"jsonrpc": "2.0", "id": id_, "method": "tools/call", "params": {"name": "chatty", "arguments": arguments, "_meta": {"progressToken": "p"}}}


def event_index(event_id: str) -> int:
    return int(event_id.split("/")[0])


async def test_a_resumed_stream_replays_only_the_events_after_last_event_id(portcullis_bin, plugin_dir, cache_dir):
    install(plugin_dir, "faulty")
    with http_server(portcullis_bin, plugin_dir, cache_dir) as srv:
        session = RawSession(srv.url)
        read = ""
        with httpx.stream("POST", srv.url, json=chatty_call(2, 6, 100), headers=session.headers, timeout=30) as response:
            for chunk in response.iter_text():
                read += chunk.replace("\r\n", "\n")
                seen = [e for e in sse_events(read[: read.rfind("\n\n")]) if e[0]]
                if len(seen) >= 2:
                    break
        last = seen[-1][0]
        # The connection dropped mid-call; the client resumes after the last event it read.
        resumed = httpx.get(srv.url, headers={**session.headers, "Last-Event-ID": last}, timeout=30)
        assert resumed.status_code == 200, resumed.text
        replayed = [e for e in sse_events(resumed.text) if e[0]]
        assert replayed, resumed.text
        assert event_index(replayed[0][0]) > event_index(last), (last, [i for i, _ in replayed])
        assert replayed[-1][1].get("id") == 2 and "result" in replayed[-1][1], replayed[-1]


async def test_a_2026_notification_without_mcp_method_is_accepted(portcullis_bin, plugin_dir, cache_dir):
    with http_server(portcullis_bin, plugin_dir, cache_dir) as srv:
        headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2026-07-28"}
        note = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 99}}
        accepted = httpx.post(srv.url, json=note, headers=headers, timeout=10)
        assert accepted.status_code == 202, (accepted.status_code, accepted.text)
        # Requests still need the header; only notifications may go without.
        call_headers, call = modern_call("no_such_tool", {})
        del call_headers["Mcp-Method"]
        refused = httpx.post(srv.url, json=call, headers=call_headers, timeout=10)
        assert refused.status_code == 400 and "Mcp-Method" in refused.text, (refused.status_code, refused.text)


class NoGetStream(httpx2.AsyncBaseTransport):
    """An HTTP transport that never opens the client's GET stream (the server seems to answer 405)."""

    def __init__(self):
        self.inner = httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request):
        if request.method == "GET":
            return httpx2.Response(405, request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self):
        await self.inner.aclose()


async def test_a_calls_log_records_travel_on_its_own_response_stream(portcullis_bin, plugin_dir, cache_dir):
    install(plugin_dir, "faulty")
    logs = []

    async def on_log(params):
        logs.append(params.data)

    with http_server(portcullis_bin, plugin_dir, cache_dir) as srv:
        async with httpx2.AsyncClient(transport=NoGetStream(), timeout=httpx2.Timeout(30, read=300)) as http:
            async with Client(streamable_http_client(srv.url, http_client=http), mode="legacy", logging_callback=on_log) as client:
                result = await client.call_tool("chatty", {"count": 4, "ms": 20})
                # All of them, in order, before the result.
                assert logs == ["chatty 1", "chatty 2", "chatty 3", "chatty 4"], logs
                assert text_of(result) == "chatted 4 times"


@pytest.mark.parametrize("mode", MODES)
async def test_elicitation_over_http_in_both_eras(portcullis_bin, plugin_dir, cache_dir, mode):
    """Legacy: a real elicitation request on the call's stream; 2026: an input-required round trip."""
    install(plugin_dir, "conformance")
    asked = []

    async def answer(context, params):
        asked.append(params.message)
        return types.ElicitResult(action="accept", content={"name": "Ada"})

    with http_server(portcullis_bin, plugin_dir, cache_dir) as srv:
        async with Client(srv.url, mode=mode, elicitation_callback=answer) as client:
            result = await client.call_tool("test_input_required_result_elicitation", {})
            assert text_of(result) == "Hello, Ada!"
            assert asked == ["What is your name?"]


async def test_a_long_silent_call_keeps_its_session_and_an_idle_one_expires(portcullis_bin, plugin_dir, cache_dir):
    """A session is idle only with nothing in flight: a user who takes longer
    than `http.session_idle_secs` over an elicitation does not lose the call,
    while a session with nothing in flight and no stream open expires."""
    install(plugin_dir, "conformance")

    async def slow_user(context, params):
        await anyio.sleep(5)
        return types.ElicitResult(action="accept", content={"username": "ada", "email": "ada@example.com"})

    with http_server(portcullis_bin, plugin_dir, cache_dir, config="[http]\nsession_idle_secs = 2\n") as srv:
        async with Client(srv.url, mode="legacy", elicitation_callback=slow_user) as client:
            result = await client.call_tool("test_elicitation", {"message": "Who are you?"})
            assert "ada@example.com" in text_of(result), text_of(result)
        with httpx.Client(timeout=10) as http:
            accept = {"Accept": "application/json, text/event-stream"}
            opened = http.post(srv.url, json=initialize_body(), headers=accept)
            session = {**accept, "Mcp-Session-Id": opened.headers["mcp-session-id"], "MCP-Protocol-Version": "2025-11-25"}
            http.post(srv.url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=session)
            listed = http.post(srv.url, json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, headers=session)
            assert listed.status_code == 200, listed.text
            time.sleep(4)
            expired = http.post(srv.url, json={"jsonrpc": "2.0", "id": 3, "method": "tools/list"}, headers=session)
            assert expired.status_code == 404, (expired.status_code, expired.text)
        assert "ending an idle HTTP session" in srv.log


# --- Security ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_api_keys_are_required_and_checked(portcullis_bin, plugin_dir, cache_dir, mode):
    install(plugin_dir, "hello")
    config = '[http.api_keys]\nci = "ci-key-0123456789abcdef"\n'
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=config, env={"API_KEY": API_KEY}) as srv:
        missing = post_initialize(srv.url)
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"].startswith("Bearer")
        wrong = post_initialize(srv.url, Authorization="Bearer not-the-key-0123456789")
        assert wrong.status_code == 401
        assert 'error="invalid_token"' in wrong.headers["www-authenticate"]
        assert httpx.get(f"{srv.base}/sse", headers={"Authorization": "Bearer nope"}).status_code == 401
        assert httpx.get(f"{srv.base}/metrics").status_code == 401
        assert httpx.get(f"{srv.base}/healthz").status_code == 200
        for key in (API_KEY, "ci-key-0123456789abcdef"):
            async with client_with_token(srv.url, key, mode) as client:
                assert text_of(await client.call_tool("hello", {"name": "key"})) == "Hello, key!"


async def test_foreign_origins_and_hosts_are_refused(portcullis_bin, plugin_dir, cache_dir):
    config = '[http]\ncors_origins = ["https://chat.example.com"]\n'
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=config) as srv:
        port = srv.url.split(":")[2].split("/")[0]
        bad_origin = post_initialize(srv.url, Origin="http://evil.example.com")
        assert bad_origin.status_code == 403
        assert "http.allowed_origins" in bad_origin.json()["error_description"]
        bad_host = post_initialize(srv.url, Host="evil.example.com")
        assert bad_host.status_code == 403
        assert "http.allowed_hosts" in bad_host.json()["error_description"]
        assert post_initialize(srv.url, Host=f"localhost:{port}", Origin=f"http://localhost:{port}").status_code == 200
        cors = post_initialize(srv.url, Origin="https://chat.example.com")
        assert cors.status_code == 200
        assert cors.headers["access-control-allow-origin"] == "https://chat.example.com"
        # /metrics is behind the same guard as /mcp.
        assert httpx.get(f"{srv.base}/metrics", headers={"Host": "evil.example.com"}).status_code == 403
        assert httpx.get(f"{srv.base}/metrics", headers={"Origin": "http://evil.example.com"}).status_code == 403
        assert httpx.get(f"{srv.base}/metrics").status_code == 200


async def test_guessing_keys_ends_in_429(portcullis_bin, plugin_dir, cache_dir):
    with http_server(portcullis_bin, plugin_dir, cache_dir, env={"API_KEY": API_KEY}) as srv:
        statuses = [post_initialize(srv.url, Authorization=f"Bearer guess-{n:04}-0123456789abcdef").status_code for n in range(50)]
        assert statuses[:20] == [401] * 20, statuses
        assert set(statuses[20:]) == {429}, statuses
        # Once refused, even the right key waits out the window: the address is the guesser's.
        assert post_initialize(srv.url, Authorization=f"Bearer {API_KEY}").status_code == 429
        assert httpx.get(f"{srv.base}/healthz").status_code == 200


async def test_a_key_limited_to_read_gets_403_insufficient_scope_for_a_write_tool(portcullis_bin, plugin_dir, cache_dir):
    install(plugin_dir, "hello")
    install(plugin_dir, "hello", as_name="greeter")
    reader, writer, full = "reader-key-0123456789abcdef", "writer-key-0123456789abcdef", "full-key-0123456789abcdef00"
    config = f"""
[http.api_keys]
reader = "{reader}"
writer = "{writer}"
full = "{full}"
[http.api_key_scopes]
reader = ["mcp:read"]
writer = ["mcp:read", "mcp:write"]
[http.tool_scopes]
"greeter__*" = "mcp:read"
"""
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=config) as srv:
        def call(key: str, tool: str) -> httpx.Response:
            headers, body = modern_call(tool, {"name": "Ada"})
            return httpx.post(srv.url, json=body, headers={**headers, "Authorization": f"Bearer {key}"}, timeout=30)

        # hello__hello has no read-only hint, so it needs mcp:write; the override makes greeter's read.
        refused = call(reader, "hello__hello")
        assert refused.status_code == 403, (refused.status_code, refused.text)
        challenge = refused.headers["www-authenticate"]
        assert 'error="insufficient_scope"' in challenge and 'scope="mcp:write"' in challenge, challenge
        assert refused.json()["error"] == "insufficient_scope" and "mcp:write" in refused.json()["error_description"]
        assert "Hello, Ada!" in call(reader, "greeter__hello").text
        assert "Hello, Ada!" in call(writer, "hello__hello").text
        assert "Hello, Ada!" in call(full, "hello__hello").text, "a key with no scopes listed is not limited"
        # Listing is not a call: the reader sees every tool, so it knows what to ask for.
        headers, body = modern_call("x", {})
        body.update(method="tools/list", params={"_meta": body["params"]["_meta"]})
        headers.update({"Mcp-Method": "tools/list", "Authorization": f"Bearer {reader}"})
        headers.pop("Mcp-Name")
        listed = answer_of(httpx.post(srv.url, json=body, headers=headers))
        assert {"hello__hello", "greeter__hello"} <= {t["name"] for t in listed["result"]["tools"]}, listed
        # The REST plane and the 2025-11-25 era check the same.
        rest = httpx.post(f"{srv.base}/rest/tools/hello__hello", json={"name": "Ada"}, headers={"Authorization": f"Bearer {reader}"})
        assert rest.status_code == 403 and 'scope="mcp:write"' in rest.headers["www-authenticate"], rest.text
        session = RawSession(srv.url, Authorization=f"Bearer {reader}")
        legacy = session.post({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "hello__hello", "arguments": {"name": "Ada"}}})
        assert legacy.status_code == 403, (legacy.status_code, legacy.text)


@pytest.mark.parametrize("trusted", [True, False])
async def test_forwarded_headers_count_only_from_trusted_proxies(portcullis_bin, plugin_dir, cache_dir, trusted):
    config = '[http]\ntrusted_proxies = ["127.0.0.0/8"]\n' if trusted else None
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=config, env={"API_KEY": API_KEY}) as srv:
        def guess(client: str, n: int) -> int:
            headers = {"Authorization": f"Bearer guess-{n:04}-0123456789abcdef", "X-Forwarded-For": client}
            return post_initialize(srv.url, **headers).status_code

        document = httpx.get(f"{srv.base}/rest/openapi.json", headers={"X-Forwarded-Proto": "https"}).json()
        scheme = "https" if trusted else "http"
        assert document["servers"][0]["url"].startswith(f"{scheme}://"), document
        statuses = [guess("203.0.113.5", n) for n in range(21)]
        assert statuses == [401] * 20 + [429], statuses
        # Another client behind the proxy has its own budget, unless the proxy is not trusted:
        # then the header is the caller's word, and every request counts against the proxy's address.
        assert guess("203.0.113.6", 99) == (401 if trusted else 429)


async def test_rate_limit_answers_429_with_retry_after(portcullis_bin, plugin_dir, cache_dir):
    env = {"RATE_LIMIT_REQUESTS": "3", "RATE_LIMIT_WINDOW": "60000"}
    with http_server(portcullis_bin, plugin_dir, cache_dir, env=env) as srv:
        statuses = [post_initialize(srv.url).status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        limited = post_initialize(srv.url)
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert httpx.get(f"{srv.base}/healthz").status_code == 200, "operations endpoints are not rate limited"


def resident_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


async def test_live_sessions_are_capped_and_abandoned_ones_stay_bounded(portcullis_bin, plugin_dir, cache_dir):
    with http_server(portcullis_bin, plugin_dir, cache_dir, config="[http]\nmax_sessions = 50\n") as srv:
        sessions = [post_initialize(srv.url) for _ in range(50)]
        assert all(r.status_code == 200 for r in sessions)
        refused = post_initialize(srv.url)
        assert refused.status_code >= 500 and "http.max_sessions" in refused.text, (refused.status_code, refused.text)
        # Closing one makes room for another.
        closed = httpx.delete(srv.url, headers={"Mcp-Session-Id": sessions[0].headers["mcp-session-id"]})
        assert closed.status_code in (200, 202, 204), closed.status_code
        assert post_initialize(srv.url).status_code == 200
        # Thousands of abandoned initializes past the cap cost no memory.
        before = resident_kib(srv.proc.pid)
        with httpx.Client(timeout=10) as http:
            for _ in range(2000):
                http.post(srv.url, json=initialize_body(), headers={"Accept": "application/json, text/event-stream"})
        grown = resident_kib(srv.proc.pid) - before
        assert grown < 20 * 1024, f"resident memory grew by {grown} KiB"
        assert httpx.get(f"{srv.base}/healthz").status_code == 200


async def test_live_sessions_per_principal_are_capped(portcullis_bin, plugin_dir, cache_dir):
    alice, bob = "alice-key-0123456789abcdef", "bob-key-0123456789abcdef"
    config = f'[http]\nmax_sessions_per_principal = 3\n\n[http.api_keys]\nalice = "{alice}"\nbob = "{bob}"\n'
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=config) as srv:
        sessions = [post_initialize(srv.url, Authorization=f"Bearer {alice}") for _ in range(3)]
        assert all(r.status_code == 200 and "result" in answer_of(r) for r in sessions)
        refused = answer_of(post_initialize(srv.url, Authorization=f"Bearer {alice}"))
        assert "http.max_sessions_per_principal" in refused["error"]["message"], refused
        # Another principal is not affected, and closing a session makes room.
        assert "result" in answer_of(post_initialize(srv.url, Authorization=f"Bearer {bob}"))
        closed = httpx.delete(
            srv.url, headers={"Authorization": f"Bearer {alice}", "Mcp-Session-Id": sessions[0].headers["mcp-session-id"]}
        )
        assert closed.status_code in (200, 202, 204), closed.status_code
        assert "result" in answer_of(post_initialize(srv.url, Authorization=f"Bearer {alice}"))


def test_half_sent_requests_are_closed_and_connections_capped(portcullis_bin, plugin_dir, cache_dir):
    import socket
    import time

    def closed_by_server(s: socket.socket) -> bool:
        try:
            return s.recv(1024) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    config = "[http]\nheader_timeout_secs = 2\nmax_connections = 100\n"
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=config) as srv:
        host, port = srv.url.split("//")[1].split("/")[0].split(":")
        started = time.monotonic()
        slow = []
        for _ in range(100):
            s = socket.create_connection((host, int(port)), timeout=6)
            s.sendall(b"POST /mcp HTTP/1.1\r\nHost: localhost\r\n")  # never finished
            slow.append(s)
        time.sleep(0.3)
        # While 100 are held, the next connection is closed on arrival, even with a whole request.
        extra = socket.create_connection((host, int(port)), timeout=6)
        extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert closed_by_server(extra), "a connection past http.max_connections was served"
        # The half-sent requests are closed once the header timeout passes.
        assert all(closed_by_server(s) for s in slow), "half-sent requests were left open"
        assert time.monotonic() - started < 6
        for s in slow + [extra]:
            s.close()
        assert httpx.get(f"{srv.base}/healthz").status_code == 200


async def test_oversized_bodies_are_refused_with_413(portcullis_bin, plugin_dir, cache_dir):
    with http_server(portcullis_bin, plugin_dir, cache_dir, config="[http]\nmax_body_bytes = 2048\n") as srv:
        body = initialize_body()
        body["params"]["clientInfo"]["name"] = "x" * 4096
        headers = {"Accept": "application/json, text/event-stream"}
        big = httpx.post(srv.url, json=body, headers=headers)
        assert big.status_code == 413
        assert "http.max_body_bytes" in big.json()["error_description"]

        def chunks():
            yield json.dumps(body).encode()

        streamed = httpx.post(srv.url, content=chunks(), headers={**headers, "Content-Type": "application/json"})
        assert streamed.status_code == 413
        assert post_initialize(srv.url).status_code == 200


def test_a_request_refused_before_its_body_is_read_closes_its_connection(portcullis_bin, plugin_dir, cache_dir):
    """hyper closes such a connection without saying so when the body is not
    yet in its buffer; a client sending its next request on it at once (the
    SDK's OAuth flow after a 401) got "server disconnected without sending a
    response". A request whose body was read keeps its connection."""
    import http.client

    key = "ci-key-0123456789abcdef"
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=f'[http.api_keys]\nci = "{key}"\n') as srv:
        host, port = srv.base.removeprefix("http://").split(":")
        body = json.dumps(initialize_body())
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}

        refused = http.client.HTTPConnection(host, int(port), timeout=10)
        refused.request("POST", "/mcp", body=body, headers=headers)
        answer = refused.getresponse()
        answer.read()
        assert answer.status == 401 and answer.getheader("connection") == "close", answer.getheaders()

        served = http.client.HTTPConnection(host, int(port), timeout=10)
        served.request("POST", "/mcp", body=body, headers={**headers, "Authorization": f"Bearer {key}"})
        answer = served.getresponse()
        answer.read()
        assert answer.status == 200 and answer.getheader("connection") is None, answer.getheaders()
        connection = served.sock
        served.request("GET", "/healthz")
        assert served.getresponse().status == 200 and served.sock is connection, "the connection was not kept"


async def test_a_slow_answer_meets_the_request_deadline(portcullis_bin, plugin_dir, cache_dir):
    install(plugin_dir, "faulty")
    with http_server(portcullis_bin, plugin_dir, cache_dir, config="[http]\nrequest_timeout_secs = 1\n") as srv:
        headers, body = modern_call("sleep", {"ms": 3000})
        started = time.monotonic()
        response = httpx.post(srv.url, json=body, headers=headers, timeout=10)
        assert response.status_code == 504
        assert "http.request_timeout_secs" in response.json()["error_description"]
        assert time.monotonic() - started < 2.5
        headers, body = modern_call("sleep", {"ms": 10})
        assert httpx.post(srv.url, json=body, headers=headers, timeout=10).status_code == 200


# --- OAuth -------------------------------------------------------------------------------------

ISSUER = "https://issuer.test"
AUDIENCE = "https://mcp.test/mcp"


@pytest.fixture
def jwks():
    """An RSA signing key, published as a JWK Set by a local HTTP server; yields (key, jwks URL)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid="test-key", alg="RS256", use="sig")
    document = json.dumps({"keys": [jwk]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(document)))
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield key, f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    server.shutdown()


def token(key, **claims) -> str:
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": AUDIENCE, "sub": "agent-7", "iat": now, "exp": now + 600, **claims}
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": "test-key"})


async def test_oauth_resource_server_checks_jwts(portcullis_bin, plugin_dir, cache_dir, jwks):
    key, jwks_url = jwks
    install(plugin_dir, "hello")
    config = f'[http.oauth]\nissuer = "{ISSUER}"\naudience = "{AUDIENCE}"\njwks_url = "{jwks_url}"\n'
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=config) as srv:
        metadata = httpx.get(f"{srv.base}/.well-known/oauth-protected-resource").json()
        assert metadata["resource"] == AUDIENCE
        assert metadata["authorization_servers"] == [ISSUER]
        assert httpx.get(f"{srv.base}/.well-known/oauth-protected-resource/mcp").json() == metadata

        missing = post_initialize(srv.url)
        assert missing.status_code == 401
        assert 'resource_metadata="https://mcp.test/.well-known/oauth-protected-resource/mcp"' in missing.headers["www-authenticate"]

        forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        refused = {
            "forged": (token(forger), "signature"),
            "expired": (token(key, exp=int(time.time()) - 3600), "expired"),
            "wrong audience": (token(key, aud="https://elsewhere.test"), "not meant for"),
            "wrong issuer": (token(key, iss="https://evil.test"), "not issued by"),
        }
        for case, (bad, why) in refused.items():
            response = post_initialize(srv.url, Authorization=f"Bearer {bad}")
            assert response.status_code == 401, case
            challenge = response.headers["www-authenticate"]
            assert 'error="invalid_token"' in challenge and why in challenge, (case, challenge)

        async with client_with_token(srv.url, token(key), "2026-07-28") as client:
            assert text_of(await client.call_tool("hello", {"name": "JWT"})) == "Hello, JWT!"


async def test_with_require_scopes_a_tokens_scope_claim_limits_its_calls(portcullis_bin, plugin_dir, cache_dir, jwks):
    key, jwks_url = jwks
    install(plugin_dir, "hello")
    config = f'[http.oauth]\nissuer = "{ISSUER}"\naudience = "{AUDIENCE}"\njwks_url = "{jwks_url}"\nrequire_scopes = true\n'
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=config) as srv:
        def call(bearer: str) -> httpx.Response:
            headers, body = modern_call("hello", {"name": "JWT"})
            return httpx.post(srv.url, json=body, headers={**headers, "Authorization": f"Bearer {bearer}"}, timeout=30)

        for claims in ({"scope": "mcp:read"}, {}, {"scp": ["mcp:read"]}):
            refused = call(token(key, **claims))
            assert refused.status_code == 403, (claims, refused.status_code, refused.text)
            challenge = refused.headers["www-authenticate"]
            assert 'scope="mcp:write"' in challenge and 'resource_metadata="https://mcp.test/' in challenge, challenge
        for claims in ({"scope": "mcp:read mcp:write"}, {"scp": "mcp:write"}):
            assert "Hello, JWT!" in call(token(key, **claims)).text, claims


# --- Operations --------------------------------------------------------------------------------


async def test_health_readiness_and_metrics(portcullis_bin, plugin_dir, cache_dir):
    install(plugin_dir, "hello")
    install(plugin_dir, "faulty")
    config = "[plugins.faulty]\ncpu_ms = 100\n"
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=config) as srv:
        assert httpx.get(f"{srv.base}/healthz").json() == {"status": "ok"}
        ready = httpx.get(f"{srv.base}/readyz")
        assert ready.status_code == 200
        assert ready.json()["plugins"] == 2 and ready.json()["docker"] == "not used"
        async with Client(srv.url, mode="legacy") as client:
            await client.call_tool("hello", {"name": "m"})
            assert (await client.call_tool("spin", {})).is_error
            metrics = httpx.get(f"{srv.base}/metrics").text
        assert 'portcullis_tool_calls_total{tool="hello"} 1' in metrics
        assert 'portcullis_tool_errors_total{tool="spin",kind="tool_error"} 1' in metrics
        assert 'portcullis_tool_call_duration_seconds_count{tool="hello"} 1' in metrics
        assert 'portcullis_plugin_faults_total{plugin="faulty",kind="cpu_limit"} 1' in metrics
        assert "portcullis_sessions 1" in metrics
        assert "portcullis_plugins 2" in metrics


def test_a_port_in_use_is_a_clear_start_up_failure(portcullis_bin, plugin_dir, cache_dir):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [str(portcullis_bin), "serve", "--http", f"127.0.0.1:{port}", "--plugins", str(plugin_dir)],
            env={"PATH": os.environ.get("PATH", ""), "PORTCULLIS_BUNDLED_PLUGINS": "false", "PORTCULLIS_CACHE_DIR": str(cache_dir)},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=30,
        )
    assert proc.returncode == 2, proc.stderr.decode()
    assert "already in use" in proc.stderr.decode()


@pytest.mark.parametrize(
    "addr, config, key",
    [
        ("localhost", "", "--http"),
        ("127.0.0.1:0", '[http]\nallowed_hosts = ["host:port"]\n', "http.allowed_hosts"),
        ("127.0.0.1:0", '[http]\ncors_origins = ["chatgpt.com"]\n', "http.cors_origins"),
        ("127.0.0.1:0", "[http]\nrate_limit_window_ms = 0\n", "http.rate_limit_window_ms"),
    ],
)
def test_invalid_http_settings_are_configuration_errors(portcullis_bin, plugin_dir, tmp_path, addr, config, key):
    path = tmp_path / "portcullis.toml"
    path.write_text(config)
    proc = subprocess.run(
        [str(portcullis_bin), "serve", "--http", addr, "--plugins", str(plugin_dir), "--config", str(path)],
        env={"PATH": os.environ.get("PATH", ""), "PORTCULLIS_BUNDLED_PLUGINS": "false"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=30,
    )
    assert proc.returncode == 1, proc.stderr.decode()
    assert key in proc.stderr.decode()


@pytest.mark.parametrize(("mode", "sig"), [(mode, "SIGTERM") for mode in MODES] + [("legacy", "SIGQUIT")])
async def test_a_shutdown_signal_lets_a_call_in_flight_finish_then_exits_0(portcullis_bin, plugin_dir, cache_dir, mode, sig):
    install(plugin_dir, "faulty")
    with http_server(portcullis_bin, plugin_dir, cache_dir) as srv:
        async with Client(srv.url, mode=mode) as client:
            await client.list_tools()  # the SDK checks results against the listed output schemas
            result = {}

            async def slow_call():
                result["value"] = await client.call_tool("sleep", {"ms": 2000})

            async with anyio.create_task_group() as tasks:
                tasks.start_soon(slow_call)
                await anyio.sleep(0.7)
                srv.proc.send_signal(getattr(signal, sig))
                await anyio.sleep(0.3)
                with pytest.raises(httpx.ConnectError):
                    httpx.get(f"{srv.base}/healthz")
            assert text_of(result["value"]) == "slept 2000 ms"
        assert srv.terminate() == 0, srv.log
        assert sig in srv.log
