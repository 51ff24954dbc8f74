"""The stdio server with the Python SDK client, in both protocol eras."""

from __future__ import annotations

import json
import subprocess

import pytest
from mcp import Client

from conftest import install, server, text_of

pytestmark = pytest.mark.anyio

MODES = ["legacy", "2026-07-28"]

PY_SOURCE = """
import os, json
import numpy as np
from PIL import Image
from . import sibling
import yaml.loader
"""


@pytest.mark.parametrize("mode", MODES)
async def test_lists_and_calls_detect_packages(portcullis_bin, plugin_dir, cache_dir, mode):
    async with Client(server(portcullis_bin, plugin_dir, cache_dir), mode=mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        # python and node both offer `detect_packages`: each is namespaced, none shadowed.
        assert {"python__detect_packages", "node__detect_packages"} <= tools.keys()
        assert "detect_packages" not in tools
        assert tools["python__detect_packages"].input_schema["required"] == ["code"]

        result = await client.call_tool("python__detect_packages", {"code": PY_SOURCE})
        assert not result.is_error, text_of(result)
        assert result.structured_content["packages"] == ["PyYAML", "numpy", "pillow"]

        node = await client.call_tool(
            "node__detect_packages",
            {"code": "import fs from 'node:fs'; const x = require('lodash/fp'); import '@scope/pkg/sub';"},
        )
        assert node.structured_content["packages"] == ["@scope/pkg", "lodash"]


@pytest.mark.parametrize("mode", MODES)
async def test_invalid_arguments_and_unknown_tools_are_clear_errors(portcullis_bin, plugin_dir, cache_dir, mode):
    async with Client(server(portcullis_bin, plugin_dir, cache_dir), mode=mode) as client:
        bad = await client.call_tool("python__detect_packages", {"code": 42})
        assert bad.is_error
        assert "code" in text_of(bad)
        with pytest.raises(Exception, match="unknown tool `no_such_tool`"):
            await client.call_tool("no_such_tool", {})
        # The session still works afterwards.
        ok = await client.call_tool("python__detect_packages", {"code": "import requests"})
        assert ok.structured_content["packages"] == ["requests"]


def test_stdout_carries_only_json_rpc(portcullis_bin, plugin_dir, cache_dir):
    """Raw stdio: every stdout line is a JSON-RPC message, even with a broken plugin and malformed input."""
    (plugin_dir / "broken.wasm").write_bytes(b"\0asm not really")
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]
    lines = "\n".join(json.dumps(m) for m in messages) + "\n{not json\n"
    params = server(portcullis_bin, plugin_dir, cache_dir)
    proc = subprocess.run(
        [params.command, *params.args], input=lines.encode(), env=params.env, capture_output=True, timeout=60
    )
    out = [json.loads(line) for line in proc.stdout.decode().splitlines() if line.strip()]
    assert all(m.get("jsonrpc") == "2.0" for m in out)
    assert {m.get("id") for m in out} >= {1, 2}
    stderr = proc.stderr.decode()
    assert "broken.wasm" in stderr, stderr
    assert proc.returncode == 0, stderr


def test_configuration_error_exits_1_naming_the_key(portcullis_bin, tmp_path, plugin_dir, cache_dir):
    config = tmp_path / "portcullis.toml"
    config.write_text('[plugins.sandbox]\ngrants = ["dockr"]\n')
    params = server(portcullis_bin, plugin_dir, cache_dir, "--config", str(config))
    proc = subprocess.run([params.command, *params.args], env=params.env, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1
    assert "plugins.sandbox.grants" in proc.stderr.decode()
    assert proc.stdout == b""


def test_sigterm_shuts_down_cleanly(portcullis_bin, plugin_dir, cache_dir):
    import signal
    import time

    params = server(portcullis_bin, plugin_dir, cache_dir)
    proc = subprocess.Popen([params.command, *params.args], env=params.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    # stdin stays open: the shutdown must come from the signal, not from EOF.
    assert proc.wait(timeout=15) == 0
    err = proc.stderr.read()
    assert b"SIGTERM" in err, err.decode()
    proc.stdin.close()


def test_wait_for_exec_keeps_a_detached_host_up_until_sigterm(portcullis_bin, plugin_dir, cache_dir):
    """stdin on /dev/null, as in `docker run -d`: with --wait-for-exec the host stays up; without it, it is done."""
    import signal
    import time

    params = server(portcullis_bin, plugin_dir, cache_dir)
    done = subprocess.run([params.command, *params.args], env=params.env, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    assert done.returncode == 0 and done.stdout == b""

    waiting = subprocess.Popen([params.command, *params.args], env=params.env | {"PORTCULLIS_WAIT_FOR_EXEC": "true"},
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(3)
        assert waiting.poll() is None, waiting.stderr.read().decode()
        waiting.send_signal(signal.SIGTERM)
        assert waiting.wait(timeout=15) == 0
    finally:
        waiting.kill()
    err = waiting.stderr.read().decode()
    assert "docker exec -i" in err and "SIGTERM" in err, err
    assert waiting.stdout.read() == b""


class RawStdio:
    """`portcullis serve` on stdio driven line by line, without an SDK."""

    def __init__(self, bin, plugin_dir, cache_dir):
        params = server(bin, plugin_dir, cache_dir)
        self.proc = subprocess.Popen(
            [params.command, *params.args], env=params.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )

    def send(self, message: dict):
        self.proc.stdin.write((json.dumps(message) + "\n").encode())
        self.proc.stdin.flush()

    def reply(self, timeout: float = 10) -> dict:
        """The next line on stdout; fails after `timeout` seconds of silence."""
        import selectors

        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            assert sel.select(timeout), "no reply: the client would wait forever"
        return json.loads(self.proc.stdout.readline())

    def ask(self, message: dict) -> dict:
        self.send(message)
        return self.reply()

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=15)


def test_requests_with_invalid_params_get_32602_with_their_id(portcullis_bin, plugin_dir, cache_dir):
    raw = RawStdio(portcullis_bin, plugin_dir, cache_dir)
    try:
        init = raw.ask({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}})
        assert init["id"] == 1 and "result" in init
        raw.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        # params that are not an object: rmcp cannot decode the request at all.
        for id_, params in [(2, [1, 2]), ("three", "x"), (4, 5)]:
            reply = raw.ask({"jsonrpc": "2.0", "id": id_, "method": "tools/list", "params": params})
            assert reply["id"] == id_ and reply["error"]["code"] == -32602, reply
        # A notification with bad params gets no answer; the next request does.
        raw.send({"jsonrpc": "2.0", "method": "notifications/initialized", "params": [1]})
        # tools/call whose params have the wrong types.
        for id_, params in [(5, {"name": 5}), (6, {"name": "python__detect_packages", "arguments": "x"})]:
            reply = raw.ask({"jsonrpc": "2.0", "id": id_, "method": "tools/call", "params": params})
            assert reply["id"] == id_ and reply["error"]["code"] == -32602, reply
        unknown = raw.ask({"jsonrpc": "2.0", "id": 7, "method": "no/such", "params": {}})
        assert unknown["id"] == 7 and unknown["error"]["code"] == -32601, unknown
        assert raw.ask({"jsonrpc": "2.0", "id": 8, "method": "ping"}) == {"jsonrpc": "2.0", "id": 8, "result": {}}
    finally:
        raw.close()
