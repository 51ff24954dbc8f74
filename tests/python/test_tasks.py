"""Tool calls as tasks (the MCP tasks extension, SEP-2663) over Streamable HTTP
in the 2026-07-28 revision, with raw requests (the Python SDK does not speak
the extension): each request is its own HTTP connection, so a task outlives
the one that started it by construction.

The conformance plugin's fixtures (slow_compute, confirm_delete) need no
Docker; the sandbox tests need the test images (scripts/test-images.sh).
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time

import httpx
import pytest

from conftest import REPO, install
from test_http import answer_of, http_server

ALICE = "alice-key-0123456789abcdef"
BOB = "bob-key-0123456789abcdef00"
KEYS = f'[http.api_keys]\nalice = "{ALICE}"\nbob = "{BOB}"\n'
TASKS = "io.modelcontextprotocol/tasks"
IMAGE = "portcullis-test/python:3"


class RpcError(Exception):
    def __init__(self, error: dict):
        super().__init__(error.get("message"))
        self.code = error.get("code")
        self.data = error.get("data")


class Caller:
    """One principal's raw 2026-07-28 requests, each over a new connection."""

    def __init__(self, url: str, key: str, tasks: bool = True):
        self.url = url
        self.key = key
        self.capabilities = {"elicitation": {}, **({"extensions": {TASKS: {}}} if tasks else {})}

    def envelope(self, method: str, params: dict) -> tuple[dict, dict]:
        """The body and headers of a request."""
        meta = {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": self.capabilities,
        }
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": {**params, "_meta": meta}}
        headers = {
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2026-07-28",
            "Mcp-Method": method,
            "Authorization": f"Bearer {self.key}",
        }
        name = params.get("name") or params.get("taskId")
        if name:
            headers["Mcp-Name"] = name
        return body, headers

    def request(self, method: str, params: dict, timeout: float = 60) -> dict:
        body, headers = self.envelope(method, params)
        with httpx.Client(timeout=timeout) as http:
            answer = answer_of(http.post(self.url, json=body, headers=headers))
        if "error" in answer:
            raise RpcError(answer["error"])
        return answer["result"]

    def listen(self) -> "Listener":
        """A `subscriptions/listen` stream of this principal, read in the background."""
        return Listener(*self.envelope("subscriptions/listen", {"notifications": {"toolsListChanged": True}}), self.url)

    def call(self, tool: str, **arguments) -> dict:
        return self.request("tools/call", {"name": tool, "arguments": arguments})

    def get(self, task_id: str) -> dict:
        return self.request("tasks/get", {"taskId": task_id})

    def wait(self, task_id: str, until=lambda t: t["status"] in ("completed", "failed", "cancelled"), timeout=60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            task = self.get(task_id)
            if until(task) or time.monotonic() > deadline:
                return task
            time.sleep(0.2)


class Listener:
    """The messages of one open `subscriptions/listen` stream, as they come."""

    def __init__(self, body: dict, headers: dict, url: str):
        self.messages: queue.Queue[dict] = queue.Queue()
        self.http = httpx.Client(timeout=httpx.Timeout(5, read=None))
        self.thread = threading.Thread(target=self.read, args=(url, body, headers), daemon=True)
        self.thread.start()
        acknowledged = self.next(lambda m: m.get("method") == "notifications/subscriptions/acknowledged")
        assert acknowledged, "the listen stream was not acknowledged"

    def read(self, url: str, body: dict, headers: dict) -> None:
        try:
            with self.http.stream("POST", url, json=body, headers=headers) as response:
                for line in response.iter_lines():
                    if line.startswith("data:") and line[5:].strip():
                        self.messages.put(json.loads(line[5:]))
        except httpx.HTTPError:
            pass

    def next(self, wanted, timeout: float = 15) -> dict | None:
        """The next message that `wanted` accepts, skipping others; None after `timeout`."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = self.messages.get(timeout=left)
            except queue.Empty:
                return None
            if wanted(message):
                return message
        return None

    def close(self) -> None:
        self.http.close()


def task_notice(task_id: str, status: str):
    return lambda m: m.get("method") == "notifications/tasks" and m["params"].get("taskId") == task_id and m["params"].get("status") == status


def refused(code: int, call) -> RpcError:
    with pytest.raises(RpcError) as caught:
        call()
    assert caught.value.code == code, (caught.value.code, str(caught.value))
    return caught.value


@pytest.fixture
def conformance(plugin_dir):
    install(plugin_dir, "conformance")
    return plugin_dir


def test_a_task_is_seen_and_cancelled_by_its_own_principal_only(portcullis_bin, conformance, cache_dir):
    with http_server(portcullis_bin, conformance, cache_dir, config=KEYS) as srv:
        alice, bob = Caller(srv.url, ALICE), Caller(srv.url, BOB)
        task = alice.call("slow_compute", seconds=30, label="alice's")
        assert task["resultType"] == "task" and task["status"] == "working", task
        task_id = task["taskId"]
        for attempt in (
            lambda: bob.get(task_id),
            lambda: bob.request("tasks/cancel", {"taskId": task_id}),
            lambda: bob.request("tasks/update", {"taskId": task_id, "inputResponses": {}}),
        ):
            error = refused(-32602, attempt)
            assert "not yours" in str(error)
        assert alice.get(task_id)["status"] == "working"
        assert alice.request("tasks/cancel", {"taskId": task_id})["resultType"] == "complete"
        assert alice.get(task_id)["status"] == "cancelled"


def test_input_inside_a_task_is_answered_with_tasks_update(portcullis_bin, conformance, cache_dir):
    with http_server(portcullis_bin, conformance, cache_dir, config=KEYS) as srv:
        alice = Caller(srv.url, ALICE)
        task_id = alice.call("confirm_delete", filename="notes.txt")["taskId"]
        parked = alice.wait(task_id, until=lambda t: t["status"] == "input_required")
        assert list(parked["inputRequests"]) == ["confirm"], parked
        assert parked["inputRequests"]["confirm"]["method"] == "elicitation/create"
        # An answer to nothing the task asked changes nothing.
        alice.request("tasks/update", {"taskId": task_id, "inputResponses": {"other": {"action": "accept", "content": {}}}})
        assert alice.get(task_id)["status"] == "input_required"
        # A malformed answer is refused, and the task still waits for a real one.
        refused(-32602, lambda: alice.request("tasks/update", {"taskId": task_id, "inputResponses": {"confirm": 12345}}))
        assert list(alice.get(task_id)["inputRequests"]) == ["confirm"]
        answer = {"confirm": {"action": "accept", "content": {"confirm": True}}}
        assert alice.request("tasks/update", {"taskId": task_id, "inputResponses": answer})["resultType"] == "complete"
        done = alice.wait(task_id)
        assert done["status"] == "completed", done
        assert done["result"]["content"][0]["text"] == "deleted notes.txt"


def test_running_tasks_are_capped_per_principal_and_results_expire(portcullis_bin, conformance, cache_dir):
    config = KEYS + "[tasks]\nmax_running_per_principal = 1\nresult_ttl_secs = 2\n"
    with http_server(portcullis_bin, conformance, cache_dir, config=config) as srv:
        alice, bob = Caller(srv.url, ALICE), Caller(srv.url, BOB)
        first = alice.call("slow_compute", seconds=30, label="first")
        assert first["resultType"] == "task" and first["ttlMs"] == 2000, first
        # Alice is at her cap: her next call answers in its request.
        second = alice.call("slow_compute", seconds=1, label="second")
        assert second["resultType"] == "complete" and second["content"][0]["text"] == "computed second", second
        # The cap is Alice's, not Bob's.
        theirs = bob.call("slow_compute", seconds=0, label="bob's")
        assert theirs["resultType"] == "task", theirs
        assert bob.wait(theirs["taskId"])["status"] == "completed"
        # Kept while running, however long; gone result_ttl_secs after it ended.
        time.sleep(2.5)
        assert alice.get(first["taskId"])["status"] == "working"
        refused(-32602, lambda: bob.get(theirs["taskId"]))
        alice.request("tasks/cancel", {"taskId": first["taskId"]})


def test_progress_is_readable_while_a_task_runs(portcullis_bin, conformance, cache_dir):
    with http_server(portcullis_bin, conformance, cache_dir, config=KEYS) as srv:
        alice = Caller(srv.url, ALICE)
        task_id = alice.call("slow_compute", seconds=4, label="p")["taskId"]
        seen = alice.wait(task_id, until=lambda t: t.get("statusMessage", "").startswith(("1 of", "2 of")), timeout=10)
        assert seen["status"] == "working" and seen["statusMessage"].endswith("of 4 s"), seen
        done = alice.wait(task_id)
        assert done["status"] == "completed" and "statusMessage" not in done, done


def test_listeners_hear_of_their_own_principals_tasks_only(portcullis_bin, conformance, cache_dir):
    with http_server(portcullis_bin, conformance, cache_dir, config=KEYS) as srv:
        alice, bob = Caller(srv.url, ALICE), Caller(srv.url, BOB)
        alices, bobs = alice.listen(), bob.listen()
        try:
            task_id = alice.call("slow_compute", seconds=1, label="heard")["taskId"]
            working = alices.next(task_notice(task_id, "working"))
            assert working and working["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"] == 1, working
            completed = alices.next(task_notice(task_id, "completed"))
            assert completed, "no notifications/tasks for the completed task"
            assert completed["params"]["result"]["content"][0]["text"] == "computed heard", completed
            assert bobs.next(lambda m: m.get("method") == "notifications/tasks", timeout=1) is None, "Bob heard of Alice's task"
            bobs_task = bob.call("slow_compute", seconds=0, label="bob's")["taskId"]
            assert bobs.next(task_notice(bobs_task, "completed")), "Bob hears of his own"
        finally:
            alices.close()
            bobs.close()
        # A listener that does not speak the extension hears of no task.
        plain = Caller(srv.url, ALICE, tasks=False).listen()
        try:
            alice.call("slow_compute", seconds=0, label="unheard")
            assert plain.next(lambda m: m.get("method") == "notifications/tasks", timeout=1) is None
        finally:
            plain.close()


FIXTURE = REPO / "tests" / "fixtures" / "upstream" / "everything_server.py"


def test_a_slow_upstream_call_becomes_a_task_and_a_quick_one_answers_in_its_request(portcullis_bin, plugin_dir, cache_dir):
    config = KEYS + f"""
[tasks]
detach_after_ms = 300
[servers.fixture]
command = ["{sys.executable}", "{FIXTURE}"]
startup_timeout_secs = 20
"""
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=config) as srv:
        alice = Caller(srv.url, ALICE)
        deadline = time.monotonic() + 30
        while "fixture__slow" not in {t["name"] for t in alice.request("tools/list", {})["tools"]}:
            assert time.monotonic() < deadline, "the upstream server did not start"
            time.sleep(0.2)
        quick = alice.call("fixture__echo", text="at once")
        assert quick["resultType"] == "complete" and quick["content"][0]["text"] == "at once", quick
        task = alice.call("fixture__slow", seconds=3, steps=3)
        assert task["resultType"] == "task", task
        stepping = alice.wait(task["taskId"], until=lambda t: "step" in t.get("statusMessage", ""), timeout=10)
        assert stepping["status"] == "working", stepping
        done = alice.wait(task["taskId"])
        assert done["status"] == "completed" and done["result"]["content"][0]["text"] == "slept 3s in 3 steps", done
        refused(-32602, lambda: Caller(srv.url, BOB).get(task["taskId"]))

        # Cancelling the task cancels the upstream's request.
        cut = alice.call("fixture__slow", seconds=60, steps=60)["taskId"]
        alice.wait(cut, until=lambda t: "step 2/" in t.get("statusMessage", ""), timeout=10)
        alice.request("tasks/cancel", {"taskId": cut})
        logs = f"{srv.base}/api/v1/servers/fixture/logs"
        deadline = time.monotonic() + 10
        while not any("slow: cancelled at step" in line for line in httpx.get(logs).json()["lines"]):
            assert time.monotonic() < deadline, httpx.get(logs).json()["lines"]
            time.sleep(0.2)
        assert alice.get(cut)["status"] == "cancelled"


def test_the_operator_lists_reads_and_cancels_any_principals_tasks(portcullis_bin, conformance, cache_dir):
    admin_key = "admin-key-0123456789abcdef"
    with http_server(portcullis_bin, conformance, cache_dir, config=KEYS, env={"ADMIN_API_KEY": admin_key}) as srv:
        alice, bob = Caller(srv.url, ALICE), Caller(srv.url, BOB)
        running = alice.call("slow_compute", seconds=60, label="long")["taskId"]
        ended = bob.call("slow_compute", seconds=0, label="short")["taskId"]
        assert bob.wait(ended)["status"] == "completed"
        with httpx.Client(base_url=srv.base, headers={"Authorization": f"Bearer {admin_key}"}, timeout=10) as api:
            assert httpx.get(f"{srv.base}/api/v1/tasks", headers={"Authorization": f"Bearer {ALICE}"}).status_code == 401
            listed = {t["id"]: t for t in api.get("/api/v1/tasks").json()}
            assert listed.keys() == {running, ended}, listed
            assert listed[running]["owner"] == "key:alice" and listed[running]["tool"] == "slow_compute"
            assert listed[running]["status"] == "working" and listed[ended]["status"] == "completed", listed
            assert [t["id"] for t in api.get("/api/v1/tasks", params={"owner": "key:bob"}).json()] == [ended]
            assert [t["id"] for t in api.get("/api/v1/tasks", params={"status": "working"}).json()] == [running]
            assert api.get("/api/v1/tasks", params={"colour": "red"}).status_code == 400
            detail = api.get(f"/api/v1/tasks/{ended}").json()
            assert detail["task"]["result"]["content"][0]["text"] == "computed short", detail
            assert api.get("/api/v1/tasks/no-such-task").status_code == 404

            assert api.post(f"/api/v1/tasks/{running}/cancel").status_code == 204
            assert alice.get(running)["status"] == "cancelled"
            assert api.post(f"/api/v1/tasks/{running}/cancel").status_code == 409, "it has already ended"
            assert api.post("/api/v1/tasks/no-such-task/cancel").status_code == 404
            deadline = time.monotonic() + 10
            while not (audited := api.get("/api/v1/activity", params={"tool": "task.cancel"}).json()["entries"]):
                assert time.monotonic() < deadline, "the cancel is not in the activity log"
                time.sleep(0.1)
            assert audited[-1]["provider"] == running and audited[-1]["principal"] == "admin:ADMIN_API_KEY", audited


def test_bad_task_requests_are_refused_and_change_nothing(portcullis_bin, conformance, cache_dir):
    with http_server(portcullis_bin, conformance, cache_dir, config=KEYS) as srv:
        alice = Caller(srv.url, ALICE)
        task_id = alice.call("slow_compute", seconds=30, label="x")["taskId"]
        refused(-32602, lambda: alice.request("tasks/get", {"task": task_id}))
        refused(-32602, lambda: alice.get("no-such-task"))
        refused(-32602, lambda: alice.request("tasks/cancel", {"taskId": "no-such-task"}))
        # Without the extension the task surface is not there.
        refused(-32021, lambda: Caller(srv.url, ALICE, tasks=False).get(task_id))
        # A required-task tool without the extension is refused before it runs.
        error = refused(-32021, lambda: Caller(srv.url, ALICE, tasks=False).call("failing_job"))
        assert TASKS in error.data["requiredCapabilities"]["extensions"], error.data
        assert alice.get(task_id)["status"] == "working"
        alice.request("tasks/cancel", {"taskId": task_id})


def test_tasks_over_stdio(portcullis_bin, conformance, cache_dir):
    from test_stdio import RawStdio

    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {"extensions": {TASKS: {}}},
    }
    raw = RawStdio(portcullis_bin, conformance, cache_dir)
    try:
        call = {"name": "slow_compute", "arguments": {"seconds": 1, "label": "stdio"}, "_meta": meta}
        created = raw.ask({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": call})["result"]
        assert created["resultType"] == "task", created
        for n in range(2, 60):
            task = raw.ask({"jsonrpc": "2.0", "id": n, "method": "tasks/get", "params": {"taskId": created["taskId"], "_meta": meta}})
            if task["result"]["status"] != "working":
                break
            time.sleep(0.1)
        assert task["result"]["status"] == "completed", task
        assert task["result"]["result"]["content"][0]["text"] == "computed stdio"
    finally:
        raw.close()


def test_a_restart_fails_the_tasks_that_were_running_and_keeps_the_others(portcullis_bin, conformance, cache_dir):
    with http_server(portcullis_bin, conformance, cache_dir, config=KEYS) as srv:
        alice = Caller(srv.url, ALICE)
        running = alice.call("slow_compute", seconds=60, label="cut short")["taskId"]
        finished = alice.call("slow_compute", seconds=0, label="kept")["taskId"]
        assert alice.wait(finished)["status"] == "completed"
        time.sleep(1)
        srv.proc.kill()  # a crash: nothing is drained or saved at exit
        srv.proc.wait()
    with http_server(portcullis_bin, conformance, cache_dir, config=KEYS) as srv:
        alice = Caller(srv.url, ALICE)
        failed = alice.get(running)
        assert failed["status"] == "failed" and "host restarted" in failed["error"]["message"], failed
        kept = alice.get(finished)
        assert kept["status"] == "completed" and kept["result"]["content"][0]["text"] == "computed kept", kept
        refused(-32602, lambda: Caller(srv.url, BOB).get(running))


# The sandbox, against the real Docker engine.


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def sandbox_config() -> str:
    return KEYS + f'[docker]\nimages = ["portcullis-test/*"]\ndefault_image = "{IMAGE}"\n[plugins.sandbox]\ngrants = ["docker"]\n'


def create_container(caller: Caller) -> str:
    created = caller.call("create_container", session_id="tasks")
    assert not created.get("isError"), created
    return created["structuredContent"]["id"]


def sandbox_server(portcullis_bin, plugin_dir, cache_dir, config):
    return http_server(portcullis_bin, plugin_dir, cache_dir, config=config, env={"PORTCULLIS_BUNDLED_PLUGINS": "true"})


def test_execute_code_as_a_task_outlives_its_connection(portcullis_bin, plugin_dir, cache_dir, sandbox_config):
    with sandbox_server(portcullis_bin, plugin_dir, cache_dir, sandbox_config) as srv:
        alice = Caller(srv.url, ALICE)
        container = create_container(alice)
        started = time.monotonic()
        task = alice.call("execute_code", container_id=container, command="sleep 20; echo done", timeout=60)
        assert task["resultType"] == "task" and time.monotonic() - started < 10, task
        # That connection is closed; later requests each come on a new one.
        time.sleep(2)
        assert alice.get(task["taskId"])["status"] == "working"
        refused(-32602, lambda: Caller(srv.url, BOB).get(task["taskId"]))
        done = alice.wait(task["taskId"], timeout=60)
        assert done["status"] == "completed", done
        assert done["result"]["structuredContent"]["stdout"].strip() == "done", done["result"]
        assert time.monotonic() - started >= 20
        alice.call("cleanup_container", container_id=container, remove_volumes=True)


def test_a_tasks_status_message_shows_its_exec_output_so_far(portcullis_bin, plugin_dir, cache_dir, sandbox_config):
    with sandbox_server(portcullis_bin, plugin_dir, cache_dir, sandbox_config) as srv:
        alice = Caller(srv.url, ALICE)
        container = create_container(alice)
        command = "for i in 1 2 3; do echo step $i; sleep 1; done; echo oops >&2; sleep 60"
        task_id = alice.call("execute_code", container_id=container, command=command, timeout=120)["taskId"]
        seen = alice.wait(task_id, until=lambda t: "oops" in t.get("statusMessage", ""), timeout=30)
        assert seen["status"] == "working", seen
        assert seen["statusMessage"] == "step 1\nstep 2\nstep 3\noops\n", seen
        alice.request("tasks/cancel", {"taskId": task_id})
        alice.call("cleanup_container", container_id=container, remove_volumes=True)


def test_cancelling_a_task_kills_its_exec(portcullis_bin, plugin_dir, cache_dir, sandbox_config):
    with sandbox_server(portcullis_bin, plugin_dir, cache_dir, sandbox_config) as srv:
        alice = Caller(srv.url, ALICE)
        container = create_container(alice)
        task_id = alice.call("execute_code", container_id=container, command="sleep 303", timeout=120)["taskId"]
        deadline = time.monotonic() + 20
        while "sleep 303" not in docker("top", container) and time.monotonic() < deadline:
            time.sleep(0.3)
        assert "sleep 303" in docker("top", container)
        refused(-32602, lambda: Caller(srv.url, BOB).request("tasks/cancel", {"taskId": task_id}))
        assert "sleep 303" in docker("top", container), "another principal's cancel stopped nothing"
        alice.request("tasks/cancel", {"taskId": task_id})
        assert alice.get(task_id)["status"] == "cancelled"
        deadline = time.monotonic() + 10
        while "sleep 303" in docker("top", container) and time.monotonic() < deadline:
            time.sleep(0.3)
        assert "sleep 303" not in docker("top", container)
        alice.call("cleanup_container", container_id=container, remove_volumes=True)
