"""Plugin loading, hot reload, collisions and faults, through a real client."""

from __future__ import annotations

import anyio
import pytest
from mcp import Client

from conftest import install, server, text_of

pytestmark = pytest.mark.anyio


async def wait_for(predicate, timeout: float = 10.0, interval: float = 0.1):
    with anyio.fail_after(timeout):
        while True:
            value = await predicate()
            if value:
                return value
            await anyio.sleep(interval)


async def tool_names(client) -> set[str]:
    return {t.name for t in (await client.list_tools(cache_mode="refresh") if hasattr(client, "_response_cache") else await client.list_tools()).tools}


async def test_hot_reload_reaches_a_legacy_session(portcullis_bin, plugin_dir, cache_dir):
    changed = anyio.Event()

    async def on_message(message):
        if getattr(message, "method", None) == "notifications/tools/list_changed":
            changed.set()

    async with Client(server(portcullis_bin, plugin_dir, cache_dir), mode="legacy", message_handler=on_message) as client:
        assert "hello" not in await tool_names(client)
        installed = install(plugin_dir, "hello")
        with anyio.fail_after(10):
            await changed.wait()
        assert "hello" in await tool_names(client)
        result = await client.call_tool("hello", {"name": "Ada"})
        assert text_of(result) == "Hello, Ada!"

        changed = anyio.Event()
        installed.unlink()
        with anyio.fail_after(10):
            await changed.wait()
        assert "hello" not in await tool_names(client)


async def test_hot_reload_reaches_a_modern_listener(portcullis_bin, plugin_dir, cache_dir):
    async with Client(server(portcullis_bin, plugin_dir, cache_dir), mode="2026-07-28") as client:
        async with client.listen(tools_list_changed=True) as subscription:
            install(plugin_dir, "hello")
            with anyio.fail_after(10):
                # A stream opened while the host still loads its plugins is
                # told once when the load is done; the install may come in
                # that load or after it, with an event of its own.
                async for event in subscription:
                    assert type(event).__name__ == "ToolsListChanged"
                    if "hello" in await tool_names(client):
                        break
        result = await client.call_tool("hello", {"name": "Grace"})
        assert text_of(result) == "Hello, Grace!"


async def test_colliding_tool_names_are_namespaced(portcullis_bin, plugin_dir, cache_dir):
    install(plugin_dir, "hello")
    install(plugin_dir, "hello", as_name="hello-again")
    async with Client(server(portcullis_bin, plugin_dir, cache_dir), mode="legacy") as client:
        names = await tool_names(client)
        assert {"hello__hello", "hello-again__hello"} <= names
        assert "hello" not in names
        assert text_of(await client.call_tool("hello-again__hello", {"name": "x"})) == "Hello, x!"


async def test_a_broken_file_is_skipped_and_the_rest_serve(portcullis_bin, plugin_dir, cache_dir):
    (plugin_dir / "broken.wasm").write_bytes(b"definitely not wasm")
    install(plugin_dir, "hello")
    async with Client(server(portcullis_bin, plugin_dir, cache_dir), mode="legacy") as client:
        assert text_of(await client.call_tool("hello", {"name": "y"})) == "Hello, y!"


@pytest.mark.parametrize(
    ("tool", "expected"),
    [
        ("crash", "crashed"),
        ("spin", "CPU time limit of 200 ms"),
        ("hog", "memory limit of 16 MiB"),
    ],
)
async def test_a_faulty_plugin_fails_only_its_own_call(portcullis_bin, plugin_dir, cache_dir, tmp_path, tool, expected):
    install(plugin_dir, "faulty")
    install(plugin_dir, "hello")
    config = tmp_path / "portcullis.toml"
    config.write_text("[plugins.faulty]\ncpu_ms = 200\nmemory_mib = 16\n")
    async with Client(server(portcullis_bin, plugin_dir, cache_dir, "--config", str(config)), mode="legacy") as client:
        result = await client.call_tool(tool, {})
        assert result.is_error
        assert expected in text_of(result)
        # The same plugin and the others keep serving.
        assert text_of(await client.call_tool("fine", {})) == "still fine"
        assert text_of(await client.call_tool("hello", {"name": "z"})) == "Hello, z!"


async def test_a_computing_plugin_does_not_hold_up_other_calls(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    """A plugin spinning on the CPU yields at every epoch tick: other calls are answered meanwhile."""
    install(plugin_dir, "faulty")
    install(plugin_dir, "hello")
    config = tmp_path / "portcullis.toml"
    config.write_text("[plugins.faulty]\ncpu_ms = 3000\n")
    async with Client(server(portcullis_bin, plugin_dir, cache_dir, "--config", str(config)), mode="legacy") as client:
        spin_ended = anyio.Event()

        async def spin():
            result = await client.call_tool("spin", {})
            assert result.is_error and "CPU time limit of 3000 ms" in text_of(result)
            spin_ended.set()

        async with anyio.create_task_group() as group:
            group.start_soon(spin)
            await anyio.sleep(0.5)
            assert text_of(await client.call_tool("hello", {"name": "meanwhile"})) == "Hello, meanwhile!"
            assert not spin_ended.is_set(), "hello waited for the spinning call"


async def test_a_plugin_built_against_wit_0_1_0_still_loads_and_reaches_the_host(portcullis_bin, plugin_dir, cache_dir):
    install(plugin_dir, "legacy_v0_1")
    async with Client(server(portcullis_bin, plugin_dir, cache_dir), mode="legacy") as client:
        assert "legacy_probe" in await tool_names(client)
        lines = text_of(await client.call_tool("legacy_probe", {})).splitlines()
    session, pip, apt = lines
    # client.session-id (moved to `context` in 0.2.0) still answers.
    assert session.startswith("session: ") and session != "session: none", session
    # A one-step plan from a 0.2.0 pack reaches the 0.1.0 caller as its single command.
    assert pip.startswith("pip: ") and " install " in pip and pip.endswith("six"), pip
    # A plan of several steps cannot be expressed in 0.1.0: a clear failure, not a truncated plan.
    assert apt.startswith("apt failed: installing with `apt` takes 2 steps"), apt
    assert "rebuild this plugin against 0.2.0" in apt


async def test_a_flooding_plugin_is_held_to_its_notification_budget(portcullis_bin, plugin_dir, cache_dir):
    install(plugin_dir, "faulty")
    logs, progress = [], []

    async def on_log(params):
        logs.append(params.data)

    async def on_progress(value, total, message):
        progress.append((value, total))

    async with Client(server(portcullis_bin, plugin_dir, cache_dir), mode="legacy", logging_callback=on_log) as client:
        result = await client.call_tool("flood", {}, progress_callback=on_progress)
        assert text_of(result) == "flooded"
    # 1000 records, then one note that the rest are dropped, out of 20,000.
    assert len(logs) == 1001, len(logs)
    assert "the rest are dropped" in str(logs[-1]), logs[-1]
    # Progress is spaced out, and the last report (the total) always arrives.
    assert 1 <= len(progress) < 2000, len(progress)
    assert progress[-1] == (20000, 20000), progress[-1]
