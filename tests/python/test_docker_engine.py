"""Engine management (the bundled `docker` plugin on the `docker-engine`
import) against the real Docker engine, through the Python MCP client over
stdio: containers, images, volumes and networks Portcullis did not create,
the two grants, the operator's scope, confirmation by elicitation in both
protocol eras, and pulls from a local registry (Debian's docker-registry,
installed by scripts/setup.sh) with progress and cancellation.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
import threading
import time
import urllib.request
import uuid
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import anyio
import mcp_types as types
import pytest
from mcp import Client

from conftest import local_registry, server, text_of

pytestmark = pytest.mark.anyio

BUSYBOX = "portcullis-test/busybox:1"
MODES = ["legacy", "2026-07-28"]


def docker(*args: str, check: bool = True) -> str:
    done = subprocess.run(["docker", *args], capture_output=True, text=True)
    if check and done.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)}: {done.stderr}")
    return done.stdout.strip()


def exists(kind: str, name: str) -> bool:
    return subprocess.run(["docker", kind, "inspect", name], capture_output=True).returncode == 0


def state(container: str) -> str:
    return docker("inspect", "-f", "{{.State.Status}}", container)


class Objects:
    """Engine objects made for one test (not by Portcullis), labelled `pct.test=<tag>`
    and removed afterwards."""

    def __init__(self):
        self.tag = uuid.uuid4().hex[:8]
        self.label = f"pct.test={self.tag}"

    def name(self, what: str) -> str:
        return f"pct-{self.tag}-{what}"

    def container(self, what: str) -> str:
        name = self.name(what)
        script = f"echo hello-{self.tag}; while true; do echo tick; sleep 1; done"
        docker("run", "-d", "--name", name, "--label", self.label, BUSYBOX, "sh", "-c", script)
        return name

    def cleanup(self):
        for kind, ls in [("container", ["ps", "-aq"]), ("volume", ["volume", "ls", "-q"]), ("network", ["network", "ls", "-q"])]:
            ids = docker(*ls, "--filter", f"label={self.label}", check=False).split()
            if ids:
                rm = ["rm", "-f"] if kind == "container" else [kind, "rm"]
                docker(*rm, *ids, check=False)
        images = docker("images", "-q", "--filter", f"label={self.label}", check=False).split()
        tagged = [i for i in docker("images", "--format", "{{.Repository}}:{{.Tag}}", check=False).split() if self.tag in i]
        if images or tagged:
            docker("rmi", "-f", *images, *tagged, check=False)


@pytest.fixture
def objects():
    made = Objects()
    yield made
    made.cleanup()


def host(portcullis_bin, plugin_dir, cache_dir, grants: list[str] | None, extra: str = ""):
    """Stdio parameters for a host with the bundled plugins, the docker plugin
    granted `grants` (not configured at all when None)."""
    config = plugin_dir.parent / "portcullis.toml"
    text = f'[docker]\ndefault_image = "{BUSYBOX}"\n'
    if grants is not None:
        text += f"[plugins.docker]\ngrants = {json.dumps(grants)}\n"
    config.write_text(text + extra)
    return server(portcullis_bin, plugin_dir, cache_dir, "--config", str(config))


async def tool_names(client) -> set[str]:
    return {t.name for t in (await client.list_tools()).tools}


async def call(client, name: str, args: dict, **kwargs):
    """A call that must succeed."""
    result = await client.call_tool(name, args, **kwargs)
    assert not result.is_error, f"{name}: {text_of(result)}"
    return result


async def refused(client, name: str, args: dict) -> str:
    """A call that must fail; its text."""
    result = await client.call_tool(name, args)
    assert result.is_error, f"{name} succeeded: {text_of(result)}"
    return text_of(result)


# --- Grants ------------------------------------------------------------------------------------


@pytest.mark.parametrize("grants", [None, []], ids=["not-configured", "no-grants"])
async def test_without_a_grant_there_are_no_docker_tools(portcullis_bin, plugin_dir, cache_dir, grants):
    async with Client(host(portcullis_bin, plugin_dir, cache_dir, grants)) as client:
        names = await tool_names(client)
        assert "execute_code" in names  # the sandbox is there
        assert not [n for n in names if n.startswith("docker_")], names


async def test_read_grant_reads_the_engine_and_never_reaches_portcullis_containers(
    portcullis_bin, plugin_dir, cache_dir, objects
):
    web = objects.container("web")
    volume = objects.name("vol")
    docker("volume", "create", "--label", objects.label, volume)
    async with Client(host(portcullis_bin, plugin_dir, cache_dir, ["docker-read"])) as client:
        names = await tool_names(client)
        assert {"docker_list_containers", "docker_container_logs", "docker_disk_usage", "docker_events"} <= names
        assert not names & {"docker_stop_container", "docker_remove_container", "docker_pull_image"}, names

        sandbox = (await call(client, "create_container", {"image": BUSYBOX})).structured_content
        sandbox_id = sandbox["id"]

        listed = (await call(client, "docker_list_containers", {"filters": [f"label={objects.label}"]})).structured_content
        assert [c["name"] for c in listed["containers"]] == [web]
        every = (await call(client, "docker_list_containers", {"all": True})).structured_content["containers"]
        assert web in [c["name"] for c in every]
        assert not [c for c in every if "portcullis.managed" in c["labels"]], "a Portcullis container was listed"
        assert not [c for c in every if c["id"].startswith(sandbox_id[:12])]
        hidden = await refused(client, "docker_inspect_container", {"container": sandbox_id})
        assert "no container" in hidden, hidden

        inspected = (await call(client, "docker_inspect_container", {"container": web})).structured_content
        assert inspected["Name"] == f"/{web}" and inspected["State"]["Running"] is True
        logs = (await call(client, "docker_container_logs", {"container": web, "tail": 1000})).structured_content
        assert f"hello-{objects.tag}" in logs["text"] and "tick" in logs["text"]
        last = (await call(client, "docker_container_logs", {"container": web, "tail": 1})).structured_content
        assert last["text"].strip() == "tick", last
        stats = (await call(client, "docker_container_stats", {"container": web})).structured_content
        assert stats["pids"] >= 2 and stats["memory_bytes"] > 0, stats

        images = (await call(client, "docker_list_images", {"filters": [f"reference={BUSYBOX}"]})).structured_content
        assert [i["tags"] for i in images["images"]] == [[BUSYBOX]]
        volumes = (await call(client, "docker_list_volumes", {})).structured_content["volumes"]
        assert volume in [v["name"] for v in volumes]
        assert not [v for v in volumes if "portcullis.managed" in v["labels"]], "a workspace volume was listed"
        networks = (await call(client, "docker_list_networks", {})).structured_content["networks"]
        assert "bridge" in [n["name"] for n in networks]
        usage = (await call(client, "docker_disk_usage", {})).structured_content
        assert usage["images"] >= 2 and usage["containers"] >= 1, usage
        events = (await call(client, "docker_events", {"since": "10m", "filters": [f"container={web}"]})).structured_content
        assert "start" in [e["action"] for e in events["events"]], events

        # The changing tools are absent, so nothing can stop the container.
        try:
            absent = await client.call_tool("docker_stop_container", {"container": web})
            assert absent.is_error, text_of(absent)
        except Exception as e:  # an unknown tool may be a JSON-RPC error
            assert "docker_stop_container" in str(e), e
        assert state(web) == "running"


# --- Changing state, within the operator's scope -----------------------------------------------


SCOPED = """
[docker_admin.containers]
deny = ["pct-*-prod"]
"""


async def test_manage_grant_changes_state_within_the_operators_scope(portcullis_bin, plugin_dir, cache_dir, objects):
    web, prod = objects.container("web"), objects.container("prod")
    image = f"pct-{objects.tag}/img:1"
    docker("tag", BUSYBOX, image)
    params = host(portcullis_bin, plugin_dir, cache_dir, ["docker-read", "docker-manage"], SCOPED)
    # No elicitation support and `confirm` at its default (`elicit`): nobody is asked.
    async with Client(params) as client:
        await call(client, "docker_stop_container", {"container": web, "timeout_secs": 1})
        assert state(web) == "exited"
        await call(client, "docker_start_container", {"container": web})
        assert state(web) == "running"
        await call(client, "docker_pause_container", {"container": web})
        assert state(web) == "paused"
        await call(client, "docker_unpause_container", {"container": web})
        await call(client, "docker_restart_container", {"container": web, "timeout_secs": 1})
        assert state(web) == "running"

        denied = await refused(client, "docker_stop_container", {"container": prod})
        assert '"pct-*-prod" in `docker_admin.containers.deny`' in denied, denied
        assert state(prod) == "running"
        listed = (await call(client, "docker_list_containers", {"filters": [f"label={objects.label}"]})).structured_content
        assert [c["name"] for c in listed["containers"]] == [web]

        running = await refused(client, "docker_remove_container", {"container": web})
        assert "running" in running.lower(), running
        await call(client, "docker_remove_container", {"container": web, "force": True})
        assert not exists("container", web)

        await call(client, "docker_remove_image", {"image": image})
        assert not exists("image", image) and exists("image", BUSYBOX)

        volume = objects.name("vol")
        created = await call(client, "docker_create_volume", {"name": volume, "labels": {"pct.test": objects.tag}})
        assert created.structured_content["name"] == volume and exists("volume", volume)
        forged = await refused(client, "docker_create_volume", {"name": objects.name("x"), "labels": {"portcullis.managed": "true"}})
        assert "reserved" in forged, forged
        await call(client, "docker_remove_volume", {"name": volume})
        assert not exists("volume", volume)

        network = objects.name("net")
        await call(client, "docker_create_network", {"name": network, "internal": True, "labels": {"pct.test": objects.tag}})
        assert docker("network", "inspect", "-f", "{{.Internal}}", network) == "true"
        await call(client, "docker_remove_network", {"network": network})
        assert not exists("network", network)

        bad = await refused(client, "docker_inspect_image", {"image": "../containers/json"})
        assert "not a image" in bad or "not an image" in bad or "reference" in bad, bad


async def test_pruning_removes_only_dangling_images_in_scope(portcullis_bin, plugin_dir, cache_dir, objects):
    repo = f"pct-{objects.tag}/dangle:1"
    source = objects.container("src")
    for _ in range(2):  # the second import takes the tag: the first is left dangling
        export = subprocess.Popen(["docker", "export", source], stdout=subprocess.PIPE)
        subprocess.run(["docker", "import", "--change", f"LABEL pct.test={objects.tag}", "-", repo], stdin=export.stdout, check=True, capture_output=True)
        export.wait()
    dangling = docker("images", "-q", "--filter", "dangling=true", "--filter", f"label={objects.label}").split()
    assert len(dangling) == 1, dangling
    scope = f'[docker_admin]\nconfirm = "never"\n[docker_admin.images]\nallow = ["label:pct.test={objects.tag}"]\n'
    params = host(portcullis_bin, plugin_dir, cache_dir, ["docker-read", "docker-manage"], scope)
    async with Client(params) as client:
        listed = (await call(client, "docker_list_images", {})).structured_content["images"]
        assert all(dict(i["labels"]).get("pct.test") == objects.tag for i in listed), listed
        pruned = (await call(client, "docker_prune_images", {})).structured_content
        assert [r for r in pruned["removed"] if dangling[0] in r], pruned
    assert not exists("image", dangling[0]) and exists("image", repo) and exists("image", BUSYBOX)


# --- Confirmation ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_destructive_calls_ask_the_user_first(portcullis_bin, plugin_dir, cache_dir, objects, mode):
    web = objects.container("web")
    answers = ["decline", "cancel", "accept"]
    asked: list[str] = []

    async def answer(context, params):
        asked.append(params.message)
        return types.ElicitResult(action=answers[len(asked) - 1], content={} if answers[len(asked) - 1] == "accept" else None)

    params = host(portcullis_bin, plugin_dir, cache_dir, ["docker-read", "docker-manage"])
    async with Client(params, mode=mode, elicitation_callback=answer) as client:
        declined = await refused(client, "docker_remove_container", {"container": web, "force": True})
        assert "declined" in declined and "nothing changed" in declined, declined
        assert state(web) == "running"
        dismissed = await refused(client, "docker_remove_container", {"container": web, "force": True})
        assert "dismissed" in dismissed and "nothing changed" in dismissed, dismissed
        assert state(web) == "running"
        await call(client, "docker_remove_container", {"container": web, "force": True})
        assert not exists("container", web)
        # Starting is not destructive: nobody is asked.
        other = objects.container("other")
        docker("stop", "-t", "0", other)
        await call(client, "docker_start_container", {"container": other})
    assert len(asked) == 3, asked
    assert all(web in q and q.startswith("Remove container") for q in asked), asked


async def test_require_refuses_destructive_calls_from_a_client_that_cannot_confirm(
    portcullis_bin, plugin_dir, cache_dir, objects
):
    web = objects.container("web")
    params = host(portcullis_bin, plugin_dir, cache_dir, ["docker-read", "docker-manage"], '[docker_admin]\nconfirm = "require"\n')
    async with Client(params) as client:
        refusal = await refused(client, "docker_stop_container", {"container": web})
        assert 'docker_admin.confirm = "require"' in refusal and "nothing changed" in refusal, refusal
        assert state(web) == "running"
        await call(client, "docker_pause_container", {"container": web})
        assert state(web) == "paused"


# --- Pulls from a local registry ---------------------------------------------------------------


class Throttled(BaseHTTPRequestHandler):
    """Forwards registry requests, sending blobs at about 2 MiB/s, so that a
    pull lasts long enough to be cancelled."""

    upstream = ""
    sent = 0  # blob bytes sent so far, by every front

    def do_HEAD(self):
        self.forward(body=False)

    def do_GET(self):
        self.forward(body=True)

    def forward(self, body: bool):
        request = urllib.request.Request(self.upstream + self.path, method=self.command, headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
        try:
            reply = urllib.request.urlopen(request, timeout=30)
        except urllib.error.HTTPError as e:
            reply = e
        self.send_response(reply.status if hasattr(reply, "status") else reply.code)
        for key, value in reply.headers.items():
            if key.lower() not in ("transfer-encoding", "connection"):
                self.send_header(key, value)
        self.end_headers()
        if not body:
            return
        blob = "/blobs/" in self.path
        try:
            while chunk := reply.read(64 * 1024):
                self.wfile.write(chunk)
                if blob:
                    Throttled.sent += len(chunk)
                    time.sleep(0.03)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """A registry on loopback holding the test images, and a throttled front
    for it; yields (direct, throttled) host:port addresses."""
    root = tmp_path_factory.mktemp("registry")
    with local_registry(root) as direct:
        yield from _filled(root, direct)


def _filled(root: Path, direct: str):
    """Fills the registry at `direct` and yields (direct, throttled front)."""
    # Images of random bytes, so that no layer of theirs is on the engine already.
    for name, mib in [("pct/random:1", 4), ("pct/big:1", 48)]:
        archive = root / f"{mib}.tar"
        with tarfile.open(archive, "w") as tar:
            info = tarfile.TarInfo("random.bin")
            info.size = mib << 20
            tar.addfile(info, io.BytesIO(os.urandom(info.size)))
        docker("import", str(archive), f"{direct}/{name}")
        docker("push", f"{direct}/{name}")
        docker("rmi", f"{direct}/{name}")
    handler = type("Front", (Throttled,), {"upstream": f"http://{direct}"})
    front = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=front.serve_forever, daemon=True).start()
    yield direct, f"127.0.0.1:{front.server_address[1]}"
    front.shutdown()


@asynccontextmanager
async def manager(portcullis_bin, plugin_dir, cache_dir):
    params = host(portcullis_bin, plugin_dir, cache_dir, ["docker-read", "docker-manage"])
    async with Client(params) as client:
        yield client


async def test_a_pull_reports_progress(portcullis_bin, plugin_dir, cache_dir, registry):
    direct, _ = registry
    reference = f"{direct}/pct/random:1"
    docker("rmi", reference, check=False)
    progress: list[tuple[float, str | None]] = []

    async def on_progress(value, total, message):
        progress.append((value, message))

    try:
        async with manager(portcullis_bin, plugin_dir, cache_dir) as client:
            pulled = await call(client, "docker_pull_image", {"reference": reference}, progress_callback=on_progress)
            assert reference in pulled.structured_content["tags"], pulled.structured_content
        assert exists("image", reference)
        assert progress and all(reference in (m or "") for _, m in progress), progress
        assert progress[-1][0] > 0, progress
    finally:
        docker("rmi", reference, check=False)


async def test_a_cancelled_pull_stops_and_leaves_no_image(portcullis_bin, plugin_dir, cache_dir, registry):
    _, throttled = registry
    reference = f"{throttled}/pct/big:1"
    docker("rmi", reference, check=False)
    started = anyio.Event()

    async def on_progress(value, total, message):
        if value > 0:
            started.set()

    try:
        async with manager(portcullis_bin, plugin_dir, cache_dir) as client:
            async with anyio.create_task_group() as group:

                async def pull():
                    await client.call_tool("docker_pull_image", {"reference": reference}, progress_callback=on_progress)

                group.start_soon(pull)
                with anyio.fail_after(60):
                    await started.wait()
                group.cancel_scope.cancel()
            # The host keeps serving after the cancellation.
            await call(client, "docker_list_images", {"filters": [f"reference={BUSYBOX}"]})
            # The engine stopped downloading: the registry sends nothing more.
            await anyio.sleep(2)
            sent = Throttled.sent
            await anyio.sleep(3)
            assert Throttled.sent == sent, "the engine went on pulling after the call was cancelled"
            assert sent < 48 << 20
        assert not exists("image", reference), "the cancelled pull went on to completion"
    finally:
        docker("rmi", reference, check=False)


# --- Resources, the prompt, completions, the log cap -------------------------------------------


async def test_resources_prompt_and_completion_help_diagnose_a_failing_container(
    portcullis_bin, plugin_dir, cache_dir, objects
):
    failing = objects.name("failing")
    noisy = objects.name("noisy")
    docker("run", "-d", "--name", failing, "--label", objects.label, BUSYBOX, "sh", "-c", f"echo cannot-open-config-{objects.tag} >&2; exit 3")
    docker("run", "-d", "--name", noisy, "--label", objects.label, BUSYBOX, "sh", "-c", "seq 1 20000; sleep 600")
    docker("wait", failing)
    params = host(portcullis_bin, plugin_dir, cache_dir, ["docker-read"], "[docker_admin]\nlogs_cap_bytes = 4096\n")
    async with Client(params) as client:
        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
        assert {"docker://containers/{container}/logs", "docker://containers/{container}/inspect"} <= templates
        logs = await client.read_resource(f"docker://containers/{failing}/logs")
        assert f"cannot-open-config-{objects.tag}" in logs.contents[0].text
        inspect = await client.read_resource(f"docker://containers/{failing}/inspect")
        assert json.loads(inspect.contents[0].text)["State"]["ExitCode"] == 3

        prompt = await client.get_prompt("docker_diagnose_container", {"container": failing})
        told = "\n".join(m.content.text for m in prompt.messages if m.content.type == "text")
        assert "3" in told and f"cannot-open-config-{objects.tag}" in told, told

        completed = await client.complete(
            types.PromptReference(type="ref/prompt", name="docker_diagnose_container"),
            {"name": "container", "value": f"pct-{objects.tag}-f"},
        )
        assert completed.completion.values == [failing], completed

        for _ in range(50):  # until seq has written everything
            capped = (await call(client, "docker_container_logs", {"container": noisy, "tail": 20000})).structured_content
            if capped["text"].rstrip().endswith("20000"):
                break
            await anyio.sleep(0.1)
        assert capped["truncated"] is True and len(capped["text"]) <= 4096, capped["truncated"]
        assert capped["text"].rstrip().endswith("20000")
        whole = await client.call_tool("docker_container_logs", {"container": noisy, "tail": 20000})
        assert "cut" in text_of(whole).lower() or "truncated" in text_of(whole).lower(), text_of(whole)[-300:]
