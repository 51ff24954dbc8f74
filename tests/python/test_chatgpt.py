"""ChatGPT's `search` and `fetch` (`[chatgpt] search_fetch = true`) through a
real MCP client: over the resources a plugin (the conformance plugin) and an
upstream server (the fixture server, for Alice only) publish, in the result
shapes ChatGPT documents, each principal finding only what it may read."""

from __future__ import annotations

import json
import sys

import anyio
import pytest

from conftest import REPO, install, text_of
from test_http import client_with_token, http_server

pytestmark = pytest.mark.anyio

FIXTURE = REPO / "tests" / "fixtures" / "upstream" / "everything_server.py"
ALICE = "alice-key-0123456789abcdef"
BOB = "bob-key-0123456789abcdef00"


def config(search_fetch: bool) -> str:
    return f"""
[chatgpt]
search_fetch = {str(search_fetch).lower()}
[http.api_keys]
alice = "{ALICE}"
bob = "{BOB}"
[servers.fixture]
command = ["{sys.executable}", "{FIXTURE}"]
principals = ["key:alice"]
startup_timeout_secs = 20
"""


async def found(client, query: str) -> list[dict]:
    result = await client.call_tool("search", {"query": query})
    assert not result.is_error, result
    answer = json.loads(text_of(result))
    assert answer == result.structured_content, "the text and the structured content agree"
    return answer["results"]


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_search_and_fetch_over_published_resources(portcullis_bin, plugin_dir, cache_dir, mode):
    install(plugin_dir, "conformance")
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=config(True)) as srv:
        async with client_with_token(srv.url, ALICE, mode) as alice:
            with anyio.fail_after(30):
                while not await found(alice, "fixture://greeting"):
                    await anyio.sleep(0.2)
            tools = {t.name: t for t in (await alice.list_tools()).tools}
            assert tools["search"].annotations.read_only_hint and tools["fetch"].annotations.read_only_hint
            [static] = await found(alice, "STATIC text")
            assert static == {"id": "test://static-text", "title": "Static Text Resource", "url": "test://static-text"}
            assert {r["id"] for r in await found(alice, "")} >= {"test://static-text", "test://static-binary", "fixture://greeting"}

            fetched = await alice.call_tool("fetch", {"id": "test://static-text"})
            document = json.loads(text_of(fetched))
            assert document["text"] == "This is the content of the static text resource.", document
            assert document["title"] == "Static Text Resource" and document["url"] == "test://static-text"
            assert document["metadata"]["mimeType"] == "text/plain", document
            binary = json.loads(text_of(await alice.call_tool("fetch", {"id": "test://static-binary"})))
            assert binary["text"].startswith("[") and "bytes of" in binary["text"], binary
            greeting = json.loads(text_of(await alice.call_tool("fetch", {"id": "fixture://greeting"})))
            assert greeting["metadata"]["provider"] == "fixture" and greeting["text"], greeting

            missing = await alice.call_tool("fetch", {"id": "test://nothing-here"})
            assert missing.is_error and "search" in text_of(missing), missing
            malformed = await alice.call_tool("search", {"q": "x"})
            assert malformed.is_error and "query" in text_of(malformed), malformed

        async with client_with_token(srv.url, BOB, mode) as bob:
            assert await found(bob, "fixture") == [], "Bob finds nothing of a server he may not use"
            hidden = await bob.call_tool("fetch", {"id": "fixture://greeting"})
            assert hidden.is_error, hidden
            assert [r["id"] for r in await found(bob, "static text")] == ["test://static-text"]


async def test_without_the_setting_there_is_no_search_or_fetch(portcullis_bin, plugin_dir, cache_dir):
    install(plugin_dir, "conformance")
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=config(False)) as srv:
        async with client_with_token(srv.url, ALICE, "legacy") as alice:
            names = {t.name for t in (await alice.list_tools()).tools}
            assert "search" not in names and "fetch" not in names, names
