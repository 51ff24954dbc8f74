"""The operator's CLI (`portcullis status`, `servers`, `plugins`, `sessions`,
`tools`, `containers`, `activity`) run as a subprocess against a real host over HTTP: tables for people, the
API's JSON with `--json`, and clear errors with exit code 1 (the host refused
or failed the operation) or 2 (no admin API at the URL, a usage error). Each
test's host has its own state directory."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import anyio.to_thread
import pytest

from conftest import install
from test_admin import ADMIN_KEY, CONFIG, FIXTURE, admin_host, wait_activity
from test_http import API_KEY, client_with_token

CLI_CONFIG = CONFIG + f"""
[servers.broken]
command = ["{sys.executable}", "{FIXTURE}"]
env = {{ FIXTURE_EXIT_AT_START = "1" }}
max_restarts = 0
startup_timeout_secs = 20
"""


def cli_env(url: str, key: str | None = ADMIN_KEY) -> dict[str, str]:
    """The CLI's environment: the host's URL, and the admin key (never in argv)."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), "PORTCULLIS_URL": url}
    if key is not None:
        env["ADMIN_API_KEY"] = key
    return env


def cli(bin: Path, url: str, *args: str, key: str | None = ADMIN_KEY, timeout: float = 90,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Runs `portcullis ARGS` against `url`, with `env` added to its environment."""
    return subprocess.run([str(bin), *args], env=cli_env(url, key) | (env or {}), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def ok(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
    return done.stdout


def failed(done: subprocess.CompletedProcess, code: int, stdout: str = "") -> str:
    """stderr of a command that exits `code`, printing `stdout` (by default nothing)."""
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    assert done.stdout == stdout, (done.stdout, done.stderr)
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


def test_plugins_disable_enable_and_the_tools_list(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    install(plugin_dir, "hello")
    with admin_host(portcullis_bin, plugin_dir, cache_dir, tmp_path / "state", config=CLI_CONFIG) as (srv, api):
        wait_cli_state(portcullis_bin, srv.base, "fixture", "running")
        listed = ok(cli(portcullis_bin, srv.base, "tools", "list"))
        assert listed.splitlines()[0].split() == ["NAME", "PROVIDER", "KIND", "DESCRIPTION"], listed
        tools = rows(listed)
        assert tools["hello"][1:3] == ["hello", "plugin"] and tools["fixture__echo"][1:3] == ["fixture", "server"], listed
        assert json.loads(ok(cli(portcullis_bin, srv.base, "tools", "list", "--json"))) == api.get("/api/v1/tools").json()

        assert ok(cli(portcullis_bin, srv.base, "plugins", "disable", "hello")) == "plugin `hello`: disabled\n"
        assert rows(ok(cli(portcullis_bin, srv.base, "plugins", "list")))["hello"][1] == "disabled"
        assert "hello" not in rows(ok(cli(portcullis_bin, srv.base, "tools", "list")))
        error = failed(cli(portcullis_bin, srv.base, "plugins", "reload", "hello"), 1)
        assert "disabled" in error and "409" in error, error
        # --json prints what the API answered: nothing, for its 204.
        assert ok(cli(portcullis_bin, srv.base, "plugins", "enable", "hello", "--json")) == ""
        assert rows(ok(cli(portcullis_bin, srv.base, "tools", "list")))["hello"][1] == "hello"
        assert ok(cli(portcullis_bin, srv.base, "plugins", "enable", "hello")) == "plugin `hello`: enabled\n"
        for action in ("enable", "disable"):
            error = failed(cli(portcullis_bin, srv.base, "plugins", action, "ghost"), 1)
            assert "no plugin `ghost`" in error and "404" in error, error


def test_servers_health_and_call(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    with admin_host(portcullis_bin, plugin_dir, cache_dir, tmp_path / "state", config=CLI_CONFIG) as (srv, api):
        wait_cli_state(portcullis_bin, srv.base, "fixture", "running")
        wait_cli_state(portcullis_bin, srv.base, "broken", "failed")
        assert ok(cli(portcullis_bin, srv.base, "servers", "health", "fixture")) == "server `fixture`: healthy, running\n"
        assert json.loads(ok(cli(portcullis_bin, srv.base, "servers", "health", "fixture", "--json")))["healthy"] is True
        done = cli(portcullis_bin, srv.base, "servers", "health", "broken")
        assert done.returncode == 1 and done.stdout.startswith("server `broken`: unhealthy, failed ("), done
        assert "not healthy" in done.stderr and "servers logs broken" in done.stderr, done.stderr
        unhealthy = cli(portcullis_bin, srv.base, "servers", "health", "broken", "--json")
        assert unhealthy.returncode == 1 and json.loads(unhealthy.stdout)["healthy"] is False, unhealthy
        assert "no server `ghost`" in failed(cli(portcullis_bin, srv.base, "servers", "health", "ghost"), 1)

        call = ("servers", "call", "fixture")
        assert ok(cli(portcullis_bin, srv.base, *call, "echo", "--arg", "text=via the CLI")) == "via the CLI\n"
        assert ok(cli(portcullis_bin, srv.base, *call, "echo", "--arguments", '{"text": "as JSON"}')) == "as JSON\n"
        assert ok(cli(portcullis_bin, srv.base, *call, "add", "--arg", "a=2", "--arg", "b=3")) == "5\n", "values parse as JSON"
        answered = json.loads(ok(cli(portcullis_bin, srv.base, *call, "echo", "--arg", "text=x", "--json")))
        assert answered["content"][0]["text"] == "x" and answered["isError"] is False, answered
        # A tool error prints what the tool said, and exits 1.
        done = cli(portcullis_bin, srv.base, *call, "add", "--arg", "a=x", "--arg", "b=1")
        assert done.returncode == 1 and done.stdout, done
        assert "tool `add` of server `fixture` answered with an error" in done.stderr, done.stderr
        error = failed(cli(portcullis_bin, srv.base, *call, "nope"), 1)
        assert "no tool `nope`" in error and "404" in error, error
        error = failed(cli(portcullis_bin, srv.base, "servers", "call", "broken", "echo"), 1)
        assert "is failed" in error and "409" in error, error
        assert "JSON" in failed(cli(portcullis_bin, srv.base, *call, "echo", "--arguments", "{not json"), 2)
        assert "KEY=VALUE" in failed(cli(portcullis_bin, srv.base, *call, "echo", "--arg", "text"), 2)


def test_servers_add_and_remove_never_show_secrets(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    secret = "secret-value-123"
    with admin_host(portcullis_bin, plugin_dir, cache_dir, tmp_path / "state") as (srv, api):
        added = cli(portcullis_bin, srv.base, "servers", "add", "made", "--command", sys.executable, "--arg", str(FIXTURE),
                    "--env", f"FIXTURE_SERVER_NAME={secret}", "--description", "made by the CLI", "--wait")
        assert ok(added) == "added server `made`: running\n"
        assert secret not in added.stdout + added.stderr
        made = api.get("/api/v1/servers/made").json()
        assert made["source"] == "api" and made["description"] == "made by the CLI", made
        assert made["command"] == [sys.executable, str(FIXTURE)] and made["env"] == {"FIXTURE_SERVER_NAME": "<redacted>"}, made
        assert rows(ok(cli(portcullis_bin, srv.base, "servers", "list")))["made"][3] == "api"
        assert ok(cli(portcullis_bin, srv.base, "servers", "call", "made", "echo", "--arg", "text=two")) == "two\n"
        # --env KEY alone passes the CLI's own $KEY, out of sight of `ps`.
        added = cli(portcullis_bin, srv.base, "servers", "add", "quiet", "--image", "alpine", "--env", "TOKEN", env={"TOKEN": secret})
        if added.returncode == 0:
            assert secret not in added.stdout + added.stderr
            assert api.get("/api/v1/servers/quiet").json()["env"] == {"TOKEN": "<redacted>"}
            ok(cli(portcullis_bin, srv.base, "servers", "remove", "quiet"))
        else:
            assert "Docker" in added.stderr and secret not in added.stderr, added.stderr
        error = failed(cli(portcullis_bin, srv.base, "servers", "add", "quiet", "--image", "alpine", "--env", "UNSET_HERE"), 2)
        assert "not set" in error and "UNSET_HERE" not in error, error

        again = cli(portcullis_bin, srv.base, "servers", "add", "made", "--command", sys.executable, "--env", f"K={secret}", "--json")
        error = failed(again, 1)
        assert "exists already" in error and "409" in error and secret not in error, error
        assert ok(cli(portcullis_bin, srv.base, "servers", "remove", "made")) == "removed server `made`\n"
        assert api.get("/api/v1/servers/made").status_code == 404
        error = failed(cli(portcullis_bin, srv.base, "servers", "remove", "made"), 1)
        assert "no server `made`" in error and "404" in error, error
        error = failed(cli(portcullis_bin, srv.base, "servers", "remove", "fixture"), 1)
        assert "portcullis.toml" in error and "409" in error, error

        # Exactly one of --image, --url, --command (clap's exit 2); an --env without `=` is never echoed.
        assert cli(portcullis_bin, srv.base, "servers", "add", "x").returncode == 2
        assert cli(portcullis_bin, srv.base, "servers", "add", "x", "--image", "i", "--server-url", "http://h/").returncode == 2
        error = failed(cli(portcullis_bin, srv.base, "servers", "add", "x", "--image", "i", "--env", secret), 2)
        assert "KEY=VALUE" in error and secret not in error, error
        error = failed(cli(portcullis_bin, srv.base, "servers", "add", "bad name", "--server-url", "http://127.0.0.1:1/mcp"), 1)
        assert "400" in error, error


def test_activity_filters_and_follows(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    with admin_host(portcullis_bin, plugin_dir, cache_dir, tmp_path / "state") as (srv, api):
        wait_cli_state(portcullis_bin, srv.base, "fixture", "running")
        ok(cli(portcullis_bin, srv.base, "servers", "call", "fixture", "echo", "--arg", "text=logged"))
        assert cli(portcullis_bin, srv.base, "servers", "call", "fixture", "add", "--arg", "a=x", "--arg", "b=1").returncode == 1
        [echoed] = wait_activity(api, tool="fixture__echo")
        wait_activity(api, outcome="tool_error")

        listed = ok(cli(portcullis_bin, srv.base, "activity", "--tool", "fixture__echo"))
        row = rows(listed)[str(echoed["id"])]
        assert row[2:7] == ["admin:ADMIN_API_KEY", "admin", "fixture__echo", "fixture", "ok"], listed
        assert [r[4] for r in rows(ok(cli(portcullis_bin, srv.base, "activity", "--outcome", "tool_error"))).values()] == ["fixture__add"]
        page = json.loads(ok(cli(portcullis_bin, srv.base, "activity", "--principal", "admin:ADMIN_API_KEY", "--transport", "admin",
                                 "--since", "10m", "--limit", "1", "--json")))
        assert len(page["entries"]) == 1 and page["next_cursor"] is not None, page
        assert ok(cli(portcullis_bin, srv.base, "activity", "--tool", "fixture__echo", "--since", str(int(time.time() * 1000) + 60_000))) == "no activity\n"
        assert ok(cli(portcullis_bin, srv.base, "activity", "--session", "ghost")) == "no activity\n"
        assert "--since" in failed(cli(portcullis_bin, srv.base, "activity", "--since", "yesterday"), 2)

        follow = subprocess.Popen([str(portcullis_bin), "activity", "--follow", "--tool", "fixture__echo"], env=cli_env(srv.base),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
        watchdog = threading.Timer(30, follow.kill)
        watchdog.start()
        try:
            assert follow.stdout.readline().split()[:3] == ["ID", "TIME", "(UTC)"]
            assert follow.stdout.readline().split()[0] == str(echoed["id"])
            ok(cli(portcullis_bin, srv.base, "servers", "call", "fixture", "echo", "--arg", "text=later"))
            later = follow.stdout.readline().split()
            assert int(later[0]) > echoed["id"] and "fixture__echo" in later, later
            assert follow.poll() is None, "it keeps following"
        finally:
            watchdog.cancel()
            follow.terminate()
            follow.wait(timeout=10)


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
            ended = await anyio.to_thread.run_sync(lambda: cli(portcullis_bin, srv.base, "sessions", "end", session["id"]))
            assert ok(ended) == f"ended session `{session['id']}`\n"
            with pytest.raises(Exception, match="ended this session"):
                await client.call_tool("hello", {"name": "again"})
        assert ok(cli(portcullis_bin, srv.base, "sessions", "list")) == "no live sessions\n"
        error = failed(cli(portcullis_bin, srv.base, "sessions", "end", session["id"]), 1)
        assert f"no session `{session['id']}`" in error and "404" in error, error


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

        # This host has no Docker: the container commands say so (with Docker, an unknown id is a 404).
        containers = cli(portcullis_bin, srv.base, "containers", "list")
        if containers.returncode == 0:
            assert containers.stdout == "no containers\n" or containers.stdout.startswith("ID "), containers.stdout
            assert "no container `ghost`" in failed(cli(portcullis_bin, srv.base, "containers", "rm", "ghost"), 1)
        else:
            assert "Docker is not enabled" in failed(containers, 1) and "503" in containers.stderr, containers.stderr
            assert "Docker is not enabled" in failed(cli(portcullis_bin, srv.base, "containers", "rm", "ghost"), 1)

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
