"""The commands that need no running host (`config check`, `health`,
`plugin inspect`, `plugin new`), run as subprocesses; the seed projects'
environment variables and `*_FILE` secrets end to end. (SIGQUIT's drain is
tested beside SIGTERM's in test_http.py.)"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import anyio
import httpx
import pytest
from mcp import Client

from conftest import REPO, install, server, text_of, wasm
from test_admin import ADMIN_KEY, admin_host
from test_http import API_KEY, client_with_token, http_server

pytestmark = pytest.mark.anyio


def run(bin: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120, cwd=None) -> subprocess.CompletedProcess:
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PORTCULLIS_BUNDLED_PLUGINS": "false",
        **(env or {}),
    }
    return subprocess.run([str(bin), *args], env=environment, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, cwd=cwd)


# --- config check ------------------------------------------------------------------------------


def test_config_check_reports_every_problem_with_its_key(portcullis_bin, tmp_path):
    config = tmp_path / "portcullis.toml"
    config.write_text('log_levle = "warn"\n[docker]\npids = 0\n[http]\ncors_origins = ["chatgpt.com"]\n[servers.a]\nurl = "ftp://x"\n')
    done = run(portcullis_bin, "config", "check", "--config", str(config), env={"DOCKER_MCP_CPU_LIMIT": "lots"})
    assert done.returncode == 1, done
    assert done.stdout == ""
    for key in ["log_levle", "docker.pids", "http.cors_origins", "servers.a.url", "DOCKER_MCP_CPU_LIMIT"]:
        assert key in done.stderr, (key, done.stderr)
    assert "5 problems found" in done.stderr


def test_config_check_prints_the_effective_configuration_without_secrets(portcullis_bin, tmp_path):
    config = tmp_path / "portcullis.toml"
    config.write_text('[http.api_keys]\nci = "file-api-key-0123456789"\n[servers.git]\ncommand = ["git-mcp"]\nenv = { TOKEN = "server-token-value" }\n')
    secret = tmp_path / "admin_key"
    secret.write_text("admin-key-from-a-file-0123\n")
    done = run(
        portcullis_bin, "config", "check", "--config", str(config),
        env={"ADMIN_API_KEY_FILE": str(secret), "API_KEY": "env-api-key-0123456789", "PORT": "8000", "DOCKER_MCP_PIDS_LIMIT": "64"},
    )
    assert done.returncode == 0, done
    for secret_value in ["file-api-key", "server-token-value", "env-api-key", "admin-key-from-a-file"]:
        assert secret_value not in done.stdout + done.stderr
    assert "<redacted>" in done.stdout and "git-mcp" in done.stdout
    assert "127.0.0.1:8000" in done.stdout and "pids: 64" in done.stdout


# --- health ------------------------------------------------------------------------------------


def test_health_checks_the_configuration_and_the_plugins(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    install(plugin_dir, "hello")
    env = {"PORTCULLIS_CACHE_DIR": str(cache_dir)}
    done = run(portcullis_bin, "health", "--plugins", str(plugin_dir), env=env)
    assert done.returncode == 0, done
    assert "plugins: 1 loaded" in done.stdout

    (plugin_dir / "broken.wasm").write_bytes(b"definitely not wasm")
    done = run(portcullis_bin, "health", "--plugins", str(plugin_dir), env=env)
    assert done.returncode == 1, done
    assert "broken.wasm" in done.stderr

    bad = tmp_path / "bad.toml"
    bad.write_text("[docker]\ncpus = -1\n")
    done = run(portcullis_bin, "health", "--config", str(bad), env=env)
    assert done.returncode == 1 and "docker.cpus" in done.stderr, done


def test_health_asks_a_running_listener(portcullis_bin, plugin_dir, cache_dir):
    install(plugin_dir, "hello")
    env = {"PORTCULLIS_CACHE_DIR": str(cache_dir)}
    with http_server(portcullis_bin, plugin_dir, cache_dir) as srv:
        done = run(portcullis_bin, "health", "--plugins", str(plugin_dir), "--url", srv.base, env=env)
        assert done.returncode == 0, done
        assert "readyz answered ready" in done.stdout
        port = srv.base.rsplit(":", 1)[1]
        # A configured listener (PORT, as seed 004 sets it) is asked without --url.
        done = run(portcullis_bin, "health", "--plugins", str(plugin_dir), env={**env, "PORT": port})
        assert done.returncode == 0 and "readyz answered ready" in done.stdout, done
    done = run(portcullis_bin, "health", "--plugins", str(plugin_dir), "--url", srv.base, env=env)
    assert done.returncode == 1 and "nothing answered" in done.stderr, done


# --- plugin inspect ----------------------------------------------------------------------------


def test_plugin_inspect_shows_the_contract_and_what_it_needs(portcullis_bin, tmp_path):
    done = run(portcullis_bin, "plugin", "inspect", str(wasm("hello")))
    assert done.returncode == 0, done
    assert re.search(r"wit\s+portcullis:plugin@0\.2\.0", done.stdout), done.stdout
    assert re.search(r"tools\s+hello", done.stdout) and "grants      none needed" in done.stdout

    done = run(portcullis_bin, "plugin", "inspect", "--json", str(wasm("conformance")))
    assert done.returncode == 0, done
    report = json.loads(done.stdout)
    assert report["wit_version"] == "0.2.0"
    assert {"tools", "resources", "prompts", "completions"} <= set(report["exports"])
    assert "test_simple_text" in [t["name"] for t in report["tools"]]
    assert "test://static-text" in [r["uri"] for r in report["resources"]]
    assert report["prompts"] and any(i.startswith("portcullis:plugin/") for i in report["imports"])

    broken = tmp_path / "broken.wasm"
    broken.write_bytes(b"definitely not wasm")
    done = run(portcullis_bin, "plugin", "inspect", str(broken))
    assert done.returncode == 1 and "broken.wasm does not load" in done.stderr, done
    done = run(portcullis_bin, "plugin", "inspect", str(tmp_path / "missing.wasm"))
    assert done.returncode == 1 and "missing.wasm" in done.stderr, done


# --- plugin new --------------------------------------------------------------------------------


def test_plugin_new_refuses_names_that_are_not_crate_names(portcullis_bin, tmp_path):
    for name in ["../escape", "a/b", "x;rm", "$(id)"]:
        done = run(portcullis_bin, "plugin", "new", name, "--dir", str(tmp_path))
        assert done.returncode == 1 and "not a valid plugin name" in done.stderr, done
    assert list(tmp_path.iterdir()) == []


async def test_plugin_new_builds_and_its_tool_is_callable_once_dropped_in(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    work = tmp_path / "authoring"
    work.mkdir()
    done = run(portcullis_bin, "plugin", "new", "demo", "--dir", str(work))
    assert done.returncode == 0, done
    crate = work / "demo"
    # One target directory for every run: the dependencies build once (offline, from the cargo cache).
    target = REPO / "target" / "plugin-new"
    build_env = {**os.environ, "CARGO_TARGET_DIR": str(target)}
    build_env.pop("RUSTFLAGS", None)
    built = await anyio.to_thread.run_sync(
        lambda: subprocess.run(
            ["cargo", "build", "--offline", "--target", "wasm32-wasip2", "--release"],
            cwd=crate, env=build_env, capture_output=True, text=True, timeout=600,
        )
    )
    assert built.returncode == 0, built.stderr
    component = target / "wasm32-wasip2" / "release" / "demo.wasm"
    async with Client(server(portcullis_bin, plugin_dir, cache_dir), mode="legacy") as client:
        tmp = plugin_dir / ".demo.wasm.tmp"
        tmp.write_bytes(component.read_bytes())
        tmp.rename(plugin_dir / "demo.wasm")
        with anyio.fail_after(20):
            while "demo" not in {t.name for t in (await client.list_tools()).tools}:
                await anyio.sleep(0.1)
        assert text_of(await client.call_tool("demo", {"name": "Ada"})) == "Hello, Ada!"


# --- the seed projects' variables and *_FILE secrets ------------------------------------------


async def test_seed_variables_and_a_file_secret_take_effect(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    install(plugin_dir, "hello")
    secret = tmp_path / "api_key"
    secret.write_text(API_KEY + "\n")
    env = {"API_KEY_FILE": str(secret), "RATE_LIMIT_PER_MINUTE": "1000", "CORS_ORIGINS": "https://chatgpt.com", "DOCKER_MCP_DEBUG": "true"}
    with http_server(portcullis_bin, plugin_dir, cache_dir, env={**env, "LOG_LEVEL": ""}) as srv:
        assert httpx.post(srv.url, json={}).status_code == 401, "the key from the file is required"
        async with client_with_token(srv.url, API_KEY, "2026-07-28") as client:
            assert text_of(await client.call_tool("hello", {"name": "file"})) == "Hello, file!"
        preflight = httpx.options(
            srv.url, headers={"Origin": "https://chatgpt.com", "Access-Control-Request-Method": "POST"}
        )
        assert preflight.headers.get("access-control-allow-origin") == "https://chatgpt.com"
        assert srv.terminate() == 0
    assert " DEBUG " in srv.log, "DOCKER_MCP_DEBUG turns on debug logs"
    assert API_KEY not in srv.log


def test_the_admin_commands_read_the_key_from_admin_api_key_file(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    secret = tmp_path / "admin_key"
    secret.write_text(ADMIN_KEY + "\n")
    with admin_host(portcullis_bin, plugin_dir, cache_dir, tmp_path / "state") as (srv, _):
        env = {"PORTCULLIS_URL": srv.base, "ADMIN_API_KEY_FILE": str(secret)}
        done = run(portcullis_bin, "status", env=env)
        assert done.returncode == 0, done
        assert ADMIN_KEY not in done.stdout + done.stderr
        done = run(portcullis_bin, "status", env={**env, "ADMIN_API_KEY_FILE": str(tmp_path / "missing")})
        assert done.returncode == 2 and "ADMIN_API_KEY_FILE" in done.stderr, done
