"""Shared fixtures: the host binary, the example and test plugins, and helpers
to start `portcullis serve` over stdio with the Python MCP SDK client.

The binaries are built by scripts/test.sh before pytest runs; these fixtures
only locate them (PORTCULLIS_BIN and PORTCULLIS_WASM_DIR override the paths).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from mcp import StdioServerParameters

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("PORTCULLIS_BIN", REPO / "target" / "debug" / "portcullis"))
WASM_DIR = Path(os.environ.get("PORTCULLIS_WASM_DIR", REPO / "target" / "wasm32-wasip2" / "plugin"))
FIXTURE_SERVER = REPO / "tests" / "fixtures" / "upstream" / "everything_server.py"


@pytest.fixture
def anyio_backend():
    return "asyncio"


def wasm(name: str) -> Path:
    """The built component of an example or test plugin."""
    path = WASM_DIR / f"{name}.wasm"
    if not path.exists():
        pytest.fail(f"{path} is missing: run scripts/test.sh, which builds the plugins")
    return path


@pytest.fixture(scope="session")
def portcullis_bin() -> Path:
    if not BIN.exists():
        pytest.fail(f"{BIN} is missing: run scripts/test.sh, which builds it")
    return BIN


@pytest.fixture
def plugin_dir(tmp_path: Path) -> Path:
    d = tmp_path / "plugins"
    d.mkdir()
    return d


@pytest.fixture
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.getbasetemp() / "compile-cache"


def install(plugin_dir: Path, name: str, as_name: str | None = None) -> Path:
    """Copies a built plugin into `plugin_dir` atomically (write, then rename)."""
    target = plugin_dir / f"{as_name or name}.wasm"
    tmp = plugin_dir / f".{target.name}.tmp"
    shutil.copyfile(wasm(name), tmp)
    tmp.rename(target)
    return target


def server(bin: Path, plugin_dir: Path, cache_dir: Path, *extra: str, env: dict[str, str] | None = None) -> StdioServerParameters:
    """Parameters that start `portcullis serve` on stdio with `plugin_dir`."""
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LOG_LEVEL": "info",
        "PORTCULLIS_CACHE_DIR": str(cache_dir),
        # Each test's host has its own state database.
        "PORTCULLIS_STATE_DIR": str(plugin_dir.parent / "state"),
    }
    environment.update(env or {})
    return StdioServerParameters(command=str(bin), args=["serve", "--plugins", str(plugin_dir), *extra], env=environment)


def text_of(result) -> str:
    """All text content of a tool result, joined."""
    return "\n".join(c.text for c in result.content if getattr(c, "type", None) == "text")


@contextmanager
def local_registry(root: Path):
    """Debian's docker-registry (the CNCF distribution registry) on a free
    loopback port, storing under `root`; yields `127.0.0.1:PORT` and stops it."""
    registry_bin = shutil.which("docker-registry")
    if registry_bin is None:
        pytest.fail("docker-registry is missing: run scripts/setup.sh")
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = root / "config.yml"
    config.write_text(
        f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {root / 'data'}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\nlog:\n  level: warn\n"
    )
    proc = subprocess.Popen([registry_bin, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for_port(port, proc, "docker-registry")
    try:
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def wait_for_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 30):
    """Waits until something accepts connections on loopback `port`, failing
    the test (with `proc`'s stderr) if `proc` exits or `timeout` s pass first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"{what} did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
            time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def fixture_server_over_http(flag: str, env: dict[str, str] | None = None):
    """The fixture MCP server as its own process on loopback, over Streamable
    HTTP (`--http`) or legacy SSE (`--sse`); yields its URL."""
    port = free_port()
    environment = {**os.environ, **(env or {})}
    proc = subprocess.Popen([sys.executable, str(FIXTURE_SERVER), flag, str(port)], stderr=subprocess.PIPE, env=environment)
    try:
        wait_for_port(port, proc, f"{flag} fixture server")
        path = "/mcp" if flag == "--http" else "/sse"
        yield f"http://127.0.0.1:{port}{path}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
