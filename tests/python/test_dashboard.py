"""The web dashboard (`/ui`) in a real headless Chromium (Debian's `chromium`
driven by selenium through `/usr/bin/chromedriver`, both installed by
scripts/setup.sh): logging in, the pages, stopping and starting a server, the
try-it form, the activity page growing live, ending a session; and, over
plain HTTP, what must be refused (a form without its CSRF token, an MCP key,
a dashboard on a listener others reach without an admin key).

One host and one browser serve the whole module (the tests run in order and
share them). Each page's screenshot is saved to
target/test-artifacts/dashboard/<page>.png."""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import REPO, install
from test_admin import ADMIN, ADMIN_KEY, wait_activity, wait_state
from test_http import API_KEY, http_server, initialize_body

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = REPO / "target" / "test-artifacts" / "dashboard"
FIXTURE = REPO / "tests" / "fixtures" / "upstream" / "everything_server.py"

CONFIG = f"""
[admin]
allow_host_commands = true

[servers.fixture]
command = ["{sys.executable}", "{FIXTURE}"]
startup_timeout_secs = 20
"""

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@pytest.fixture(scope="module")
def host(portcullis_bin, tmp_path_factory):
    """One HTTP host for the module: an admin key, an MCP key, the hello plugin and the fixture server."""
    root = tmp_path_factory.mktemp("dashboard")
    plugins = root / "plugins"
    plugins.mkdir()
    install(plugins, "hello")
    env = {"PORTCULLIS_STATE_DIR": str(root / "state"), "ADMIN_API_KEY": ADMIN_KEY, "API_KEY": API_KEY}
    with http_server(portcullis_bin, plugins, root / "cache", config=CONFIG, env=env) as srv:
        with httpx.Client(base_url=srv.base, headers=ADMIN, timeout=30) as api:
            wait_state(api, "fixture")
            srv.api = api
            yield srv


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail("chromium and chromedriver are missing: scripts/setup.sh installs them")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,800", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


def shot(driver, name: str):
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def wait_for(driver, condition, seconds: float = 20, what: str = "the page"):
    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.1).until(lambda d: condition(d))
    except TimeoutException:
        shot(driver, "failure")
        pytest.fail(f"timed out waiting for {what}; at {driver.current_url}:\n{driver.find_element(By.TAG_NAME, 'body').text}")


def csp_violations(driver) -> list[str]:
    """Console errors since the last look (CSP refusals, script errors), less
    the failed loads that the tests cause on purpose (a refused login)."""
    return [
        e["message"] for e in driver.get_log("browser")
        if e["level"] == "SEVERE" and "Failed to load resource" not in e["message"]
    ]


def log_in(driver, base: str, key: str):
    driver.get(f"{base}/ui/login")
    field = driver.find_element(By.NAME, "key")
    field.clear()
    field.send_keys(key)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()


def open_page(driver, link: str, selector: str, what: str):
    """Follows the navigation's `link` and waits for an element matching `selector`."""
    driver.find_element(By.LINK_TEXT, link).click()
    wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, selector), what=what)


def server_state(driver) -> str | None:
    """The fixture server's state as its row shows it (read in one go: the table refreshes itself)."""
    return driver.execute_script(
        'const s = document.querySelector(\'tr[data-server="fixture"] [data-testid=state]\'); return s && s.textContent'
    )


def test_pages_carry_a_strict_csp_and_the_files_are_embedded(host):
    with httpx.Client(base_url=host.base, timeout=10) as http:
        login = http.get("/ui/login")
        assert login.status_code == 200 and "text/html" in login.headers["content-type"], login.text
        assert login.headers["content-security-policy"] == CSP
        assert login.headers["x-content-type-options"] == "nosniff" and login.headers["referrer-policy"] == "same-origin"
        assert "<script>" not in login.text and "style=" not in login.text, "no inline script or style"
        for name, kind in [("htmx.min.js", "text/javascript"), ("dashboard.js", "text/javascript"), ("dashboard.css", "text/css")]:
            asset = http.get(f"/ui/static/{name}")
            assert asset.status_code == 200 and asset.headers["content-type"].startswith(kind), name
            assert "max-age" in asset.headers["cache-control"], asset.headers
        assert 'version:"2.0.4"' in http.get("/ui/static/htmx.min.js").text
        assert http.get("/ui/static/nothing.js").status_code == 404
        anonymous = http.get("/ui/servers")
        assert anonymous.status_code == 303 and anonymous.headers["location"] == "/ui/login"
        # An MCP key is no way in, neither as a bearer header nor typed into the form.
        bearer = http.get("/ui", headers={"Authorization": f"Bearer {API_KEY}"})
        assert bearer.status_code == 303 and bearer.headers["location"] == "/ui/login"
        refused = http.post("/ui/login", data={"key": API_KEY})
        assert refused.status_code == 401 and "not an admin key" in refused.text and "set-cookie" not in refused.headers


def test_a_wrong_key_is_refused_and_an_admin_key_logs_in(host, browser):
    log_in(browser, host.base, "not-the-admin-key")
    wait_for(browser, lambda d: "not an admin key" in d.page_source, what="the refusal")
    assert browser.current_url.endswith("/ui/login") and not browser.get_cookies()
    shot(browser, "login-refused")
    log_in(browser, host.base, ADMIN_KEY)
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=admin]"), what="the overview")
    [cookie] = browser.get_cookies()
    assert cookie["name"] == "portcullis_ui" and cookie["httpOnly"] and cookie["sameSite"] == "Strict", cookie
    assert cookie["path"] == "/ui", cookie
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=admin]").text == "admin:ADMIN_API_KEY"
    assert ADMIN_KEY not in host.log and "not-the-admin-key" not in host.log, "keys are never logged"


def test_the_overview_shows_the_host_at_a_glance(host, browser):
    browser.get(f"{host.base}/ui")
    stat = lambda label: browser.find_element(By.CSS_SELECTOR, f'[data-testid="{label}"]').text  # noqa: E731
    assert stat("Plugins") == "1" and stat("Servers") == "1 / 1" and stat("Sessions") == "0"
    assert re.fullmatch(r"\d+ (s|min)", stat("Uptime")), stat("Uptime")
    assert "fixture" in browser.find_element(By.CSS_SELECTOR, ".columns").text
    shot(browser, "overview")
    assert csp_violations(browser) == []


def test_the_plugins_page_lists_the_hello_plugin(host, browser):
    open_page(browser, "Plugins", 'tr[data-plugin="hello"]', "the hello plugin")
    row = browser.find_element(By.CSS_SELECTOR, 'tr[data-plugin="hello"]').text
    assert "hello" in row and "tools" in row, row
    shot(browser, "plugins")
    browser.find_element(By.CSS_SELECTOR, 'tr[data-plugin="hello"] button.danger').click()
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, '#disabled tr[data-plugin="hello"]'), what="hello disabled")
    assert "Disabled plugin hello" in browser.find_element(By.CSS_SELECTOR, ".flash.ok").text
    assert "hello" not in {t["name"] for t in host.api.get("/api/v1/tools").json()}
    shot(browser, "plugins-disabled")
    browser.find_element(By.CSS_SELECTOR, '#disabled tr[data-plugin="hello"] button').click()
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, '#plugins tr[data-plugin="hello"]'), what="hello enabled")
    assert wait_activity(host.api, tool="plugin.enable")[0]["principal"] == "admin:ADMIN_API_KEY"


def test_a_server_is_stopped_and_started_from_its_row(host, browser):
    browser.find_element(By.LINK_TEXT, "Servers").click()
    wait_for(browser, lambda d: server_state(d) == "running", what="the fixture server running")
    shot(browser, "servers")
    browser.find_element(By.CSS_SELECTOR, 'tr[data-server="fixture"] button.danger').click()
    wait_for(browser, lambda d: server_state(d) == "stopped", what="the server stopped")
    assert "fixture: stop done" in browser.find_element(By.CSS_SELECTOR, ".flash.ok").text
    assert wait_state(host.api, "fixture", "stopped")["state"] == "stopped"
    shot(browser, "servers-stopped")
    browser.find_element(By.CSS_SELECTOR, 'tr[data-server="fixture"] button.primary').click()
    wait_for(browser, lambda d: server_state(d) == "running", seconds=40, what="the server running again (the table refreshes)")
    for action in ("server.stop", "server.start"):
        [change, *_] = wait_activity(host.api, tool=action, principal="admin:ADMIN_API_KEY")
        assert change["kind"] == "admin" and change["provider"] == "fixture" and change["outcome"] == "ok", change
    open_page(browser, "fixture", "#logs", "the server's page")
    assert "fixture__echo" in browser.find_element(By.CSS_SELECTOR, ".columns").text
    shot(browser, "server")
    assert csp_violations(browser) == []


def test_the_try_it_form_calls_a_tool_and_shows_the_answer(host, browser):
    open_page(browser, "Tools", 'tr[data-tool="hello"]', "the tool list")
    shot(browser, "tools")
    browser.find_element(By.CSS_SELECTOR, 'tr[data-tool="hello"] a').click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "try-it"), what="the tool's page")
    assert '"name"' in browser.find_element(By.ID, "schema").text
    arguments = browser.find_element(By.ID, "arguments")
    arguments.clear()
    arguments.send_keys('{"name": "Dashboard"}')
    browser.execute_script("window.notReloaded = true")
    browser.find_element(By.CSS_SELECTOR, "#try-it button").click()
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=result-text]"), what="the result")
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=result-text]").text == "Hello, Dashboard!"
    assert browser.execute_script("return window.notReloaded") is True, "htmx swapped the result in place"
    shot(browser, "tool")
    [call, *_] = wait_activity(host.api, tool="hello", principal="admin:ADMIN_API_KEY")
    assert call["kind"] == "call" and call["outcome"] == "ok", call
    arguments = browser.find_element(By.ID, "arguments")
    arguments.clear()
    arguments.send_keys("not json")
    browser.find_element(By.CSS_SELECTOR, "#try-it button").click()
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=result-error]"), what="the refusal")
    assert "not a JSON object" in browser.find_element(By.CSS_SELECTOR, "[data-testid=result-error]").text


def test_the_activity_page_shows_a_new_call_without_reloading(host, browser):
    browser.find_element(By.LINK_TEXT, "Activity").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "live-status").text == "live", what="the live stream")
    newest = int(browser.find_element(By.CSS_SELECTOR, "#activity-rows tr").get_attribute("data-id"))
    browser.execute_script("window.notReloaded = true")
    called = host.api.post("/api/v1/servers/fixture/call", json={"tool": "echo", "arguments": {"text": "live"}})
    assert called.status_code == 200, called.text

    def fresh_row(d):
        top = d.find_element(By.CSS_SELECTOR, "#activity-rows tr")
        return int(top.get_attribute("data-id") or 0) > newest and top.get_attribute("data-tool") == "fixture__echo"

    wait_for(browser, fresh_row, seconds=15, what="the new call's row")
    assert browser.execute_script("return window.notReloaded") is True, "the row arrived without a reload"
    assert "ok" in browser.find_element(By.CSS_SELECTOR, "#activity-rows tr").text
    shot(browser, "activity")
    assert csp_violations(browser) == []


def test_a_session_is_ended_from_the_sessions_page(host, browser):
    with httpx.Client(base_url=host.base, timeout=10, headers={"Authorization": f"Bearer {API_KEY}"}) as mcp:
        opened = mcp.post("/mcp", json=initialize_body(), headers={"Accept": "application/json, text/event-stream"})
        assert opened.status_code == 200, opened.text
        mcp.post("/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"},
                 headers={"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25",
                          "Mcp-Session-Id": opened.headers["mcp-session-id"]})
        deadline = time.monotonic() + 10
        while not (listed := host.api.get("/api/v1/sessions").json()):
            assert time.monotonic() < deadline, "the MCP session is not listed"
            time.sleep(0.1)
        [listed] = listed
        session = listed["id"]
        row = f'tr[data-session="{session}"]'
        open_page(browser, "Sessions", row, "the MCP session")
        assert "key:API_KEY" in browser.find_element(By.CSS_SELECTOR, row).text
        shot(browser, "sessions")
        browser.find_element(By.CSS_SELECTOR, f"{row} button.danger").click()
        wait_for(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, row), what="the session gone")
        assert f"Ended session {session}" in browser.find_element(By.CSS_SELECTOR, ".flash.ok").text
        assert host.api.get("/api/v1/sessions").json() == []
        [ended] = wait_activity(host.api, tool="session.end", principal="admin:ADMIN_API_KEY")
        assert ended["provider"] == session and ended["outcome"] == "ok", ended


def test_a_task_is_shown_and_cancelled_from_the_tasks_page(host, browser):
    from test_tasks import Caller

    caller = Caller(f"{host.base}/mcp", API_KEY)
    # The upstream's slow call becomes a task once it has run for tasks.detach_after_ms.
    task = caller.call("fixture__slow", seconds=60, steps=60)
    assert task["resultType"] == "task", task
    row = f'tr[data-task="{task["taskId"]}"]'
    open_page(browser, "Tasks", row, "the task")
    assert "key:API_KEY" in browser.find_element(By.CSS_SELECTOR, row).text
    assert "fixture__slow" in browser.find_element(By.CSS_SELECTOR, row).text
    shot(browser, "tasks")
    browser.find_element(By.CSS_SELECTOR, f"{row} button.danger").click()
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".flash.ok"), what="the flash message")
    assert f"Cancelled task {task['taskId']}" in browser.find_element(By.CSS_SELECTOR, ".flash.ok").text
    assert "cancelled" in browser.find_element(By.CSS_SELECTOR, row).text
    assert not browser.find_elements(By.CSS_SELECTOR, f"{row} button.danger"), "an ended task has no cancel button"
    assert caller.get(task["taskId"])["status"] == "cancelled"
    assert csp_violations(browser) == []


def test_the_containers_page_shows_the_containers_or_why_not(host, browser):
    open_page(browser, "Containers", "#containers, .notice", "the containers or the notice")
    text = browser.find_element(By.ID, "content").text
    assert "No containers" in text or "Docker" in text, text
    shot(browser, "containers")


def csrf_of(page: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([0-9a-f]{64})"', page).group(1)


def test_a_form_post_without_the_csrf_token_is_refused(host, browser):
    cookie = {"portcullis_ui": browser.get_cookie("portcullis_ui")["value"]}
    # A new connection for each post: the transport's Origin check refuses
    # without reading the body, and then closes the connection.
    with httpx.Client(base_url=host.base, timeout=10, cookies=cookie, limits=httpx.Limits(max_keepalive_connections=0)) as http:
        token = csrf_of(http.get("/ui/servers").text)
        for data, headers, why in [
            ({}, {}, "no CSRF token"),
            ({"csrf": "0" * 64}, {}, "not this session's"),
            ({}, {"X-CSRF-Token": "f" * 64}, "not this session's"),
            ({"csrf": token}, {"Origin": "http://evil.example"}, None),
            ({"csrf": token}, {"Sec-Fetch-Site": "cross-site"}, "another site"),
        ]:
            refused = http.post("/ui/servers/fixture/stop", data=data, headers=headers)
            assert refused.status_code == 403, (data, headers, refused.status_code)
            if why:
                assert why in refused.text and "Nothing was done" in refused.text, refused.text
        assert host.api.get("/api/v1/servers/fixture").json()["state"] == "running", "nothing was stopped"
        # With the token, as the page's form sends it, the same post works.
        done = http.post("/ui/servers/fixture/restart", data={"csrf": token, "back": "/ui/servers"})
        assert done.status_code == 303 and done.headers["location"] == "/ui/servers", done.text
        # The token in the header htmx requests carry (dashboard.js sets it) works as well.
        by_header = http.post("/ui/servers/fixture/restart", data={"back": "/ui/servers"}, headers={"X-CSRF-Token": token})
        assert by_header.status_code == 303, by_header.text
        # …and a forged `back` never leads off the dashboard.
        away = http.post("/ui/servers/fixture/restart", data={"csrf": token, "back": "https://evil.example/"})
        assert away.headers["location"] == "/ui/servers"
    wait_state(host.api, "fixture")


def test_logging_out_ends_the_session(host, browser):
    browser.get(f"{host.base}/ui")
    old = browser.get_cookie("portcullis_ui")["value"]
    browser.find_element(By.CSS_SELECTOR, ".who button").click()
    wait_for(browser, lambda d: d.current_url.endswith("/ui/login"), what="the login page")
    shot(browser, "login")
    browser.get(f"{host.base}/ui/activity")
    assert browser.current_url.endswith("/ui/login")
    with httpx.Client(base_url=host.base, timeout=10, cookies={"portcullis_ui": old}) as http:
        assert http.get("/ui").status_code == 303, "the old cookie opens nothing"


def test_without_an_admin_key_the_dashboard_is_open_on_loopback_only(portcullis_bin, tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    env = {"PORTCULLIS_STATE_DIR": str(tmp_path / "state")}
    with http_server(portcullis_bin, plugins, tmp_path / "cache", env=env, addr="0.0.0.0:0") as srv:
        port = srv.base.rsplit(":", 1)[1]
        for method, path in [("GET", "/ui"), ("GET", "/ui/login"), ("POST", "/ui/login"), ("GET", "/ui/activity")]:
            off = httpx.request(method, f"http://127.0.0.1:{port}{path}", data={"key": "x"} if method == "POST" else None)
            assert off.status_code == 403 and "dashboard is off" in off.text, (path, off.status_code)
    with http_server(portcullis_bin, plugins, tmp_path / "cache", env=env) as srv:
        with httpx.Client(base_url=srv.base, timeout=10) as http:
            page = http.get("/ui")
            assert page.status_code == 200 and "admin:local" in page.text, page.text
            assert "<script>" not in page.text and "style=" not in page.text, "no inline script or style"
            assert "portcullis_ui" in page.headers["set-cookie"] and "HttpOnly" in page.headers["set-cookie"]
            token = csrf_of(page.text)
            assert http.post("/ui/sessions/ghost/end").status_code == 403, "CSRF still applies to admin:local"
            ended = http.post("/ui/sessions/ghost/end", data={"csrf": token}, follow_redirects=True)
            assert ended.status_code == 200 and "no session `ghost`" in ended.text, ended.text
            # The live stream ends when the host shuts down, so shutdown does not wait for it.
            with http.stream("GET", "/ui/activity/stream?after=0") as stream:
                assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
                started = time.monotonic()
                assert srv.terminate(timeout=20) == 0, srv.log
                assert time.monotonic() - started < 15


def test_guessing_admin_keys_at_the_login_form_is_rate_limited(portcullis_bin, tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    env = {"PORTCULLIS_STATE_DIR": str(tmp_path / "state"), "ADMIN_API_KEY": ADMIN_KEY}
    with http_server(portcullis_bin, plugins, tmp_path / "cache", env=env) as srv:
        # A refusal (429) leaves the body unread and closes the connection: no reuse.
        with httpx.Client(base_url=srv.base, timeout=10, limits=httpx.Limits(max_keepalive_connections=0)) as http:
            statuses = [http.post("/ui/login", data={"key": f"guess-{n}"}).status_code for n in range(21)]
            assert statuses == [401] * 20 + [429], statuses
            assert http.post("/ui/login", data={"key": ADMIN_KEY}).status_code == 429, "even the right key waits"
