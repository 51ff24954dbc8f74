"""tests/fixtures/upstream/everything_server.py, driven directly with the Python
SDK client (stdio, and once each over Streamable HTTP and SSE), so that a later
failure seen through Portcullis is Portcullis's and not the fixture's.

Needs only the venv (no Portcullis binary, no Docker).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client, types
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from conftest import fixture_server_over_http

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.timeout(60),
    # logging, sampling, roots and resources/subscribe are what the fixture exercises
    # on the handshake revisions, though deprecated as of 2026-07-28.
    pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning"),
]

SERVER = Path(__file__).resolve().parents[1] / "fixtures" / "upstream" / "everything_server.py"
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
}


class Recorder:
    """Client-side callbacks that answer server requests and record notifications."""

    def __init__(self) -> None:
        self.notifications: list[object] = []
        self.logs: list[types.LoggingMessageNotificationParams] = []
        self.sampled: list[types.CreateMessageRequestParams] = []
        self.elicit_reply: types.ElicitResult = types.ElicitResult(action="accept", content={"answer": "blue"})

    async def sampling(self, context, params: types.CreateMessageRequestParams) -> types.CreateMessageResult:
        self.sampled.append(params)
        prompt = params.messages[0].content.text
        return types.CreateMessageResult(
            role="assistant", content=types.TextContent(type="text", text=f"model says: {prompt}"), model="fake-model"
        )

    async def elicitation(self, context, params) -> types.ElicitResult:
        return self.elicit_reply

    async def list_roots(self, context) -> types.ListRootsResult:
        return types.ListRootsResult(roots=[types.Root(uri="file:///work/project", name="project")])

    async def logging(self, params: types.LoggingMessageNotificationParams) -> None:
        self.logs.append(params)

    async def message(self, message) -> None:
        self.notifications.append(message)

    def session_kwargs(self) -> dict:
        return dict(
            sampling_callback=self.sampling,
            elicitation_callback=self.elicitation,
            list_roots_callback=self.list_roots,
            logging_callback=self.logging,
            message_handler=self.message,
        )

    async def wait_for(self, kind: type, timeout: float = 5.0):
        with anyio.fail_after(timeout):
            while True:
                for n in self.notifications:
                    if isinstance(n, kind):
                        return n
                await anyio.sleep(0.02)


def text_of(result: types.CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, types.TextContent))


@asynccontextmanager
async def stdio_session(tmp_path: Path, env: dict[str, str] | None = None):
    """An initialized ClientSession to the fixture over stdio; yields (session, recorder, stderr path)."""
    errlog = tmp_path / "server-stderr.txt"
    params = StdioServerParameters(command=sys.executable, args=[str(SERVER)], env=env)
    recorder = Recorder()
    with errlog.open("w") as err:
        async with stdio_client(params, errlog=err) as (read, write):
            async with ClientSession(read, write, **recorder.session_kwargs()) as session:
                await session.initialize()
                yield session, recorder, errlog


# ------------------------------------------------------------------ stdio


async def test_initialize_advertises_capabilities(tmp_path):
    async with stdio_session(tmp_path) as (session, _, _):
        result = session.initialize_result
        assert result.server_info.name == "portcullis-fixture"
        caps = result.capabilities
        assert caps.tools.list_changed is True
        assert caps.resources.subscribe is True
        assert caps.prompts is not None and caps.completions is not None and caps.logging is not None


async def test_server_name_from_env(tmp_path):
    async with stdio_session(tmp_path, env={"FIXTURE_SERVER_NAME": "second"}) as (session, _, _):
        assert session.initialize_result.server_info.name == "second"


async def test_tools_echo_add(tmp_path):
    async with stdio_session(tmp_path) as (session, _, _):
        names = {t.name for t in (await session.list_tools()).tools}
        assert names == {"echo", "header", "add", "slow", "ask_model", "ask_user", "list_roots", "toggle_tool", "touch_item", "crash"}
        assert text_of(await session.call_tool("echo", {"text": "héllo"})) == "héllo"
        result = await session.call_tool("add", {"a": 2, "b": 3})
        assert text_of(result) == "5" and result.structured_content == {"result": 5}
        assert text_of(await session.call_tool("add", {"a": 0.5, "b": 2})) == "2.5"
        bad = await session.call_tool("add", {"a": "x", "b": 1})
        assert bad.is_error


async def test_slow_sends_progress_and_logs(tmp_path):
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(p, total, message):
        progress.append((p, total, message))

    async with stdio_session(tmp_path) as (session, recorder, _):
        result = await session.call_tool("slow", {"seconds": 0.2, "steps": 4}, progress_callback=on_progress)
        assert text_of(result) == "slept 0.2s in 4 steps"
        assert [p[:2] for p in progress] == [(1, 4), (2, 4), (3, 4), (4, 4)]
        assert [log.data for log in recorder.logs] == [f"slow: step {i}/4" for i in range(1, 5)]
        assert {log.level for log in recorder.logs} == {"info"}

        # logging/setLevel above info silences them.
        await session.set_logging_level("warning")
        recorder.logs.clear()
        await session.call_tool("slow", {"seconds": 0.05, "steps": 2})
        assert recorder.logs == []


async def test_slow_honours_cancellation(tmp_path):
    async with stdio_session(tmp_path) as (session, _, errlog):
        started = time.monotonic()
        with anyio.move_on_after(0.5) as scope:
            await session.call_tool("slow", {"seconds": 30, "steps": 30})
        assert scope.cancelled_caught
        # The abandoned call sent notifications/cancelled; the server stops sleeping.
        with anyio.fail_after(5):
            while "slow: cancelled at step" not in errlog.read_text():
                await anyio.sleep(0.05)
        assert time.monotonic() - started < 10
        # And the session is still usable.
        assert text_of(await session.call_tool("echo", {"text": "still here"})) == "still here"


async def test_sampling_elicitation_roots(tmp_path):
    async with stdio_session(tmp_path) as (session, recorder, _):
        assert text_of(await session.call_tool("ask_model", {"prompt": "2+2?"})) == "model says: 2+2?"
        assert recorder.sampled[0].max_tokens == 100

        assert text_of(await session.call_tool("ask_user", {"question": "Favourite colour?"})) == "accept: blue"
        recorder.elicit_reply = types.ElicitResult(action="decline")
        assert text_of(await session.call_tool("ask_user", {"question": "Again?"})) == "decline"

        roots = json.loads(text_of(await session.call_tool("list_roots", {})))
        assert roots == [{"uri": "file:///work/project", "name": "project"}]


async def test_toggle_tool_sends_list_changed(tmp_path):
    async with stdio_session(tmp_path) as (session, recorder, _):
        assert text_of(await session.call_tool("toggle_tool", {})) == "extra on"
        await recorder.wait_for(types.ToolListChangedNotification)
        assert "extra" in {t.name for t in (await session.list_tools()).tools}
        assert text_of(await session.call_tool("extra", {})) == "extra"

        recorder.notifications.clear()
        assert text_of(await session.call_tool("toggle_tool", {})) == "extra off"
        await recorder.wait_for(types.ToolListChangedNotification)
        assert "extra" not in {t.name for t in (await session.list_tools()).tools}


async def test_resources_templates_and_subscription(tmp_path):
    async with stdio_session(tmp_path) as (session, recorder, _):
        resources = (await session.list_resources()).resources
        assert [str(r.uri) for r in resources] == ["fixture://greeting"]
        greeting = await session.read_resource("fixture://greeting")
        assert greeting.contents[0].text == "Hello from the Portcullis fixture server!"

        templates = (await session.list_resource_templates()).resource_templates
        assert [t.uri_template for t in templates] == ["fixture://items/{id}"]
        assert (await session.read_resource("fixture://items/7")).contents[0].text == "item 7 (version 0)"

        # Not subscribed: no notification.
        await session.call_tool("touch_item", {"id": "7"})
        await session.subscribe_resource("fixture://items/7")
        assert text_of(await session.call_tool("touch_item", {"id": "7"})) == "fixture://items/7 is now version 2"
        updated = await recorder.wait_for(types.ResourceUpdatedNotification)
        assert str(updated.params.uri) == "fixture://items/7"
        assert (await session.read_resource("fixture://items/7")).contents[0].text == "item 7 (version 2)"
        assert sum(isinstance(n, types.ResourceUpdatedNotification) for n in recorder.notifications) == 1

        await session.unsubscribe_resource("fixture://items/7")
        recorder.notifications.clear()
        await session.call_tool("touch_item", {"id": "7"})
        await anyio.sleep(0.2)
        assert not any(isinstance(n, types.ResourceUpdatedNotification) for n in recorder.notifications)


async def test_prompts_and_completions(tmp_path):
    async with stdio_session(tmp_path) as (session, _, _):
        prompts = (await session.list_prompts()).prompts
        assert [(p.name, [(a.name, a.required) for a in p.arguments]) for p in prompts] == [("review", [("code", True)])]
        got = await session.get_prompt("review", {"code": "print(1)"})
        assert got.messages[0].role == "user"
        assert "print(1)" in got.messages[0].content.text

        code = await session.complete(types.PromptReference(type="ref/prompt", name="review"), {"name": "code", "value": "def "})
        assert code.completion.values == ["def add(a, b): return a + b", "def hello(): print('hello')"]
        ids = await session.complete(
            types.ResourceTemplateReference(type="ref/resource", uri="fixture://items/{id}"), {"name": "id", "value": "1"}
        )
        assert ids.completion.values == ["1", "10"]


# ------------------------------------------------------ crash and faults (raw stdio)


def raw(env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(SERVER)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )


def send(proc: subprocess.Popen, message: dict) -> None:
    proc.stdin.write(json.dumps(message).encode() + b"\n")
    proc.stdin.flush()


def handshake(proc: subprocess.Popen) -> None:
    send(proc, INIT)
    assert json.loads(proc.stdout.readline())["id"] == 1
    send(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"})


def test_crash_exits_with_code_3():
    proc = raw()
    handshake(proc)
    send(proc, {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "crash", "arguments": {}}})
    assert proc.wait(timeout=10) == 3
    assert proc.stdout.read() == b""  # never answered
    assert b"crash: exiting with code 3" in proc.stderr.read()


def test_exit_at_start():
    proc = raw({"FIXTURE_EXIT_AT_START": "1"})
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 2
    assert out == b""
    assert b"FIXTURE_EXIT_AT_START" in err


def test_never_initialize():
    proc = raw({"FIXTURE_NEVER_INITIALIZE": "1"})
    send(proc, INIT)
    try:
        proc.wait(timeout=1.0)
        pytest.fail("exited instead of hanging")
    except subprocess.TimeoutExpired:
        pass
    out, _ = proc.communicate(timeout=10)  # closes stdin: EOF ends it
    assert out == b""
    assert proc.returncode == 0


def test_garbage_before_each_response():
    proc = raw({"FIXTURE_GARBAGE": "1"})
    send(proc, INIT)
    send(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"})
    send(proc, {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "echo", "arguments": {"text": "x"}}})
    lines = [proc.stdout.readline() for _ in range(4)]
    proc.stdin.close()
    proc.wait(timeout=10)
    assert lines[0] == lines[2] == b"this is not JSON-RPC\n"
    assert json.loads(lines[1])["id"] == 1
    assert json.loads(lines[3])["id"] == 2


@pytest.mark.parametrize("size", [50, 1 << 20])
def test_huge_line_first(size):
    proc = raw({"FIXTURE_HUGE_LINE": str(size)})
    first = proc.stdout.readline()
    assert len(first) == size + 1 and first.endswith(b"\n")
    if size >= 200:
        assert json.loads(first)["method"] == "notifications/message"
    handshake(proc)  # then serves normally
    proc.stdin.close()
    assert proc.wait(timeout=10) == 0


# ------------------------------------------------------------ HTTP and SSE


@pytest.fixture(params=["--http", "--sse"])
def http_server(request):
    with fixture_server_over_http(request.param) as url:
        yield request.param, url


async def test_over_http(http_server):
    flag, url = http_server
    transport = streamable_http_client(url) if flag == "--http" else sse_client(url)
    recorder = Recorder()
    progress = []

    async def on_progress(p, total, message):
        progress.append(p)

    async with transport as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write, **recorder.session_kwargs()) as session:
            await session.initialize()
            assert session.initialize_result.server_info.name == "portcullis-fixture"
            assert text_of(await session.call_tool("echo", {"text": "over http"})) == "over http"
            result = await session.call_tool("slow", {"seconds": 0.1, "steps": 2}, progress_callback=on_progress)
            assert text_of(result) == "slept 0.1s in 2 steps"
            assert progress == [1, 2]
            assert text_of(await session.call_tool("ask_model", {"prompt": "hi"})) == "model says: hi"
            got = await session.read_resource("fixture://items/3")
            assert got.contents[0].text.startswith("item 3 ")


# ------------------------------------------------- the config file and the image

CONFIG = SERVER.parent / "claude_desktop_config.json"
IMAGE = "portcullis-test/mcp-upstream:1"


async def test_claude_config_fixture_entry_runs():
    """The `fixture` entry of claude_desktop_config.json (command/args/env, relative to the repo) works."""
    entry = json.loads(CONFIG.read_text())["mcpServers"]["fixture"]
    command = sys.executable if entry["command"] == "python3" else entry["command"]
    params = StdioServerParameters(command=command, args=entry["args"], env=entry["env"], cwd=SERVER.parents[3])
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            assert session.initialize_result.server_info.name == entry["env"]["FIXTURE_SERVER_NAME"]


def image_present() -> bool:
    try:
        return subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.skipif(not image_present(), reason=f"{IMAGE} not built (scripts/test-images.sh)")
@pytest.mark.parametrize(
    "command, tool",
    [(["python3", "/opt/fixture/everything_server.py"], "echo"), (["mcp-server-fetch"], "fetch"), (["mcp-server-git"], "git_status")],
)
async def test_image_entry_points_over_attached_stdio(command, tool):
    params = StdioServerParameters(command="docker", args=["run", "-i", "--rm", "--network", "none", IMAGE, *command])
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            assert tool in {t.name for t in (await session.list_tools()).tools}
            if tool == "echo":
                assert text_of(await session.call_tool("echo", {"text": "from docker"})) == "from docker"
