"""Upstream MCP servers through Portcullis: the fixture server (written with
the official Python SDK) as a `command` upstream and from a Claude Desktop
`mcpServers` file, through a real MCP client over stdio.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client

from conftest import REPO, fixture_server_over_http, install, server, text_of

pytestmark = pytest.mark.anyio

FIXTURE = REPO / "tests" / "fixtures" / "upstream" / "everything_server.py"
DESKTOP_CONFIG = FIXTURE.parent / "claude_desktop_config.json"
OLD_REVISION = FIXTURE.parent / "old_revision_server.py"


def config_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "portcullis.toml"
    path.write_text(body)
    return path


def fixture_server(name: str = "fixture", **env: str) -> str:
    pairs = ", ".join(f'{k} = "{v}"' for k, v in env.items())
    return f"""
[servers.{name}]
command = ["{sys.executable}", "{FIXTURE}"]
env = {{ {pairs} }}
startup_timeout_secs = 20
max_restarts = 2
"""


async def tool_names(client) -> set[str]:
    return {tool.name for tool in (await client.list_tools()).tools}


async def wait_for_tool(client, name: str, present: bool = True, seconds: float = 30) -> set[str]:
    """The tool list once `name` is in it (or gone from it); the host starts upstreams in the background."""
    with anyio.fail_after(seconds):
        while True:
            names = await tool_names(client)
            if (name in names) == present:
                return names
            await anyio.sleep(0.2)


def host(portcullis_bin, plugin_dir, cache_dir, *args, env=None):
    return Client(server(portcullis_bin, plugin_dir, cache_dir, *args, env=env), mode="legacy")


async def test_a_command_upstream_is_served_with_prefixed_names(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    config = config_file(tmp_path, fixture_server(FIXTURE_SERVER_NAME="from-portcullis"))
    async with host(portcullis_bin, plugin_dir, cache_dir, "--config", str(config)) as client:
        names = await wait_for_tool(client, "fixture__echo")
        assert {"fixture__add", "fixture__slow", "check_engine"} <= names, names
        echoed = await client.call_tool("fixture__echo", {"text": "through the gateway"})
        assert not echoed.is_error and text_of(echoed) == "through the gateway", echoed
        added = await client.call_tool("fixture__add", {"a": 2, "b": 40})
        assert "42" in text_of(added), added

        greeting = await client.read_resource("fixture://greeting")
        assert greeting.contents and greeting.contents[0].text, greeting
        item = await client.read_resource("fixture://items/7")
        assert "item 7" in item.contents[0].text, item

        prompts = {p.name for p in (await client.list_prompts()).prompts}
        assert "fixture__review" in prompts, prompts
        rendered = await client.get_prompt("fixture__review", {"code": "x = 1"})
        assert "x = 1" in rendered.messages[0].content.text, rendered

        progress: list[float] = []

        async def on_progress(value, total, message):
            progress.append(value)

        slow = await client.call_tool("fixture__slow", {"seconds": 0.6, "steps": 3}, progress_callback=on_progress)
        assert not slow.is_error, slow
        assert progress == [1, 2, 3] or len(progress) >= 2, progress

        # An upstream's own error is a tool result, never a protocol error.
        bad = await client.call_tool("fixture__add", {"a": "not a number", "b": 1})
        assert bad.is_error, bad


@pytest.mark.parametrize("flag", ["--http", "--sse"])
async def test_a_url_upstream_serves_over_streamable_http_or_legacy_sse(
    portcullis_bin, plugin_dir, cache_dir, tmp_path, flag
):
    """A second server process on loopback, reached by `url`: over Streamable
    HTTP, or (its URL answering only that way) legacy HTTP+SSE; its headers
    carry a secret from the host's environment."""
    with fixture_server_over_http(flag) as url:
        body = f'[servers.remote]\nurl = "{url}"\nheaders = {{ "X-Fixture-Token" = "${{FIXTURE_TOKEN}}" }}\n'
        config = config_file(tmp_path, body)
        env = {"FIXTURE_TOKEN": "token-from-env"}
        async with host(portcullis_bin, plugin_dir, cache_dir, "--config", str(config), env=env) as client:
            await wait_for_tool(client, "remote__echo")
            echoed = await client.call_tool("remote__echo", {"text": f"over {flag}"})
            assert text_of(echoed) == f"over {flag}", echoed
            token = await client.call_tool("remote__header", {"name": "x-fixture-token"})
            assert text_of(token) == "token-from-env", token
            greeting = await client.read_resource("fixture://greeting")
            assert greeting.contents and greeting.contents[0].text, greeting
            rendered = await client.get_prompt("remote__review", {"code": "y = 2"})
            assert "y = 2" in rendered.messages[0].content.text, rendered
            progress: list[float] = []

            async def on_progress(value, total, message):
                progress.append(value)

            slow = await client.call_tool("remote__slow", {"seconds": 0.3, "steps": 3}, progress_callback=on_progress)
            assert not slow.is_error and len(progress) >= 2, (slow, progress)


async def test_an_upstream_that_speaks_only_2024_11_05_is_served(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    config = config_file(tmp_path, f'[servers.old]\ncommand = ["{sys.executable}", "{OLD_REVISION}"]\n')
    for mode in ["legacy", "2026-07-28"]:
        params = server(portcullis_bin, plugin_dir, cache_dir, "--config", str(config))
        async with Client(params, mode=mode) as client:
            await wait_for_tool(client, "old__echo")
            echoed = await client.call_tool("old__echo", {"text": "from 2026" if mode != "legacy" else "hi"})
            assert not echoed.is_error and text_of(echoed) in {"from 2026", "hi"}, echoed
            added = await client.call_tool("old__add", {"a": 1, "b": 2})
            assert text_of(added) == "3", added
            memo = await client.read_resource("memo://greeting")
            assert memo.contents[0].text == "hello from 2024", memo
            hello = await client.get_prompt("old__hello", {"who": "Ada"})
            assert hello.messages[0].content.text == "Hello, Ada!", hello


async def test_list_changes_of_an_upstream_reach_the_client(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    config = config_file(tmp_path, fixture_server())
    async with host(portcullis_bin, plugin_dir, cache_dir, "--config", str(config)) as client:
        await wait_for_tool(client, "fixture__toggle_tool")
        assert "fixture__extra" not in await tool_names(client)
        toggled = await client.call_tool("fixture__toggle_tool", {})
        assert "extra on" in text_of(toggled), toggled
        await wait_for_tool(client, "fixture__extra", seconds=10)
        extra = await client.call_tool("fixture__extra", {})
        assert text_of(extra) == "extra", extra


async def test_a_crashed_upstream_restarts_and_its_tools_stay(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    config = config_file(tmp_path, fixture_server())
    async with host(portcullis_bin, plugin_dir, cache_dir, "--config", str(config)) as client:
        await wait_for_tool(client, "fixture__crash")
        crashed = await client.call_tool("fixture__crash", {})
        assert crashed.is_error and "fixture" in text_of(crashed), crashed
        # Calls during the outage fail at once, naming the server and its state.
        outage = await client.call_tool("fixture__echo", {"text": "during"})
        if outage.is_error:
            assert "server `fixture`" in text_of(outage), outage
        assert "fixture__echo" in await tool_names(client), "the tools stay published while it restarts"
        with anyio.fail_after(20):
            while True:
                again = await client.call_tool("fixture__echo", {"text": "after"})
                if not again.is_error:
                    break
                await anyio.sleep(0.3)
        assert text_of(again) == "after"
        assert "check_engine" in await tool_names(client), "plugins kept serving"


async def test_an_upstream_that_exits_at_start_fails_alone(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    config = config_file(tmp_path, fixture_server("broken", FIXTURE_EXIT_AT_START="1") + fixture_server("good"))
    async with host(portcullis_bin, plugin_dir, cache_dir, "--config", str(config)) as client:
        names = await wait_for_tool(client, "good__echo")
        assert not any(n.startswith("broken__") for n in names), names
        install(plugin_dir, "hello")
        await wait_for_tool(client, "hello")
        hello = await client.call_tool("hello", {"name": "still here"})
        assert not hello.is_error, hello


async def test_a_claude_desktop_config_loads_unchanged(portcullis_bin, plugin_dir, cache_dir):
    """The file as Claude Desktop writes it: the entries that can run here
    (the fixture) serve; the ones that cannot (npx, uvx offline) fail alone."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    params = server(portcullis_bin, plugin_dir, cache_dir, "--servers", str(DESKTOP_CONFIG), env={"PATH": path})
    params.cwd = str(REPO)
    async with Client(params, mode="legacy") as client:
        await wait_for_tool(client, "fixture__echo")
        echoed = await client.call_tool("fixture__echo", {"text": "imported"})
        assert text_of(echoed) == "imported", echoed


def server_containers(name: str) -> list[str]:
    out = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=portcullis.server={name}"], check=True, capture_output=True, text=True
    ).stdout
    return out.split()


async def test_a_container_upstream_survives_docker_kill_and_leaves_nothing(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    """The fixture server in the test image, attached through the engine: a
    `docker kill` restarts it, its tools come back, and nothing is left after."""
    config = config_file(
        tmp_path,
        """
[docker]
images = ["portcullis-test/*"]

[servers.boxed]
image = "portcullis-test/mcp-upstream:1"
env = { FIXTURE_SERVER_NAME = "in-a-box" }
startup_timeout_secs = 30
""",
    )
    async with host(portcullis_bin, plugin_dir, cache_dir, "--config", str(config)) as client:
        await wait_for_tool(client, "boxed__echo")
        echoed = await client.call_tool("boxed__echo", {"text": "from the container"})
        assert text_of(echoed) == "from the container", echoed
        [first] = server_containers("boxed")
        inspect = subprocess.run(
            ["docker", "inspect", "-f", "{{.HostConfig.NetworkMode}} {{.HostConfig.CapDrop}} {{.Config.OpenStdin}}", first],
            check=True, capture_output=True, text=True,
        ).stdout.split()
        assert inspect == ["none", "[ALL]", "true"], inspect

        subprocess.run(["docker", "kill", first], check=True, capture_output=True)
        with anyio.fail_after(30):
            while True:
                again = await client.call_tool("boxed__echo", {"text": "back"})
                if not again.is_error:
                    break
                assert "server `boxed`" in text_of(again), again
                await anyio.sleep(0.3)
        assert text_of(again) == "back"
        assert first not in server_containers("boxed"), "the killed container was removed"
    with anyio.fail_after(10):
        while server_containers("boxed"):
            await anyio.sleep(0.2)


async def test_a_denied_image_stops_only_that_server(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    config = config_file(
        tmp_path,
        """
[docker]
images = ["python:*"]

[servers.boxed]
image = "portcullis-test/mcp-upstream:1"
max_restarts = 0
"""
        + fixture_server("good"),
    )
    async with host(portcullis_bin, plugin_dir, cache_dir, "--config", str(config)) as client:
        names = await wait_for_tool(client, "good__echo")
        assert not any(n.startswith("boxed__") for n in names), names
    assert server_containers("boxed") == []


@pytest.mark.parametrize(
    "fault",
    [
        {"FIXTURE_GARBAGE": "1"},
        {"FIXTURE_HUGE_LINE": str(50 * 1024 * 1024)},
    ],
    ids=["garbage-on-stdout", "a-50-MB-line"],
)
async def test_an_upstream_writing_junk_on_stdout_still_serves(portcullis_bin, plugin_dir, cache_dir, tmp_path, fault):
    """Lines that are not JSON-RPC (or longer than the 16 MiB line cap) are
    skipped; the server's real answers still arrive, and others are unaffected."""
    config = config_file(tmp_path, fixture_server("junk", **fault) + fixture_server("good"))
    async with host(portcullis_bin, plugin_dir, cache_dir, "--config", str(config)) as client:
        await wait_for_tool(client, "junk__echo")
        echoed = await client.call_tool("junk__echo", {"text": "despite the junk"})
        assert text_of(echoed) == "despite the junk", echoed
        await wait_for_tool(client, "good__echo")
        good = await client.call_tool("good__echo", {"text": "unaffected"})
        assert text_of(good) == "unaffected", good


async def test_an_upstream_that_never_answers_initialize_times_out(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    silent = fixture_server("silent", FIXTURE_NEVER_INITIALIZE="1").replace("startup_timeout_secs = 20", "startup_timeout_secs = 1")
    config = config_file(tmp_path, silent + fixture_server("good"))
    async with host(portcullis_bin, plugin_dir, cache_dir, "--config", str(config)) as client:
        names = await wait_for_tool(client, "good__echo")
        assert not any(n.startswith("silent__") for n in names), names
        good = await client.call_tool("good__echo", {"text": "unaffected"})
        assert text_of(good) == "unaffected", good


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_an_upstreams_sampling_elicitation_and_roots_reach_the_calling_client(
    portcullis_bin, plugin_dir, cache_dir, tmp_path, mode
):
    """As requests to a client that began with `initialize`; as input-required
    results, answered and retried, to a 2026-07-28 client."""
    from mcp import types

    async def sampling(context, params):
        return types.CreateMessageResult(
            role="assistant", content=types.TextContent(type="text", text=f"model: {params.messages[0].content.text}"), model="m"
        )

    async def elicitation(context, params):
        return types.ElicitResult(action="accept", content={"answer": "teal"})

    async def roots(context):
        return types.ListRootsResult(roots=[types.Root(uri="file:///work/here", name="here")])

    config = config_file(tmp_path, fixture_server())
    params = server(portcullis_bin, plugin_dir, cache_dir, "--config", str(config))
    callbacks = dict(sampling_callback=sampling, elicitation_callback=elicitation, list_roots_callback=roots)
    async with Client(params, mode=mode, **callbacks) as client:
        await wait_for_tool(client, "fixture__ask_model")
        sampled = await client.call_tool("fixture__ask_model", {"prompt": "2+2?"})
        assert text_of(sampled) == "model: 2+2?", sampled
        asked = await client.call_tool("fixture__ask_user", {"question": "Colour?"})
        assert text_of(asked) == "accept: teal", asked
        listed = await client.call_tool("fixture__list_roots", {})
        assert "file:///work/here" in text_of(listed), listed


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_upstreams_over_http_with_their_state_in_readyz_and_metrics(portcullis_bin, plugin_dir, cache_dir, mode):
    """Both eras of Streamable HTTP reach an upstream; a failed one is in
    /readyz with its stderr as the reason and in /metrics, and the host stays ready."""
    import httpx

    from test_http import http_server

    broken = fixture_server("broken", FIXTURE_EXIT_AT_START="1").replace("max_restarts = 2", "max_restarts = 0")
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=fixture_server() + broken) as srv:
        async with Client(srv.url, mode=mode) as client:
            await wait_for_tool(client, "fixture__echo")
            echoed = await client.call_tool("fixture__echo", {"text": "over http"})
            assert text_of(echoed) == "over http", echoed
        with anyio.fail_after(20):
            while True:
                ready = httpx.get(f"{srv.base}/readyz").json()
                if ready["servers"]["broken"]["state"] == "failed":
                    break
                await anyio.sleep(0.2)
        assert ready["status"] == "ready" and ready["servers"]["fixture"]["state"] == "running", ready
        assert "exiting at start" in ready["servers"]["broken"]["reason"], ready
        metrics = httpx.get(f"{srv.base}/metrics").text
        assert 'portcullis_upstream_state{server="broken",state="failed"} 1' in metrics, metrics
        assert 'portcullis_upstream_state{server="fixture",state="running"} 1' in metrics
        assert 'portcullis_upstream_call_duration_seconds_count{server="fixture"} 1' in metrics, metrics


async def test_a_servers_principals_limit_who_sees_and_calls_it(portcullis_bin, plugin_dir, cache_dir):
    """`principals` globs: a key that matches sees and calls the server's
    tools, prompts and resources; another key finds none of them."""
    from test_http import client_with_token, http_server

    private = fixture_server("private").replace("max_restarts = 2", 'max_restarts = 2\nprincipals = ["key:ci-*"]')
    keys = '[http.api_keys]\nci-runner = "key-of-ci-0123456789"\nvisitor = "key-of-visitor-0123456789"\n'
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=keys + private) as srv:
        async with client_with_token(srv.url, "key-of-ci-0123456789", "legacy") as ci:
            await wait_for_tool(ci, "private__echo")
            echoed = await ci.call_tool("private__echo", {"text": "mine"})
            assert text_of(echoed) == "mine", echoed
        async with client_with_token(srv.url, "key-of-visitor-0123456789", "legacy") as visitor:
            assert not any(n.startswith("private__") for n in await tool_names(visitor))
            assert "private__review" not in {p.name for p in (await visitor.list_prompts()).prompts}
            with pytest.raises(Exception, match="unknown tool"):
                await visitor.call_tool("private__echo", {"text": "theirs"})


async def test_a_container_upstreams_limits_and_mounts_pass_the_policy(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    """Its own memory limit and an allowed read-only mount reach the engine;
    a mount outside `docker.mount_allow` stops only that server."""
    shared = tmp_path / "shared"
    shared.mkdir()
    config = config_file(
        tmp_path,
        f"""
[docker]
images = ["portcullis-test/*"]
mount_allow = ["{shared}"]

[servers.boxed]
image = "portcullis-test/mcp-upstream:1"
memory_mib = 96
pids = 64
mounts = [{{ host_path = "{shared}", container_path = "/data", read_only = true }}]

[servers.escaping]
image = "portcullis-test/mcp-upstream:1"
mounts = [{{ host_path = "/etc", container_path = "/host-etc" }}]
max_restarts = 0
""",
    )
    async with host(portcullis_bin, plugin_dir, cache_dir, "--config", str(config)) as client:
        names = await wait_for_tool(client, "boxed__echo")
        [box] = server_containers("boxed")
        inspect = subprocess.run(
            ["docker", "inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{range .Mounts}}{{.Destination}}:{{.RW}}{{end}}", box],
            check=True, capture_output=True, text=True,
        ).stdout.split()
        assert inspect == [str(96 << 20), "64", "/data:false"], inspect
        assert not any(n.startswith("escaping__") for n in names), names
        assert server_containers("escaping") == []


async def test_tool_call_policies_judge_upstream_tools_too(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    """The bundled tool-rules policy denies an upstream tool by `<server>/<tool>`
    and by argument, before the server sees the call."""
    rules = '[plugins.tool-rules.settings]\ndeny = ["fixture/crash"]\ndeny_arguments = ["-----BEGIN"]\n'
    config = config_file(tmp_path, rules + fixture_server())
    async with host(portcullis_bin, plugin_dir, cache_dir, "--config", str(config)) as client:
        await wait_for_tool(client, "fixture__crash")
        denied = await client.call_tool("fixture__crash", {})
        assert denied.is_error and "plugins.tool-rules.settings.deny" in text_of(denied), denied
        leaked = await client.call_tool("fixture__echo", {"text": "-----BEGIN PRIVATE KEY-----"})
        assert leaked.is_error and "deny_arguments" in text_of(leaked), leaked
        # The server never saw the crash call: it still answers.
        echoed = await client.call_tool("fixture__echo", {"text": "alive"})
        assert text_of(echoed) == "alive", echoed


async def test_cancelling_a_call_cancels_it_upstream(portcullis_bin, plugin_dir, cache_dir):
    """A client that gives up on a call: the upstream is told (its own stderr says so)."""
    from test_http import http_server

    with http_server(portcullis_bin, plugin_dir, cache_dir, config=fixture_server()) as srv:
        async with Client(srv.url, mode="legacy") as client:
            await wait_for_tool(client, "fixture__slow")
            with anyio.move_on_after(1):
                await client.call_tool("fixture__slow", {"seconds": 20, "steps": 20})
            with anyio.fail_after(10):
                while "slow: cancelled at step" not in srv.log:
                    await anyio.sleep(0.1)
            echoed = await client.call_tool("fixture__echo", {"text": "next"})
            assert text_of(echoed) == "next", echoed


async def test_session_scoped_servers_give_each_session_its_own_instance(portcullis_bin, plugin_dir, cache_dir):
    """Four HTTP sessions get four containers of a `scope = "session"`
    server; when they end, none remains. A stateless client's instance,
    which no session end reclaims, goes once it is idle."""
    from test_http import http_server

    config = """
[docker]
images = ["portcullis-test/*"]

[servers.boxed]
image = "portcullis-test/mcp-upstream:1"
scope = "session"
idle_timeout_secs = 2
"""
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=config) as srv:
        async with Client(srv.url, mode="legacy") as first:
            await wait_for_tool(first, "boxed__toggle_tool")
            async with Client(srv.url, mode="legacy") as second, Client(srv.url, mode="legacy") as third:
                async with Client(srv.url, mode="legacy") as fourth:
                    clients = [first, second, third, fourth]
                    for i, client in enumerate(clients):
                        echoed = await client.call_tool("boxed__echo", {"text": f"session {i}"})
                        assert text_of(echoed) == f"session {i}", echoed
                    assert len(server_containers("boxed")) == 4, server_containers("boxed")
                    # Each session's server has its own state.
                    assert "extra on" in text_of(await first.call_tool("boxed__toggle_tool", {}))
                    assert "extra on" in text_of(await second.call_tool("boxed__toggle_tool", {}))
        with anyio.fail_after(15):
            while server_containers("boxed"):
                await anyio.sleep(0.2)
        async with Client(srv.url, mode="2026-07-28") as stateless:
            assert text_of(await stateless.call_tool("boxed__echo", {"text": "stateless"})) == "stateless"
            assert len(server_containers("boxed")) == 1, server_containers("boxed")
        with anyio.fail_after(20):
            while server_containers("boxed"):
                await anyio.sleep(0.2)


async def test_servers_in_containers_runs_an_mcp_servers_command_in_its_image(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    """With `servers_in_containers`, a `command` entry of an mcpServers file
    runs in the image configured for its program, not on the host."""
    desktop = tmp_path / "claude_desktop_config.json"
    desktop.write_text(
        '{"mcpServers": {"contained": {"command": "python3", "args": ["/opt/fixture/everything_server.py"],'
        ' "env": {"FIXTURE_SERVER_NAME": "contained"}}}}'
    )
    config = config_file(
        tmp_path,
        f"""
servers_file = "{desktop}"
servers_in_containers = true

[servers_images]
python3 = "portcullis-test/mcp-upstream:1"

[docker]
images = ["portcullis-test/*"]
""",
    )
    async with host(portcullis_bin, plugin_dir, cache_dir, "--config", str(config)) as client:
        await wait_for_tool(client, "contained__echo")
        echoed = await client.call_tool("contained__echo", {"text": "in its image"})
        assert text_of(echoed) == "in its image", echoed
        assert len(server_containers("contained")) == 1


async def test_a_session_of_a_client_killed_with_sigkill_leaves_nothing(portcullis_bin, plugin_dir, cache_dir):
    """A client killed with SIGKILL sends no DELETE: its session ends after
    `http.session_idle_secs`, and its session-scoped container with it."""
    from test_http import http_server

    config = """
[http]
session_idle_secs = 10

[docker]
images = ["portcullis-test/*"]

[servers.boxed]
image = "portcullis-test/mcp-upstream:1"
scope = "session"
"""
    client = """
import sys, time, anyio
from mcp import Client

async def main():
    async with Client(sys.argv[1], mode="legacy") as client:
        for _ in range(300):
            if "boxed__echo" in {t.name for t in (await client.list_tools()).tools}:
                break
            await anyio.sleep(0.1)
        await client.call_tool("boxed__echo", {"text": "x"})
        print("called", flush=True)
        time.sleep(600)

anyio.run(main)
"""
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=config) as srv:
        proc = subprocess.Popen([sys.executable, "-c", client, srv.url], stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() == "called"
            assert len(server_containers("boxed")) == 1, server_containers("boxed")
        finally:
            proc.kill()
            proc.wait()
        with anyio.fail_after(40):
            while server_containers("boxed"):
                await anyio.sleep(0.2)
