"""The sandbox plugin against the real Docker engine, through a real MCP client over stdio.

Needs the test images (scripts/test-images.sh) and the local package index
(scripts/build-test-wheel.sh); scripts/setup.sh builds both.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import signal
import subprocess
import threading
from pathlib import Path

import anyio
import pytest
from mcp import Client

from conftest import REPO, server, text_of

pytestmark = pytest.mark.anyio

IMAGE = "portcullis-test/python:3"
BRIDGE = "172.17.0.1"  # the docker0 bridge: how a container on the default network reaches the host


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], check=True, capture_output=True, text=True).stdout.strip()


def managed(kind: str = "ps") -> set[str]:
    """Ids of every container (or volume) a Portcullis instance labelled as its own."""
    if kind == "ps":
        out = docker("ps", "-aq", "--filter", "label=portcullis.managed=true")
    else:
        out = docker("volume", "ls", "-q", "--filter", "label=portcullis.managed=true")
    return set(out.split())


@pytest.fixture(scope="module")
def package_index():
    """The local package index, served on all interfaces so containers reach it."""
    root = REPO / "target" / "test-index"
    if not (root / "simple" / "portcullis-probe").is_dir():
        pytest.fail(f"{root} is missing: run scripts/setup.sh (scripts/build-test-wheel.sh)")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("0.0.0.0", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://{BRIDGE}:{httpd.server_address[1]}/simple"
    httpd.shutdown()


@pytest.fixture
def config(tmp_path: Path, package_index: str) -> Path:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "data.txt").write_text("from the host\n")
    (allowed / "escape").symlink_to("/etc")
    path = tmp_path / "portcullis.toml"
    path.write_text(
        f"""
[docker]
images = ["portcullis-test/*"]
default_image = "{IMAGE}"
mount_allow = ["{allowed}"]
output_cap_bytes = 65536

[install]
pip_index_url = "{package_index}"

[plugins.sandbox]
grants = ["docker", "install-network"]
"""
    )
    return path


def sandbox(portcullis_bin, plugin_dir, cache_dir, config, env=None):
    return Client(server(portcullis_bin, plugin_dir, cache_dir, "--config", str(config), env=env), mode="legacy")


async def create(client, **args) -> str:
    result = await client.call_tool("create_container", args)
    assert not result.is_error, text_of(result)
    return result.structured_content["id"]


async def run(client, container: str, command: str, **args):
    return await client.call_tool("execute_code", {"container_id": container, "command": command, **args})


async def test_check_engine_and_list(portcullis_bin, plugin_dir, cache_dir, config):
    async with sandbox(portcullis_bin, plugin_dir, cache_dir, config) as client:
        engine = await client.call_tool("check_engine", {})
        assert not engine.is_error, text_of(engine)
        container = await create(client)
        listed = await client.call_tool("list_containers", {})
        assert container[:12] in text_of(listed) or container in json.dumps(listed.structured_content)


async def test_python_script_installs_what_it_imports(portcullis_bin, plugin_dir, cache_dir, config):
    async with sandbox(portcullis_bin, plugin_dir, cache_dir, config) as client:
        container = await create(client)
        script = "import portcullis_probe\nprint('probe', portcullis_probe.VALUE)\n"
        result = await client.call_tool("execute_python_script", {"container_id": container, "script": script, "timeout": 120})
        assert not result.is_error, text_of(result)
        assert "probe 42" in text_of(result)


async def test_timeout_kills_the_process_group(portcullis_bin, plugin_dir, cache_dir, config):
    async with sandbox(portcullis_bin, plugin_dir, cache_dir, config) as client:
        container = await create(client)
        result = await run(client, container, "sleep 300 & sleep 301; echo never", timeout=2)
        assert result.is_error
        assert result.structured_content["reason"] == "timeout"
        ps = await run(client, container, "ps -eo args")
        assert "sleep 30" not in text_of(ps), text_of(ps)


async def test_cancellation_kills_the_process(portcullis_bin, plugin_dir, cache_dir, config):
    async with sandbox(portcullis_bin, plugin_dir, cache_dir, config) as client:
        container = await create(client)
        with anyio.move_on_after(2):
            await run(client, container, "sleep 302", timeout=60)
        await anyio.sleep(1)
        ps = await run(client, container, "ps -eo args")
        assert "sleep 302" not in text_of(ps), text_of(ps)


async def test_output_is_capped_with_a_note(portcullis_bin, plugin_dir, cache_dir, config):
    async with sandbox(portcullis_bin, plugin_dir, cache_dir, config) as client:
        container = await create(client)
        result = await run(client, container, "python3 -c \"print('x' * 1000000)\"", stream=False)
        assert result.structured_content["truncated"] is True
        assert len(result.structured_content["stdout"]) <= 65536
        assert "truncated" in text_of(result).lower() or "cut" in text_of(result).lower()


async def test_out_of_memory_is_reported(portcullis_bin, plugin_dir, cache_dir, config):
    async with sandbox(portcullis_bin, plugin_dir, cache_dir, config) as client:
        container = await create(client, memory_mib=64)
        result = await run(client, container, "python3 -c \"b = bytearray(512 * 1024 * 1024); print(len(b))\"")
        assert result.is_error
        assert result.structured_content["reason"] == "out-of-memory", text_of(result)


async def test_network_is_off_by_default(portcullis_bin, plugin_dir, cache_dir, config, package_index):
    async with sandbox(portcullis_bin, plugin_dir, cache_dir, config) as client:
        container = await create(client)
        probe = f"import urllib.request; urllib.request.urlopen('{package_index}/', timeout=3); print('reached')"
        result = await run(client, container, f'python3 -c "{probe}"')
        assert result.is_error
        assert "reached" not in text_of(result)


@pytest.mark.parametrize(
    ("host_path", "setting"),
    [
        ("/var/run/docker.sock", "never"),
        ("/etc", "docker.mount_allow"),
        ("{allowed}/escape", "docker.mount_allow"),
    ],
)
async def test_denied_mounts_name_the_setting(portcullis_bin, plugin_dir, cache_dir, config, host_path, setting):
    before = managed()
    host_path = host_path.format(allowed=config.parent / "allowed")
    async with sandbox(portcullis_bin, plugin_dir, cache_dir, config) as client:
        result = await client.call_tool(
            "create_container", {"mounts": [{"host_path": host_path, "container_path": "/mnt/x"}]}
        )
        assert result.is_error
        assert setting in text_of(result), text_of(result)
    assert managed() == before


async def test_an_allowed_mount_is_readable(portcullis_bin, plugin_dir, cache_dir, config):
    allowed = config.parent / "allowed"
    async with sandbox(portcullis_bin, plugin_dir, cache_dir, config) as client:
        container = await create(client, mounts=[{"host_path": str(allowed), "container_path": "/mnt/in"}])
        result = await run(client, container, "cat /mnt/in/data.txt")
        assert text_of(result).count("from the host") >= 1


async def test_denied_image_names_the_setting(portcullis_bin, plugin_dir, cache_dir, config):
    async with sandbox(portcullis_bin, plugin_dir, cache_dir, config) as client:
        result = await client.call_tool("create_container", {"image": "python:3.12-slim"})
        assert result.is_error
        assert "docker.images" in text_of(result)


async def test_files_round_trip_and_traversal_is_refused(portcullis_bin, plugin_dir, cache_dir, config):
    async with sandbox(portcullis_bin, plugin_dir, cache_dir, config) as client:
        container = await create(client)
        written = await client.call_tool("write_file", {"container_id": container, "path": "/workspace/a/b.txt", "content": "hi there"})
        assert not written.is_error, text_of(written)
        read = await client.call_tool("read_file", {"container_id": container, "path": "/workspace/a/b.txt"})
        assert "hi there" in text_of(read)
        escape = await client.call_tool("read_file", {"container_id": container, "path": "/workspace/../etc/passwd"})
        assert escape.is_error


async def test_apt_installs_a_debian_package_in_two_steps(portcullis_bin, plugin_dir, cache_dir, config):
    """End to end with Debian's own mirror: the image ships no package lists, so
    this works only if `apt-get update` runs before `apt-get install`, both in
    the hardened container (no capabilities) with the install network."""
    async with sandbox(portcullis_bin, plugin_dir, cache_dir, config) as client:
        container = await create(client)
        before = await run(client, container, "command -v tree || echo absent")
        assert "absent" in text_of(before)
        result = await client.call_tool(
            "add_dependencies", {"container_id": container, "packages": ["tree"], "package_manager": "apt"}
        )
        assert not result.is_error, text_of(result)
        steps = result.structured_content["steps"]
        assert [step["argv"][-1] for step in steps] == ["update", "tree"], steps
        after = await run(client, container, "tree --version")
        assert not after.is_error and "tree v" in text_of(after), text_of(after)
        # The install network was only lent: the container is offline again.
        offline = await run(client, container, "python3 -c \"import socket; socket.create_connection(('deb.debian.org', 80), timeout=5)\"")
        assert "Error" in text_of(offline) or offline.structured_content.get("exit_code") != 0, text_of(offline)


@pytest.fixture
def knocks():
    """A TCP listener on all interfaces that records the first line each
    connection sends: who reached the host from a container."""
    import socketserver

    heard: list[str] = []

    class Record(socketserver.StreamRequestHandler):
        def handle(self):
            heard.append(self.rfile.readline(100).decode(errors="replace").strip())

    listener = socketserver.ThreadingTCPServer(("0.0.0.0", 0), Record)
    thread = threading.Thread(target=listener.serve_forever, daemon=True)
    thread.start()
    yield listener.server_address[1], heard
    listener.shutdown()


async def test_an_install_lends_the_network_to_nothing_the_caller_started(
    portcullis_bin, plugin_dir, cache_dir, config, knocks
):
    """Code the caller planted (a fake `python3` ahead on the PATH) and a
    background process trying to connect both stay offline while
    add_dependencies installs with the network."""
    port, heard = knocks
    files = {
        "knock.py": f"import socket, sys\nsocket.create_connection(('{BRIDGE}', {port}), timeout=2).sendall(sys.argv[1].encode() + b'\\n')\n",
        "python3": '#!/bin/sh\n/usr/bin/python3 /workspace/knock.py planted 2>/dev/null\nexec /usr/bin/python3 "$@"\n',
        "loop.sh": "while true; do echo try >> /tmp/tries; /usr/bin/python3 /workspace/knock.py background 2>/dev/null; sleep 0.2; done\n",
    }
    async with sandbox(portcullis_bin, plugin_dir, cache_dir, config) as client:
        container = await create(client)
        for name, content in files.items():
            written = await client.call_tool("write_file", {"container_id": container, "path": f"/workspace/{name}", "content": content})
            assert not written.is_error, text_of(written)
        setup = await run(client, container, "install -m 755 /workspace/python3 /usr/local/bin/python3 && command -v python3")
        assert "/usr/local/bin/python3" in text_of(setup), text_of(setup)
        started = await run(client, container, "setsid sh /workspace/loop.sh >/dev/null 2>&1 < /dev/null &")
        assert not started.is_error, text_of(started)
        added = await client.call_tool("add_dependencies", {"container_id": container, "packages": ["portcullis-probe"]})
        assert not added.is_error, text_of(added)
        imported = await run(client, container, "/usr/bin/python3 -c 'import portcullis_probe; print(portcullis_probe.VALUE)'; wc -l < /tmp/tries")
        lines = text_of(imported).split()
        assert "42" in lines, text_of(imported)
        assert int(lines[-1]) > 1, "the background loop never tried to connect"
    assert heard == [], f"reached the host from the caller's code during an install: {heard}"


async def test_seed_002_flow_addresses_a_container_by_its_name(portcullis_bin, plugin_dir, cache_dir, config):
    """docker-mcp's documented flow: create with a name and a session id, then
    every tool with `container_id` set to that name."""
    async with sandbox(portcullis_bin, plugin_dir, cache_dir, config) as client:
        await create(client, name="x", session_id="s")
        code = await run(client, "x", "echo from x")
        assert not code.is_error and "from x" in text_of(code), text_of(code)
        script = await client.call_tool("execute_python_script", {"container_id": "x", "script": "print(6 * 7)"})
        assert not script.is_error and "42" in text_of(script), text_of(script)
        added = await client.call_tool("add_dependencies", {"container_id": "x", "packages": ["portcullis-probe"]})
        assert not added.is_error, text_of(added)
        cleaned = await client.call_tool("cleanup_container", {"container_id": "x"})
        assert not cleaned.is_error, text_of(cleaned)
        # The tool's own "not found" is a result the model reads, not a JSON-RPC error.
        gone = await run(client, "x", "true")
        assert gone.is_error and "you have no container `x`" in text_of(gone), text_of(gone)


async def test_package_names_with_shell_metacharacters_are_refused(portcullis_bin, plugin_dir, cache_dir, config):
    async with sandbox(portcullis_bin, plugin_dir, cache_dir, config) as client:
        container = await create(client)
        result = await client.call_tool("add_dependencies", {"container_id": container, "packages": ["requests; touch /tmp/pwned"]})
        assert result.is_error
        ls = await run(client, container, "ls /tmp")
        assert "pwned" not in text_of(ls)


async def test_cleanup_removes_containers_and_volumes(portcullis_bin, plugin_dir, cache_dir, config):
    async with sandbox(portcullis_bin, plugin_dir, cache_dir, config) as client:
        container = await create(client, session_id="cleanup-test")
        result = await client.call_tool("cleanup_container", {"session_id": "cleanup-test", "remove_volumes": True})
        assert not result.is_error, text_of(result)
        assert container not in managed()


async def test_abrupt_disconnects_leave_nothing_behind(portcullis_bin, plugin_dir, cache_dir, config):
    before_containers, before_volumes = managed(), managed("volume")
    procs = []
    params = server(portcullis_bin, plugin_dir, cache_dir, "--config", str(config))

    async def client_that_vanishes():
        proc = await anyio.open_process([params.command, *params.args], env=params.env)
        procs.append(proc)
        lines = [
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "vanishing", "version": "0"}}},
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "create_container", "arguments": {}}},
        ]
        await proc.stdin.send(("\n".join(json.dumps(m) for m in lines) + "\n").encode())
        buffer = b""
        with anyio.fail_after(60):
            while b'"id":2' not in buffer:
                buffer += await proc.stdout.receive()
        # Abrupt: the client goes away without a word.
        await proc.stdin.aclose()

    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(client_that_vanishes)
    assert len(managed() - before_containers) >= 0
    for proc in procs:
        with anyio.fail_after(30):
            await proc.wait()
    assert managed() - before_containers == set()
    assert managed("volume") - before_volumes == set()


async def test_sigquit_lets_an_exec_finish_then_removes_the_containers_and_exits_0(portcullis_bin, plugin_dir, cache_dir, config):
    params = server(portcullis_bin, plugin_dir, cache_dir, "--config", str(config))
    proc = await anyio.open_process([params.command, *params.args], env=params.env)
    received = b""

    async def answer(id_: int) -> dict:
        nonlocal received
        with anyio.fail_after(90):
            while True:
                for line in received.split(b"\n"):
                    if line.strip() and json.loads(line).get("id") == id_:
                        return json.loads(line)
                received += await proc.stdout.receive()

    async def send(*messages):
        await proc.stdin.send(("\n".join(json.dumps(m) for m in messages) + "\n").encode())

    try:
        call = lambda id_, name, args: {"jsonrpc": "2.0", "id": id_, "method": "tools/call", "params": {"name": name, "arguments": args}}
        await send(
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "quit", "version": "0"}}},
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            call(2, "create_container", {}),
        )
        container = (await answer(2))["result"]["structuredContent"]["id"][:12]  # `docker ps` shows short ids
        assert container in managed()
        await send(call(3, "execute_code", {"container_id": container, "command": "sleep 2; echo finished"}))
        await anyio.sleep(1)
        proc.send_signal(signal.SIGQUIT)
        result = await answer(3)
        assert "finished" in json.dumps(result["result"]), result
        with anyio.fail_after(30):
            assert await proc.wait() == 0
    finally:
        if proc.returncode is None:
            proc.kill()
    assert container not in managed(), "SIGQUIT removed this instance's containers"


async def test_without_an_engine_the_host_serves_and_says_why(portcullis_bin, plugin_dir, cache_dir, config):
    async with sandbox(portcullis_bin, plugin_dir, cache_dir, config, env={"DOCKER_HOST": "tcp://127.0.0.1:1"}) as client:
        engine = await client.call_tool("check_engine", {})
        assert engine.is_error
        assert "127.0.0.1:1" in text_of(engine)
        created = await client.call_tool("create_container", {})
        assert created.is_error
        assert "127.0.0.1:1" in text_of(created)
        # Plugins that do not need Docker keep working.
        detected = await client.call_tool("python__detect_packages", {"code": "import yaml"})
        assert detected.structured_content["packages"] == ["PyYAML"]


ALICE = "alice-key-0123456789abcdef"
BOB = "bob-key-0123456789abcdef00"


async def assert_isolated(alice, bob):
    """Neither client reaches the other's container by id, id prefix or name,
    nor its workspace by choosing the same session id."""
    mine = await create(alice, name="box", session_id="shared")
    written = await alice.call_tool("write_file", {"container_id": mine, "path": "/workspace/secret.txt", "content": "alice's"})
    assert not written.is_error, text_of(written)
    attempts = [
        ("execute_code", {"command": "cat /workspace/secret.txt"}),
        ("read_file", {"path": "/workspace/secret.txt"}),
        ("write_file", {"path": "/workspace/planted.txt", "content": "bob's"}),
        ("cleanup_container", {}),
    ]
    for reference in (mine, mine[:12], "box"):
        for tool, args in attempts:
            result = await bob.call_tool(tool, {"container_id": reference, **args})
            assert result.is_error and "you have no container" in text_of(result), (tool, text_of(result))
    listed = await bob.call_tool("list_containers", {"show_all": True, "session_id": "shared"})
    assert mine not in json.dumps(listed.structured_content), listed.structured_content

    # The same session id is Bob's own session, without Alice's files.
    theirs = await create(bob, session_id="shared")
    ls = await run(bob, theirs, "ls -A /workspace")
    assert "secret" not in text_of(ls), text_of(ls)
    everything = await bob.call_tool("cleanup_container", {"cleanup_all": True})
    assert everything.structured_content["removed"] == 1, text_of(everything)

    kept = await alice.call_tool("read_file", {"container_id": "box", "path": "/workspace/secret.txt"})
    assert "alice's" in text_of(kept) and "bob's" not in text_of(kept), text_of(kept)
    await alice.call_tool("cleanup_container", {"cleanup_all": True, "remove_volumes": True})


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_clients_with_different_api_keys_reach_only_their_own(portcullis_bin, plugin_dir, cache_dir, config, mode):
    from test_http import client_with_token, http_server

    text = config.read_text() + f'\n[http.api_keys]\nalice = "{ALICE}"\nbob = "{BOB}"\n'
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=text, env={"PORTCULLIS_BUNDLED_PLUGINS": "true"}) as srv:
        async with client_with_token(srv.url, ALICE, mode) as alice, client_with_token(srv.url, BOB, mode) as bob:
            await assert_isolated(alice, bob)


async def test_unauthenticated_sessions_reach_only_their_own(portcullis_bin, plugin_dir, cache_dir, config):
    from mcp.client.streamable_http import streamable_http_client
    from test_http import http_server

    with http_server(portcullis_bin, plugin_dir, cache_dir, config=config.read_text(), env={"PORTCULLIS_BUNDLED_PLUGINS": "true"}) as srv:
        async with Client(streamable_http_client(srv.url), mode="legacy") as alice:
            async with Client(streamable_http_client(srv.url), mode="legacy") as bob:
                await assert_isolated(alice, bob)
