"""The policy hook on every tool call, through a real client: the bundled
tool-rules policy denies by tool and by argument, naming the setting, and a
policy that traps judging a call denies it (the chain fails closed)."""

from __future__ import annotations

import pytest
from mcp import Client

from conftest import install, server, text_of

pytestmark = pytest.mark.anyio


async def test_tool_rules_deny_calls_naming_the_setting_while_allowed_tools_still_work(
    portcullis_bin, plugin_dir, cache_dir, tmp_path
):
    install(plugin_dir, "faulty")
    install(plugin_dir, "hello")
    config = tmp_path / "portcullis.toml"
    config.write_text(
        "[plugins.tool-rules.settings]\n"
        'deny = ["faulty/crash", "*/delete_*"]\n'
        'deny_arguments = ["AKIA*", "-----BEGIN"]\n'
    )
    async with Client(server(portcullis_bin, plugin_dir, cache_dir, "--config", str(config)), mode="legacy") as client:
        denied = await client.call_tool("crash", {})
        assert denied.is_error
        text = text_of(denied)
        assert "denied by plugin tool-rules" in text, text
        assert "`faulty/crash`" in text and "`faulty/crash` in plugins.tool-rules.settings.deny" in text, text
        assert "crashed" not in text, f"the tool ran: {text}"

        assert text_of(await client.call_tool("hello", {"name": "Ada"})) == "Hello, Ada!"
        assert text_of(await client.call_tool("fine", {})) == "still fine"

        secret = "AKIAIOSFODNN7EXAMPLE"
        denied = await client.call_tool("hello", {"name": f"key {secret}"})
        assert denied.is_error
        text = text_of(denied)
        assert "argument `/name` contains `AKIA*`" in text and "plugins.tool-rules.settings.deny_arguments" in text, text
        assert secret not in text, "the denial repeats the secret"


async def test_a_policy_that_traps_judging_a_tool_call_denies_it(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    install(plugin_dir, "faulty")
    install(plugin_dir, "hello")
    config = tmp_path / "portcullis.toml"
    config.write_text("[plugins.faulty.settings]\ntrap_on_check_tool_call = true\n")
    async with Client(server(portcullis_bin, plugin_dir, cache_dir, "--config", str(config)), mode="legacy") as client:
        denied = await client.call_tool("hello", {"name": "Ada"})
        assert denied.is_error
        text = text_of(denied)
        assert "denied by plugin faulty" in text and "could not decide" in text, text
        assert "`plugins.faulty`" in text, text
        assert "Hello" not in text
