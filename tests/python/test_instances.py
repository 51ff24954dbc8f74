"""Per-session plugin instances (`[plugins.X] instance = "per-session"`): the
examples/counter plugin counts the calls its instance has answered. Kept per
session, the count goes on across the calls of one session and starts again
for another session or another principal; per call (the default) every call
is 1. The limits still end a runaway call, and the session's next call gets
a fresh instance."""

from __future__ import annotations

import subprocess

import pytest
from mcp import Client

from conftest import install, server, text_of
from test_http import client_with_token, http_server

pytestmark = pytest.mark.anyio

ALICE, BOB = "alice-key-0123456789abcdef", "bob-key-0123456789abcdef"
PER_SESSION = '[plugins.counter]\ninstance = "per-session"\n\n[plugins.faulty]\ninstance = "per-session"\ncpu_ms = 200\nmemory_mib = 16\n'


async def counts(client, times: int) -> list[str]:
    return [text_of(await client.call_tool("count", {})) for _ in range(times)]


async def test_a_session_keeps_its_instance_and_others_do_not_share_it(portcullis_bin, plugin_dir, cache_dir):
    install(plugin_dir, "counter")
    config = f'{PER_SESSION}\n[http.api_keys]\nalice = "{ALICE}"\nbob = "{BOB}"\n'
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=config) as srv:
        async with client_with_token(srv.url, ALICE, "legacy") as first:
            assert await counts(first, 3) == ["1", "2", "3"]
            async with client_with_token(srv.url, ALICE, "legacy") as second:
                assert await counts(second, 2) == ["1", "2"], "another session of the same principal"
            async with client_with_token(srv.url, BOB, "legacy") as other:
                assert await counts(other, 1) == ["1"], "another principal"
            assert await counts(first, 1) == ["4"], "the first session's instance is still its own"
        async with client_with_token(srv.url, ALICE, "legacy") as again:
            assert await counts(again, 1) == ["1"], "a new session starts afresh"


async def test_per_call_instances_stay_the_default(portcullis_bin, plugin_dir, cache_dir):
    install(plugin_dir, "counter")
    async with Client(server(portcullis_bin, plugin_dir, cache_dir), mode="legacy") as client:
        assert await counts(client, 3) == ["1", "1", "1"]


@pytest.mark.parametrize(("tool", "expected"), [("spin", "CPU time limit of 200 ms"), ("hog", "memory limit of 16 MiB")])
async def test_limits_still_end_a_runaway_call_of_a_kept_instance(portcullis_bin, plugin_dir, cache_dir, tmp_path, tool, expected):
    install(plugin_dir, "counter")
    install(plugin_dir, "faulty")
    config = tmp_path / "portcullis.toml"
    config.write_text(PER_SESSION)
    async with Client(server(portcullis_bin, plugin_dir, cache_dir, "--config", str(config)), mode="legacy") as client:
        assert await counts(client, 2) == ["1", "2"], "stdio is one session"
        result = await client.call_tool(tool, {})
        assert result.is_error and expected in text_of(result), text_of(result)
        assert text_of(await client.call_tool("fine", {})) == "still fine", "the session's next call gets a fresh instance"
        assert await counts(client, 1) == ["3"], "another plugin's kept instance is untouched"


def test_an_unknown_instance_mode_is_a_config_error_naming_the_key(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    config = tmp_path / "portcullis.toml"
    config.write_text('[plugins.counter]\ninstance = "per-user"\n')
    done = subprocess.run([str(portcullis_bin), "config", "check", "--config", str(config)], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "plugins.counter.instance" in done.stderr + done.stdout and "per-session" in done.stderr + done.stdout, done
