"""The container image, as users run it: built from the repository's
Dockerfile by scripts/build-image.sh (scripts/test.sh does, once, and runs
this file last), then driven with `docker run -i`, `docker exec -i` into a detached
container, its health check, SIGTERM, a mounted configuration and the Docker
socket. Everything runs with `--read-only --tmpfs /tmp`, the way the
Dockerfile's header recommends."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from conftest import REPO, wasm

IMAGE = os.environ.get("PORTCULLIS_IMAGE", "portcullis:test")
SANDBOX_IMAGE = "portcullis-test/python:3"
# Cross-built by scripts/test.sh (scripts/static-binary.sh aarch64 image-test, in target/static).
ARM64_BIN = Path(os.environ.get("PORTCULLIS_ARM64_BIN", REPO / "target" / "static" / "aarch64-unknown-linux-musl" / "image-test" / "portcullis"))
ELF_MACHINE_AARCH64 = 0xB7
SOCKET = "/var/run/docker.sock"
HARDENED = ["--read-only", "--tmpfs", "/tmp", "--security-opt", "no-new-privileges", "--cap-drop", "ALL"]
# The engine's socket, with its group, for the image's non-root user.
WITH_ENGINE = ["-v", f"{SOCKET}:{SOCKET}", "--group-add", str(os.stat(SOCKET).st_gid)]
# An engine address that leads nowhere, so a test that should not use Docker cannot by accident.
NO_ENGINE = ["-e", "DOCKER_HOST=unix:///nonexistent.sock"]


def docker(*args: str, timeout: float = 60) -> str:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def image() -> dict:
    found = subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True, text=True)
    if found.returncode != 0:
        pytest.fail(f"image {IMAGE} is missing: run scripts/test.sh, which builds it (scripts/build-image.sh)")
    return json.loads(found.stdout)[0]


class Pipe:
    """A JSON-RPC peer on a process's stdin/stdout; stderr is collected apart."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.lines: queue.Queue[bytes] = queue.Queue()
        self.stdout: list[bytes] = []
        self.stderr: list[bytes] = []
        threading.Thread(target=self._read, args=(self.proc.stdout, self.lines, self.stdout), daemon=True).start()
        threading.Thread(target=self._read, args=(self.proc.stderr, None, self.stderr), daemon=True).start()

    @staticmethod
    def _read(stream, lines, sink):
        for line in stream:
            sink.append(line)
            if lines is not None:
                lines.put(line)

    def send(self, message: dict) -> None:
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def request(self, id: int, method: str, params: dict | None = None) -> None:
        self.send({"jsonrpc": "2.0", "id": id, "method": method, "params": params or {}})

    def response(self, id: int, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no answer to request {id} within {timeout} s; stderr: {self.log()}")
            message = json.loads(line)
            if message.get("id") == id:
                return message
            if time.monotonic() > deadline:
                raise AssertionError(f"no answer to request {id} within {timeout} s")

    def initialize(self, timeout: float = 60) -> dict:
        self.request(0, "initialize", {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "test_image", "version": "1"},
        })
        answer = self.response(0, timeout)
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return answer

    def call(self, id: int, tool: str, arguments: dict, timeout: float = 60) -> dict:
        self.request(id, "tools/call", {"name": tool, "arguments": arguments})
        return self.response(id, timeout)["result"]

    def close(self, timeout: float = 30) -> int:
        self.proc.stdin.close()
        return self.proc.wait(timeout=timeout)

    def log(self) -> str:
        return b"".join(self.stderr).decode(errors="replace")

    def assert_stdout_is_json_rpc(self) -> None:
        for line in self.stdout:
            assert json.loads(line)["jsonrpc"] == "2.0", line


def readable_by_the_image(directory: Path, config: Path) -> None:
    """pytest's directories are private; the image's user (65532) must read the mounted file."""
    directory.chmod(0o755)
    config.chmod(0o644)


def text(result: dict) -> str:
    return "\n".join(c.get("text", "") for c in result.get("content", []))


def test_image_is_small_non_root_labelled_and_checks_health(image):
    size_mb = image["Size"] / 1e6
    print(f"\nimage {IMAGE}: {size_mb:.1f} MB")
    assert size_mb < 100, f"{size_mb:.1f} MB"
    config = image["Config"]
    assert config["User"] == "65532:65532"
    assert config["Entrypoint"] == ["portcullis"] and config["Cmd"] == ["serve"]
    version = next(line.split('"')[1] for line in (REPO / "Cargo.toml").read_text().splitlines() if line.startswith("version = "))
    assert config["Labels"]["org.opencontainers.image.version"] == version
    assert config["Labels"]["org.opencontainers.image.licenses"] == "Apache-2.0"
    assert config["Healthcheck"]["Test"] == ["CMD", "portcullis", "health"]
    # Nothing but the binary and what it needs: no shell to exec into.
    shell = subprocess.run(["docker", "run", "--rm", "--entrypoint", "/bin/sh", IMAGE, "-c", "true"], capture_output=True, text=True)
    assert shell.returncode != 0


def test_docker_run_i_serves_stdio_with_a_read_only_root():
    pipe = Pipe(["docker", "run", "-i", "--rm", *HARDENED, *NO_ENGINE, IMAGE])
    try:
        init = pipe.initialize()
        assert init["result"]["serverInfo"]["name"] == "portcullis", init
        pipe.request(1, "tools/list")
        tools = {t["name"] for t in pipe.response(1)["result"]["tools"]}
        assert {"python__detect_packages", "check_engine", "execute_code"} <= tools, tools
        result = pipe.call(2, "python__detect_packages", {"code": "import yaml\nimport numpy as np"})
        assert result["structuredContent"]["packages"] == ["PyYAML", "numpy"], result
        # Bad input is an error for that request only.
        pipe.send({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "no_such_tool"}})
        assert "no_such_tool" in json.dumps(pipe.response(3))
        # stdin closing ends the server, and the container with it.
        assert pipe.close() == 0, pipe.log()
    finally:
        pipe.proc.kill()
    pipe.assert_stdout_is_json_rpc()
    log = pipe.log()
    assert "serving MCP on stdio" in log, log
    # The compile cache is on the noexec tmpfs: it is written, and no entry is refused.
    assert "could not write compile cache" not in log and "unusable compile cache" not in log, log


def test_invalid_mounted_config_exits_1_naming_the_key(tmp_path: Path):
    config = tmp_path / "portcullis.toml"
    config.write_text('log_level = "info"\n[docker]\nmemroy = "1g"\n')
    readable_by_the_image(tmp_path, config)
    done = subprocess.run(
        ["docker", "run", "-i", "--rm", *HARDENED, "-v", f"{tmp_path}:/config:ro", "-e", "CONFIG_FILE=/config/portcullis.toml", IMAGE],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert "/config/portcullis.toml" in done.stderr and "line 3" in done.stderr, done.stderr
    assert "unknown field `memroy`" in done.stderr, done.stderr
    assert done.stdout == ""


def test_detached_container_serves_docker_exec_and_turns_healthy():
    name = f"portcullis-image-test-{uuid.uuid4().hex[:8]}"
    docker("run", "-d", "--name", name, *HARDENED, *NO_ENGINE, "--health-interval", "1s", "--health-start-period", "30s", IMAGE)
    try:
        deadline = time.monotonic() + 60
        while docker("inspect", "-f", "{{.State.Health.Status}}", name) != "healthy":
            assert docker("inspect", "-f", "{{.State.Running}}", name) == "true", docker("logs", name)
            assert time.monotonic() < deadline, docker("inspect", "-f", "{{json .State.Health}}", name)
            time.sleep(0.5)
        uids = docker("top", name, "-eo", "pid,uid,args").splitlines()[1:]
        assert uids and all(line.split()[1] == "65532" for line in uids), uids
        assert "docker exec -i" in subprocess.run(["docker", "logs", name], capture_output=True, text=True).stderr

        # Two sessions, as Docker's MCP Toolkit opens them; the detached
        # process filled the compile cache, so both load compiled code from
        # the noexec tmpfs.
        for session in range(2):
            pipe = Pipe(["docker", "exec", "-i", name, "portcullis", "serve"])
            try:
                pipe.initialize()
                pipe.request(1, "tools/list")
                assert "python__detect_packages" in json.dumps(pipe.response(1))
                result = pipe.call(2, "node__detect_packages", {"code": "require('lodash')"})
                assert result["structuredContent"]["packages"] == ["lodash"], result
                assert pipe.close() == 0, pipe.log()
            finally:
                pipe.proc.kill()
            pipe.assert_stdout_is_json_rpc()
            assert "cache=Hit" in pipe.log() and "cache=Miss" not in pipe.log(), pipe.log()

        # One-shot, as seed 001 writes it: without `initialize`, the request is
        # a 2026-07-28 one and names its revision in `_meta`; without that it
        # gets an error saying so.
        stateless = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
        for meta, expected in [(stateless, "check_engine"), (None, "io.modelcontextprotocol/protocolVersion")]:
            request = {"jsonrpc": "2.0", "method": "tools/list", "id": 1, "params": {"_meta": meta} if meta else {}}
            shot = subprocess.run(["docker", "exec", "-i", name, "portcullis", "serve"], capture_output=True, timeout=60,
                                  input=json.dumps(request).encode() + b"\n")
            assert shot.returncode == 0
            assert expected in json.dumps(json.loads(shot.stdout.splitlines()[0])), shot.stdout

        docker("stop", "-t", "20", name, timeout=40)
        assert docker("inspect", "-f", "{{.State.ExitCode}}", name) == "0"
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)


def test_http_listens_on_all_interfaces_only_when_asked():
    import urllib.request

    def start(*env: str) -> tuple[str, str]:
        name = f"portcullis-image-test-{uuid.uuid4().hex[:8]}"
        # /readyz wants the engine the sandbox plugin needs.
        docker("run", "-d", "--name", name, *HARDENED, *WITH_ENGINE, *env, "-p", "127.0.0.1::8808",
               "--health-interval", "1s", IMAGE, "serve", "--http")
        port = docker("port", name, "8808/tcp").split(":")[-1]
        return name, f"http://127.0.0.1:{port}"

    asked, asked_url = start("-e", "HOST=0.0.0.0", "-e", "PORT=8808")
    default, default_url = start()
    try:
        deadline = time.monotonic() + 60
        while docker("inspect", "-f", "{{.State.Health.Status}}", asked) != "healthy":
            assert time.monotonic() < deadline, docker("inspect", "-f", "{{json .State.Health}}", asked)
            time.sleep(0.5)
        # The health check asked the listener's /readyz, which answers from outside too.
        assert "readyz answered ready" in docker("inspect", "-f", "{{json .State.Health}}", asked)
        with urllib.request.urlopen(f"{asked_url}/readyz", timeout=10) as answer:
            assert answer.status == 200
        # Without HOST, `serve --http` keeps to the container's loopback: nothing answers through the port.
        while "serving MCP over HTTP" not in (log := subprocess.run(["docker", "logs", default], capture_output=True, text=True).stderr):
            assert time.monotonic() < deadline, log
            time.sleep(0.5)
        assert "http://127.0.0.1:8808/mcp" in log, log
        with pytest.raises(OSError):
            urllib.request.urlopen(f"{default_url}/readyz", timeout=5)
    finally:
        subprocess.run(["docker", "rm", "-f", asked, default], capture_output=True)


def managed() -> set[str]:
    return set(docker("ps", "-aq", "--filter", "label=portcullis.managed=true").split())


def test_sandbox_through_the_socket_and_sigterm_during_a_call(tmp_path: Path):
    config = tmp_path / "portcullis.toml"
    config.write_text(f'[docker]\nimages = ["portcullis-test/*"]\ndefault_image = "{SANDBOX_IMAGE}"\n')
    readable_by_the_image(tmp_path, config)
    name = f"portcullis-image-test-{uuid.uuid4().hex[:8]}"
    pipe = Pipe(["docker", "run", "-i", "--rm", "--name", name, *HARDENED, *WITH_ENGINE,
                 "-v", f"{tmp_path}:/config:ro", "-e", "CONFIG_FILE=/config/portcullis.toml", IMAGE])
    try:
        pipe.initialize()
        engine = pipe.call(1, "check_engine", {})
        assert not engine.get("isError"), engine
        created = pipe.call(2, "create_container", {}, timeout=120)
        assert not created.get("isError"), created
        container = created["structuredContent"]["id"]
        assert container in docker("ps", "-q", "--no-trunc")

        pipe.request(3, "tools/call", {"name": "execute_code", "arguments": {"container_id": container, "command": "sleep 3; echo finished"}})
        time.sleep(1)
        docker("kill", "--signal", "TERM", name)
        result = pipe.response(3, timeout=30)["result"]
        assert "finished" in text(result), result
        assert pipe.proc.wait(timeout=30) == 0, pipe.log()
    finally:
        pipe.proc.kill()
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    assert "SIGTERM" in pipe.log(), pipe.log()
    assert container not in managed(), "the host removed its sandbox container on the way out"


def test_engine_management_never_reaches_the_container_portcullis_runs_in(tmp_path: Path):
    config = tmp_path / "portcullis.toml"
    config.write_text('[plugins.docker]\ngrants = ["docker-read", "docker-manage"]\n[docker_admin]\nconfirm = "never"\n')
    readable_by_the_image(tmp_path, config)
    name = f"portcullis-image-test-{uuid.uuid4().hex[:8]}"
    pipe = Pipe(["docker", "run", "-i", "--rm", "--name", name, *HARDENED, *WITH_ENGINE,
                 "-v", f"{tmp_path}:/config:ro", "-e", "CONFIG_FILE=/config/portcullis.toml", IMAGE])
    try:
        pipe.initialize()
        me = docker("inspect", "-f", "{{.Id}}", name)
        listed = pipe.call(1, "docker_list_containers", {"all": True})
        assert not listed.get("isError"), listed
        assert me not in [c["id"] for c in listed["structuredContent"]["containers"]], "the host's own container was listed"
        for id, tool in enumerate(["docker_stop_container", "docker_remove_container"], start=2):
            refused = pipe.call(id, tool, {"container": name})
            assert refused.get("isError") and "no container" in text(refused), refused
        assert docker("inspect", "-f", "{{.State.Running}}", name) == "true"
        assert pipe.close() == 0, pipe.log()
    finally:
        pipe.proc.kill()
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)


def test_without_the_socket_check_engine_says_what_is_missing():
    pipe = Pipe(["docker", "run", "-i", "--rm", *HARDENED, IMAGE])
    try:
        pipe.initialize()
        engine = pipe.call(1, "check_engine", {})
        assert engine.get("isError"), engine
        assert "unix:///var/run/docker.sock" in text(engine) and "unreachable" in text(engine), engine
        assert pipe.close() == 0
    finally:
        pipe.proc.kill()


def test_arm64_binary_serves_a_plugin_under_qemu(tmp_path: Path):
    if not ARM64_BIN.exists():
        pytest.fail(f"{ARM64_BIN} is missing: run scripts/test.sh with PORTCULLIS_TEST_ARM64=1, which cross-builds it")
    qemu = shutil.which("qemu-aarch64-static")
    if qemu is None:
        pytest.fail("qemu-aarch64-static is missing: run scripts/setup.sh")
    header = ARM64_BIN.read_bytes()[:20]
    assert header[:4] == b"\x7fELF" and int.from_bytes(header[18:20], "little") == ELF_MACHINE_AARCH64
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    shutil.copyfile(wasm("hello"), plugins / "hello.wasm")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PORTCULLIS_CACHE_DIR": str(tmp_path / "cache"),
        "PORTCULLIS_STATE_DIR": str(tmp_path / "state"),
        "PORTCULLIS_BUNDLED_PLUGINS": "false",
        "DOCKER_HOST": "unix:///nonexistent.sock",
    }
    version = subprocess.run([qemu, str(ARM64_BIN), "--version"], capture_output=True, text=True, timeout=60, env=env)
    assert version.returncode == 0 and version.stdout.startswith("portcullis "), version
    # Compiling the plugin is emulated too: give it time.
    pipe = Pipe([qemu, str(ARM64_BIN), "serve", "--plugins", str(plugins)], env=env)
    try:
        pipe.initialize(timeout=180)
        pipe.request(1, "tools/list")
        tools = [t["name"] for t in pipe.response(1, timeout=60)["result"]["tools"]]
        assert "hello" in tools, tools
        greeting = pipe.call(2, "hello", {"name": "arm64"}, timeout=60)
        assert not greeting.get("isError") and "arm64" in text(greeting), greeting
        assert pipe.close(timeout=60) == 0, pipe.log()
        pipe.assert_stdout_is_json_rpc()
    finally:
        pipe.proc.kill()
    assert "an emulator" in pipe.log(), "expected the host to notice the emulated address space"
