"""The operator's CLI (`portcullis status`, `servers`, `plugins`, `sessions`)
run as a subprocess against a real host over HTTP: tables for people, the
API's JSON with `--json`, and clear errors with exit code 1 (the host refused
or failed the operation) or 2 (no admin API at the URL, a usage error). Each
test's host has its own state directory."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import anyio.to_thread
import pytest

from conftest import install
from test_admin import ADMIN_KEY, CONFIG, FIXTURE, admin_host
from test_http import API_KEY, client_with_token

CLI_CONFIG = CONFIG + f"""
[servers.broken]
command = ["{sys.executable}", "{FIXTURE}"]
env = {{ FIXTURE_EXIT_AT_START = "1" }}
max_restarts = 0
startup_timeout_secs = 20
"""


def cli(bin: Path, url: str, *args: str, key: str | None = ADMIN_KEY, timeout: float = 90) -> subprocess.CompletedProcess:
    """Runs `portcullis ARGS` against `url`, the admin key in the environment (never in argv)."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), "PORTCULLIS_URL": url}
    if key is not None:
        env["ADMIN_API_KEY"] = key
    return subprocess.run([str(bin), *args], env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def ok(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
    return done.stdout


def failed(done: subprocess.CompletedProcess, code: int) -> str:
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    assert done.stdout == "", "nothing on stdout when it fails"
    return done.stderr


def rows(table: str) -> dict[str, list[str]]:
    """A table's rows by their first cell, split on the header's column starts."""
    lines = table.rstrip("\n").split("\n")
    header = lines[0]
    # Columns are two or more spaces apart; a header may hold one space ("LAST SEEN").
    starts = [i for i, c in enumerate(header) if c != " " and (i == 0 or header[i - 2 : i] == "  ")]
    bounds = list(zip(starts, starts[1:] + [None]))
    parsed = {}
    for line in lines[1:]:
        cells = [line[a:b].strip() for a, b in bounds]
        parsed[cells[0]] = cells
    assert header.split()[0] in ("NAME", "ID"), header
    return parsed


def wait_cli_state(bin: Path, url: str, name: str, state: str, seconds: float = 30) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        [server] = [s for s in json.loads(ok(cli(bin, url, "servers", "list", "--json"))) if s["name"] == name]
        if server["state"] == state:
            return server
        assert time.monotonic() < deadline, f"{name} is not {state}: {server}"
        time.sleep(0.2)


def test_status_servers_and_plugins_lists(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    install(plugin_dir, "hello")
    with admin_host(portcullis_bin, plugin_dir, cache_dir, tmp_path / "state", config=CLI_CONFIG) as (srv, api):
        wait_cli_state(portcullis_bin, srv.base, "fixture", "running")
        wait_cli_state(portcullis_bin, srv.base, "broken", "failed")

        status = ok(cli(portcullis_bin, srv.base, "status"))
        fields = dict(line.split(None, 1) for line in status.splitlines())
        assert fields["status"] == "ok" and fields["host"] == srv.base, status
        assert fields["plugins"] == "1" and fields["servers"] == "2 (1 running)" and fields["sessions"] == "0", status
        health = json.loads(ok(cli(portcullis_bin, srv.base, "status", "--json")))
        assert health == api.get("/api/v1/health").json() | {"uptime_secs": health["uptime_secs"]}

        listed = ok(cli(portcullis_bin, srv.base, "servers", "list"))
        assert listed.splitlines()[0].split() == ["NAME", "STATE", "KIND", "SOURCE", "TOOLS", "RESTARTS", "REASON"]
        table = rows(listed)
        assert table["fixture"][:4] == ["fixture", "running", "command", "config"], listed
        assert int(table["fixture"][4]) > 0, "it counts the server's tools"
        assert table["broken"][1] == "failed" and table["broken"][6], "a failed server says why"

        plugins = ok(cli(portcullis_bin, srv.base, "plugins", "list"))
        hello = rows(plugins)["hello"]
        assert hello[1] == "loaded" and "tools" in hello[3] and hello[4] == "1", plugins
        assert hello[-1] == str(plugin_dir / "hello.wasm"), plugins
        assert json.loads(ok(cli(portcullis_bin, srv.base, "plugins", "list", "--json"))) == api.get("/api/v1/plugins").json()
        assert ADMIN_KEY not in status + listed + plugins


def test_servers_stop_start_restart_and_logs(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    with admin_host(portcullis_bin, plugin_dir, cache_dir, tmp_path / "state", config=CLI_CONFIG) as (srv, api):
        wait_cli_state(portcullis_bin, srv.base, "fixture", "running")
        assert ok(cli(portcullis_bin, srv.base, "servers", "stop", "fixture")) == "server `fixture`: stopped\n"
        wait_cli_state(portcullis_bin, srv.base, "fixture", "stopped")
        assert "fixture__echo" not in {t["name"] for t in api.get("/api/v1/tools").json()}
        assert ok(cli(portcullis_bin, srv.base, "servers", "start", "fixture", "--wait")) == "server `fixture`: running\n"
        assert api.get("/api/v1/servers/fixture").json()["state"] == "running"
        restarted = json.loads(ok(cli(portcullis_bin, srv.base, "servers", "restart", "fixture", "--wait", "--json")))
        assert restarted["name"] == "fixture" and restarted["state"] == "running", restarted
        # Started without --wait, it only says where it got to.
        ok(cli(portcullis_bin, srv.base, "servers", "stop", "fixture"))
        assert ok(cli(portcullis_bin, srv.base, "servers", "start", "fixture")).startswith("server `fixture`: ")
        wait_cli_state(portcullis_bin, srv.base, "fixture", "running")

        wait_cli_state(portcullis_bin, srv.base, "broken", "failed")
        logs = ok(cli(portcullis_bin, srv.base, "servers", "logs", "broken"))
        assert "fixture: exiting at start (FIXTURE_EXIT_AT_START)" in logs.splitlines(), logs
        logs_json = json.loads(ok(cli(portcullis_bin, srv.base, "servers", "logs", "broken", "--json")))
        assert logs_json["name"] == "broken" and logs_json["lines"] == api.get("/api/v1/servers/broken/logs").json()["lines"]
        error = failed(cli(portcullis_bin, srv.base, "servers", "start", "broken", "--wait"), 1)
        assert "server `broken` did not start: failed" in error, error


def test_plugins_reload(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    wasm = install(plugin_dir, "hello")
    with admin_host(portcullis_bin, plugin_dir, cache_dir, tmp_path / "state") as (srv, api):
        done = ok(cli(portcullis_bin, srv.base, "plugins", "reload", "hello"))
        assert done.startswith(f"reloaded plugin `hello` from {wasm} (sha256 ") and done.endswith(", 1 tool)\n"), done
        reloaded = json.loads(ok(cli(portcullis_bin, srv.base, "plugins", "reload", "hello", "--json")))
        assert reloaded["name"] == "hello" and reloaded["tools"] == ["hello"], reloaded
        error = failed(cli(portcullis_bin, srv.base, "plugins", "reload", "ghost"), 1)
        assert "no plugin `ghost`" in error and "404" in error, error


@pytest.mark.anyio
async def test_sessions_list(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    install(plugin_dir, "hello")
    with admin_host(portcullis_bin, plugin_dir, cache_dir, tmp_path / "state") as (srv, api):
        assert ok(cli(portcullis_bin, srv.base, "sessions", "list")) == "no live sessions\n"
        assert json.loads(ok(cli(portcullis_bin, srv.base, "sessions", "list", "--json"))) == []
        async with client_with_token(srv.url, API_KEY, "legacy") as client:
            await client.call_tool("hello", {"name": "CLI"})
            [session] = api.get("/api/v1/sessions").json()
            # Run the CLI off the event loop: the session's client must keep answering.
            listed = ok(await anyio.to_thread.run_sync(lambda: cli(portcullis_bin, srv.base, "sessions", "list")))
            header = listed.splitlines()[0]
            columns = [c.strip() for c in header.split("  ") if c.strip()]
            assert columns == ["ID", "TRANSPORT", "PRINCIPAL", "CLIENT", "STARTED", "LAST SEEN", "CONTAINERS", "SERVERS"], header
            row = rows(listed)[session["id"]]
            assert row[1] == "http" and row[2] == "key:API_KEY" and row[3].startswith(session["client_name"]), listed
            assert row[4].endswith(" ago") and row[5].endswith(" ago"), listed
            as_json = json.loads(ok(await anyio.to_thread.run_sync(lambda: cli(portcullis_bin, srv.base, "sessions", "list", "--json"))))
            assert [s["id"] for s in as_json] == [session["id"]]


def test_refusals_are_clear_and_never_show_the_key(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    with admin_host(portcullis_bin, plugin_dir, cache_dir, tmp_path / "state") as (srv, api):
        wrong = "wrong-admin-key-that-must-not-show"
        done = cli(portcullis_bin, srv.base, "servers", "list", key=wrong)
        error = failed(done, 1)
        assert "not an admin key" in error and "401" in error and "ADMIN_API_KEY" in error, error
        assert wrong not in error
        # The flag works too (and is as secret in what is printed).
        done = cli(portcullis_bin, srv.base, "status", "--admin-key", wrong, key=None)
        assert wrong not in failed(done, 1)
        assert "ADMIN_API_KEY" in failed(cli(portcullis_bin, srv.base, "status", key=None), 1)

        error = failed(cli(portcullis_bin, srv.base, "servers", "stop", "ghost"), 1)
        assert "no server `ghost`" in error and "404" in error, error
        assert "no server `ghost`" in failed(cli(portcullis_bin, srv.base, "servers", "logs", "ghost"), 1)
        assert "no server `ghost`" in failed(cli(portcullis_bin, srv.base, "servers", "start", "ghost", "--json"), 1)

        # --help shows where the key comes from, never its value.
        helped = subprocess.run([str(portcullis_bin), "servers", "list", "--help"], capture_output=True, text=True,
                                env={"PATH": os.environ.get("PATH", ""), "ADMIN_API_KEY": ADMIN_KEY}, timeout=30)
        assert helped.returncode == 0 and "ADMIN_API_KEY" in helped.stdout and ADMIN_KEY not in helped.stdout, helped.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_host_names_the_url_and_how_to_change_it(portcullis_bin):
    url = f"http://127.0.0.1:{free_port()}"
    for args in [["status"], ["servers", "list", "--json"], ["plugins", "reload", "hello"]]:
        error = failed(cli(portcullis_bin, url, *args), 2)
        assert f"cannot reach the admin API at {url}" in error and "--url" in error and "PORTCULLIS_URL" in error, error
        assert ADMIN_KEY not in error
    error = failed(cli(portcullis_bin, "127.0.0.1:8808", "status"), 2)
    assert "not a URL" in error or "not an http" in error, error
    # A usage mistake is clap's exit 2.
    assert cli(portcullis_bin, url, "servers", "stop").returncode == 2
