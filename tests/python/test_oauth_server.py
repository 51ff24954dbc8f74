"""The built-in OAuth 2.1 authorization server (`[oauth_server]`), driven by
the Python SDK's own OAuth client: discovery from a 401, dynamic
registration, a client ID metadata document served over https by a test CA,
and a pre-registered confidential client (seed 004's variables). The test
plays the browser: it posts the sign-in and consent forms as a browser
would, without script. Then the refusals, one by one."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import re
import secrets
import socket
import ssl
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata

from conftest import install, text_of
from test_admin import wait_activity
from test_http import http_server
from test_tls import CertificateAuthority

pytestmark = pytest.mark.anyio

PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def oauth_host(bin, plugin_dir, cache_dir, extra: str = "", env=None, port=None):
    """A host on a known port whose `[oauth_server]` issuer is its own URL, with the user `admin`."""
    port = port or free_port()
    issuer = f"http://127.0.0.1:{port}"
    install(plugin_dir, "hello")
    config = f'[oauth_server]\nissuer = "{issuer}"\n{extra}'
    environment = {"ADMIN_PASSWORD": PASSWORD, **(env or {})}
    with http_server(bin, plugin_dir, cache_dir, config=config, env=environment, addr=f"127.0.0.1:{port}") as srv:
        srv.issuer = issuer
        srv.port = port
        yield srv


def hidden_fields(page: str) -> dict:
    return dict(re.findall(r'<input type="hidden" name="([a-z]+)" value="([^"]*)"', page))


class Browser:
    """Signs in and consents the way a browser posts the plain HTML forms."""

    def __init__(self, user: str = "admin", password: str = PASSWORD, approve: bool = True):
        self.http = httpx.Client(follow_redirects=False, timeout=30)
        self.user, self.password, self.approve = user, password, approve
        self.pages: list[str] = []
        self.location: str | None = None

    def authorize(self, url: str) -> httpx.Response:
        """Runs the flow from the authorization URL; returns the last answer (the redirect)."""
        start = self.http.get(url)
        self.pages.append(start.text)
        if start.status_code != 200:
            return start
        fields = hidden_fields(start.text)
        login = self.http.post(url.split("?")[0], data={**fields, "username": self.user, "password": self.password})
        self.pages.append(login.text)
        if login.status_code != 200:
            return login
        action = "approve" if self.approve else "deny"
        answer = self.http.post(url.split("?")[0], data={**hidden_fields(login.text), "action": action})
        self.location = answer.headers.get("location")
        return answer

    async def redirect_handler(self, url: str) -> None:
        answer = self.authorize(url)
        assert answer.status_code == 303, (answer.status_code, answer.text)

    async def callback_handler(self) -> AuthorizationCodeResult:
        query = parse_qs(urlparse(self.location).query)
        return AuthorizationCodeResult(code=query["code"][0], state=query.get("state", [None])[0], iss=query.get("iss", [None])[0])


class Storage:
    def __init__(self, client_info=None):
        self.tokens = None
        self.client_info = client_info

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info):
        self.client_info = client_info


def client_metadata(redirect: str = "http://127.0.0.1:43123/callback", method: str = "none") -> OAuthClientMetadata:
    return OAuthClientMetadata(
        redirect_uris=[redirect],
        client_name="pytest client",
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method=method,
    )


async def call_hello(url: str, provider: OAuthClientProvider) -> str:
    async with create_mcp_http_client(auth=provider) as http:
        async with Client(streamable_http_client(url, http_client=http), mode="legacy") as client:
            return text_of(await client.call_tool("hello", {"name": "OAuth"}))


def mcp_status(url: str, token: str) -> httpx.Response:
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}}
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"}
    return httpx.post(url, json=body, headers=headers, timeout=30)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def register(srv, redirect="http://127.0.0.1:43123/callback", method="none") -> dict:
    answer = httpx.post(f"{srv.issuer}/register", json={"redirect_uris": [redirect], "client_name": "raw", "token_endpoint_auth_method": method, "grant_types": ["authorization_code", "refresh_token"]})
    assert answer.status_code == 201, answer.text
    return answer.json()


def authorization_url(srv, client_id, challenge, redirect="http://127.0.0.1:43123/callback", **extra) -> str:
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect, "state": "st", "code_challenge": challenge, "code_challenge_method": "S256", **extra}
    return f"{srv.issuer}/auth/authorize?{urlencode(params)}"


def code_for(srv, client_id, challenge, **extra) -> str:
    browser = Browser()
    answer = browser.authorize(authorization_url(srv, client_id, challenge, **extra))
    assert answer.status_code == 303, (answer.status_code, answer.text)
    query = parse_qs(urlparse(answer.headers["location"]).query)
    assert query["iss"] == [srv.issuer] and query["state"] == ["st"], query
    return query["code"][0]


def exchange(srv, client_id, code, verifier, redirect="http://127.0.0.1:43123/callback") -> httpx.Response:
    return httpx.post(f"{srv.issuer}/auth/token", data={"grant_type": "authorization_code", "client_id": client_id, "code": code, "code_verifier": verifier, "redirect_uri": redirect})


def refresh(srv, client_id, token) -> httpx.Response:
    return httpx.post(f"{srv.issuer}/auth/token", data={"grant_type": "refresh_token", "client_id": client_id, "refresh_token": token})


async def test_the_sdk_discovers_registers_signs_in_calls_refreshes_and_is_refused_after_revocation(portcullis_bin, plugin_dir, cache_dir):
    with oauth_host(portcullis_bin, plugin_dir, cache_dir, extra="access_token_ttl_secs = 2\n") as srv:
        metadata = httpx.get(f"{srv.issuer}/.well-known/oauth-authorization-server").json()
        resource = httpx.get(f"{srv.issuer}/.well-known/oauth-protected-resource/mcp").json()
        assert metadata["issuer"] == resource["authorization_servers"][0] == srv.issuer
        assert metadata["registration_endpoint"] == f"{srv.issuer}/register"
        assert metadata["revocation_endpoint"] == f"{srv.issuer}/auth/revoke"
        assert metadata["client_id_metadata_document_supported"] is True
        assert metadata["authorization_response_iss_parameter_supported"] is True
        assert metadata["code_challenge_methods_supported"] == ["S256"]
        assert httpx.get(f"{srv.issuer}/.well-known/openid-configuration").json() == metadata

        browser, storage = Browser(), Storage()
        provider = OAuthClientProvider(srv.url, client_metadata(), storage, browser.redirect_handler, browser.callback_handler)
        assert await call_hello(srv.url, provider) == "Hello, OAuth!"
        assert any("Allow access?" in page for page in browser.pages), "a fresh client sees the consent page"
        assert "frame-ancestors 'none'" in browser.http.get(f"{srv.issuer}/auth/authorize?client_id=x").headers.get("content-security-policy", "")

        # The SDK refreshes an expired access token by itself (the refresh token rotates).
        first_refresh = storage.tokens.refresh_token
        time.sleep(2.5)
        assert await call_hello(srv.url, provider) == "Hello, OAuth!"
        assert storage.tokens.refresh_token != first_refresh
        assert any("tokens issued" in line and "refresh" in line for line in srv.lines), srv.log

        client_id, tokens = storage.client_info.client_id, storage.tokens
        claims = jwt.decode(tokens.access_token, options={"verify_signature": False})
        assert claims["sub"] == "admin" and claims["aud"] == f"{srv.issuer}/mcp" and claims["iss"] == srv.issuer

        refreshed = refresh(srv, client_id, tokens.refresh_token)
        assert refreshed.status_code == 200 and refreshed.headers["cache-control"] == "no-store", refreshed.text
        fresh = refreshed.json()
        assert fresh["refresh_token"] != tokens.refresh_token
        assert mcp_status(srv.url, fresh["access_token"]).status_code == 200

        revoked = httpx.post(f"{srv.issuer}/auth/revoke", data={"client_id": client_id, "token": fresh["access_token"]})
        assert revoked.status_code == 200, revoked.text
        refused = mcp_status(srv.url, fresh["access_token"])
        assert refused.status_code == 401 and "revoked" in refused.headers["www-authenticate"], refused.headers
        assert refresh(srv, client_id, fresh["refresh_token"]).json()["error"] == "invalid_grant"
        assert "oauth: tokens issued" in srv.log and "oauth: grant revoked" in srv.log


class DocumentServer:
    """Client ID metadata documents over https on loopback, with a test CA's certificate."""

    def __init__(self, ca: CertificateAuthority, root: Path):
        cert, key = root / "cimd.pem", root / "cimd.key"
        ca.issue(cert, key)
        self.documents: dict[str, bytes] = {}
        documents = self.documents

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = documents.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body or b"{}")))
                self.end_headers()
                self.wfile.write(body or b"{}")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.base = f"https://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def publish(self, path: str, redirect: str = "http://127.0.0.1:43123/callback") -> str:
        url = f"{self.base}{path}"
        self.documents[path] = json.dumps({"client_id": url, "client_name": "CIMD app", "redirect_uris": [redirect], "token_endpoint_auth_method": "none", "grant_types": ["authorization_code", "refresh_token"]}).encode()
        return url


async def test_a_client_id_metadata_document_over_https_with_the_test_ca(portcullis_bin, plugin_dir, cache_dir, tmp_path):
    ca = CertificateAuthority(tmp_path)
    documents = DocumentServer(ca, tmp_path)
    url = documents.publish("/client.json")
    big = f"{documents.base}/big.json"
    documents.documents["/big.json"] = b'{"client_id": "' + b"x" * (5 << 20) + b'"}'
    extra = f'cimd_allow_loopback = true\ncimd_ca_file = "{ca.file}"\n'
    with oauth_host(portcullis_bin, plugin_dir, cache_dir, extra=extra) as srv:
        browser, storage = Browser(), Storage()
        provider = OAuthClientProvider(srv.url, client_metadata(), storage, browser.redirect_handler, browser.callback_handler, client_metadata_url=url)
        assert await call_hello(srv.url, provider) == "Hello, OAuth!"
        assert storage.client_info.client_id == url
        assert any("CIMD app" in page for page in browser.pages)
        _, challenge = pkce()
        answer = httpx.get(authorization_url(srv, big, challenge))
        assert answer.status_code == 401 and "larger than" in answer.text, answer.text
    # Without the loopback switch, a document on a private address is never fetched.
    with oauth_host(portcullis_bin, plugin_dir, cache_dir, extra=f'cimd_ca_file = "{ca.file}"\n') as srv:
        answer = httpx.get(authorization_url(srv, url, challenge))
        assert answer.status_code == 401 and "private address" in answer.text, answer.text


async def test_a_pre_registered_confidential_client_from_seed_004s_variables(portcullis_bin, plugin_dir, cache_dir):
    env = {"OAUTH_CLIENT_ID": "chatgpt-test", "OAUTH_CLIENT_SECRET": "s3cret-0123456789"}
    with oauth_host(portcullis_bin, plugin_dir, cache_dir, env=env) as srv:
        info = OAuthClientInformationFull(client_id="chatgpt-test", client_secret="s3cret-0123456789", token_endpoint_auth_method="client_secret_basic", redirect_uris=["http://127.0.0.1:43123/callback"], grant_types=["authorization_code", "refresh_token"])
        browser, storage = Browser(), Storage(client_info=info)
        provider = OAuthClientProvider(srv.url, client_metadata(method="client_secret_basic"), storage, browser.redirect_handler, browser.callback_handler)
        assert await call_hello(srv.url, provider) == "Hello, OAuth!"
        # The presets let ChatGPT's and Claude's callbacks through without configuration.
        _, challenge = pkce()
        for callback in ["https://chatgpt.com/connector/oauth/abc123", "https://claude.ai/api/mcp/auth_callback"]:
            assert httpx.get(authorization_url(srv, "chatgpt-test", challenge, redirect=callback)).status_code == 200
        verifier, challenge = pkce()
        code = code_for(srv, "chatgpt-test", challenge)
        posted = httpx.post(f"{srv.issuer}/auth/token", data={"grant_type": "authorization_code", "code": code_for(srv, "chatgpt-test", challenge), "code_verifier": verifier, "redirect_uri": "http://127.0.0.1:43123/callback", "client_id": "chatgpt-test", "client_secret": "s3cret-0123456789"})
        assert posted.status_code == 200, "client_secret_post works too"
        public = httpx.post(f"{srv.issuer}/auth/token", data={"grant_type": "authorization_code", "code": code, "code_verifier": verifier, "redirect_uri": "http://127.0.0.1:43123/callback", "client_id": "chatgpt-test"})
        assert public.status_code == 401 and public.json()["error"] == "invalid_client", "a confidential client must send its secret"
        wrong = httpx.post(f"{srv.issuer}/auth/token", auth=("chatgpt-test", "wrong"), data={"grant_type": "authorization_code", "code": code, "code_verifier": verifier, "redirect_uri": "http://127.0.0.1:43123/callback"})
        assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client", wrong.text
        assert "s3cret-0123456789" not in srv.log


def test_refusals(portcullis_bin, plugin_dir, cache_dir):
    with oauth_host(portcullis_bin, plugin_dir, cache_dir, extra="refresh_grace_ms = 300\ncode_ttl_secs = 2\n") as srv:
        client_id = register(srv)["client_id"]
        verifier, challenge = pkce()

        plain = Browser().http.get(authorization_url(srv, client_id, verifier, code_challenge_method="plain"))
        assert plain.status_code == 303 and "error=invalid_request" in plain.headers["location"], plain.headers
        assert "iss=" in plain.headers["location"]
        elsewhere = httpx.get(authorization_url(srv, client_id, challenge, redirect="https://evil.example/cb"))
        assert elsewhere.status_code == 400 and "location" not in elsewhere.headers
        unknown = httpx.get(authorization_url(srv, "no-such-client", challenge))
        assert unknown.status_code == 401 and "invalid_client" in unknown.text
        assert exchange(srv, "no-such-client", "x", verifier).json()["error"] == "invalid_client"
        assert exchange(srv, "no-such-client", "x", verifier).status_code == 401

        # A consent form without its CSRF token.
        browser = Browser()
        start = browser.http.get(authorization_url(srv, client_id, challenge))
        login = browser.http.post(f"{srv.issuer}/auth/authorize", data={**hidden_fields(start.text), "username": "admin", "password": PASSWORD})
        fields = hidden_fields(login.text)
        forged = browser.http.post(f"{srv.issuer}/auth/authorize", data={"flow": fields["flow"], "action": "approve"})
        assert forged.status_code == 403 and "CSRF" in forged.text
        wrong_password = Browser(password="wrong password").authorize(authorization_url(srv, client_id, challenge))
        assert wrong_password.status_code == 401

        code = code_for(srv, client_id, challenge)
        assert exchange(srv, client_id, code, pkce()[0]).json()["error"] == "invalid_grant", "a wrong verifier"
        first = exchange(srv, client_id, code, verifier)
        assert first.status_code == 200, first.text
        again = exchange(srv, client_id, code, verifier)
        assert again.json()["error"] == "invalid_grant" and "already used" in again.json()["error_description"]
        assert mcp_status(srv.url, first.json()["access_token"]).status_code == 401, "a reused code revokes its tokens"

        code = code_for(srv, client_id, challenge)
        time.sleep(2.2)
        assert exchange(srv, client_id, code, verifier).json()["error"] == "invalid_grant", "an expired code"

        issued = exchange(srv, client_id, code_for(srv, client_id, challenge), verifier).json()
        rotated = refresh(srv, client_id, issued["refresh_token"])
        assert rotated.status_code == 200
        assert refresh(srv, client_id, issued["refresh_token"]).status_code == 200, "within the grace period"
        time.sleep(0.5)
        late = refresh(srv, client_id, issued["refresh_token"])
        assert late.json()["error"] == "invalid_grant", late.text
        assert refresh(srv, client_id, rotated.json()["refresh_token"]).json()["error"] == "invalid_grant", "the grant is revoked"

        issued = exchange(srv, client_id, code_for(srv, client_id, challenge), verifier).json()
        header = jwt.get_unverified_header(issued["access_token"])
        claims = jwt.decode(issued["access_token"], options={"verify_signature": False})
        unsigned = jwt.encode(claims, None, algorithm="none")
        foreign = jwt.encode(claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256", headers={"kid": header["kid"]})
        for forged_token in (unsigned, foreign):
            assert mcp_status(srv.url, forged_token).status_code == 401
        assert mcp_status(srv.url, issued["access_token"]).status_code == 200
        target = Browser().http.get(authorization_url(srv, client_id, challenge, resource="https://other.example/mcp"))
        assert "error=invalid_target" in target.headers["location"]


def test_a_restart_between_registration_and_token_exchange_loses_nothing(portcullis_bin, plugin_dir, cache_dir):
    port = free_port()
    with oauth_host(portcullis_bin, plugin_dir, cache_dir, port=port) as srv:
        client_id = register(srv)["client_id"]
        verifier, challenge = pkce()
        code = code_for(srv, client_id, challenge)
        srv.proc.terminate()
        srv.proc.wait(timeout=30)
    with oauth_host(portcullis_bin, plugin_dir, cache_dir, port=port) as srv:
        issued = exchange(srv, client_id, code, verifier)
        assert issued.status_code == 200, issued.text
        assert mcp_status(srv.url, issued.json()["access_token"]).status_code == 200


def test_a_token_without_mcp_write_gets_403_insufficient_scope(portcullis_bin, plugin_dir, cache_dir):
    with oauth_host(portcullis_bin, plugin_dir, cache_dir) as srv:
        client_id = register(srv)["client_id"]
        verifier, challenge = pkce()
        token = exchange(srv, client_id, code_for(srv, client_id, challenge, scope="mcp:read"), verifier).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "hello"}
        meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "hello", "arguments": {"name": "x"}, "_meta": meta}}
        answer = httpx.post(srv.url, json=body, headers=headers)
        assert answer.status_code == 403, answer.text
        assert 'error="insufficient_scope"' in answer.headers["www-authenticate"] and 'scope="mcp:write"' in answer.headers["www-authenticate"]


def test_users_are_added_by_the_cli_and_sign_in(portcullis_bin, plugin_dir, cache_dir):
    state = plugin_dir.parent / "state"
    env = {"PORTCULLIS_STATE_DIR": str(state), "PATH": "/usr/bin:/bin"}
    added = subprocess.run([str(portcullis_bin), "users", "add", "alice"], input="alice's password\n", capture_output=True, text=True, env=env, timeout=60)
    assert added.returncode == 0 and "added user `alice`" in added.stdout, added.stderr
    bad = subprocess.run([str(portcullis_bin), "users", "add", "Alice;rm"], input="alice's password\n", capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 1 and "user name" in bad.stderr
    listed = subprocess.run([str(portcullis_bin), "users", "list"], capture_output=True, text=True, env=env, timeout=60)
    assert listed.stdout.split() == ["alice"], listed
    with oauth_host(portcullis_bin, plugin_dir, cache_dir) as srv:
        client_id = register(srv)["client_id"]
        verifier, challenge = pkce()
        answer = Browser(user="alice", password="alice's password").authorize(authorization_url(srv, client_id, challenge))
        assert answer.status_code == 303 and "code=" in answer.headers["location"], answer.text
        code = parse_qs(urlparse(answer.headers["location"]).query)["code"][0]
        issued = exchange(srv, client_id, code, verifier).json()
        assert jwt.decode(issued["access_token"], options={"verify_signature": False})["sub"] == "alice"
        removed = subprocess.run([str(portcullis_bin), "users", "remove", "alice"], capture_output=True, text=True, env=env, timeout=60)
        assert removed.returncode == 0, removed.stderr
        assert refresh(srv, client_id, issued["refresh_token"]).json()["error"] == "invalid_grant", "a removed user's grant ends"
        assert "alice's password" not in srv.log


async def test_users_are_principals_and_the_operator_lists_and_revokes_users_clients_and_grants(portcullis_bin, plugin_dir, cache_dir):
    admin_key = "admin-key-0123456789abcdef"
    with oauth_host(portcullis_bin, plugin_dir, cache_dir, env={"ADMIN_API_KEY": admin_key}) as srv:
        api = httpx.Client(base_url=srv.issuer, headers={"Authorization": f"Bearer {admin_key}"}, timeout=30)
        client_id = register(srv)["client_id"]
        verifier, challenge = pkce()
        token = exchange(srv, client_id, code_for(srv, client_id, challenge), verifier).json()["access_token"]
        async with create_mcp_http_client(headers={"Authorization": f"Bearer {token}"}) as http:
            async with Client(streamable_http_client(srv.url, http_client=http), mode="legacy") as client:
                assert text_of(await client.call_tool("hello", {"name": "me"})) == "Hello, me!"
        calls = wait_activity(api, tool="hello")
        assert [c["principal"] for c in calls] == [f"oauth:{srv.issuer}#admin"], calls

        # An access token is not an admin key.
        assert httpx.get(f"{srv.issuer}/api/v1/oauth/grants", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        grants = api.get("/api/v1/oauth/grants").json()
        assert [(g["user"], g["client_id"]) for g in grants] == [("admin", client_id)], grants
        clients = api.get("/api/v1/oauth/clients").json()
        assert [(c["client_id"], c["source"], c["used"]) for c in clients] == [(client_id, "registered", True)]
        assert "secret" not in json.dumps(clients)

        login = httpx.post(f"{srv.issuer}/ui/login", data={"key": admin_key})
        page = httpx.get(f"{srv.issuer}/ui/oauth", cookies=login.cookies)
        assert page.status_code == 200 and client_id in page.text and grants[0]["id"] in page.text, page.text

        assert api.delete(f"/api/v1/oauth/grants/{grants[0]['id']}").status_code == 204
        assert mcp_status(srv.url, token).status_code == 401, "a revoked grant's token stops at once"
        assert api.delete(f"/api/v1/oauth/grants/{grants[0]['id']}").status_code == 404

        assert api.post("/api/v1/oauth/users", json={"name": "bob", "password": "bob's password"}).status_code == 201
        assert api.post("/api/v1/oauth/users", json={"name": "bob", "password": "short"}).status_code == 400
        assert sorted(u["name"] for u in api.get("/api/v1/oauth/users").json()) == ["admin", "bob"]
        token = exchange(srv, client_id, code_for(srv, client_id, challenge), verifier).json()["access_token"]
        assert api.delete(f"/api/v1/oauth/clients/{client_id}").status_code == 204
        assert mcp_status(srv.url, token).status_code == 401, "a removed client's token stops at once"
        assert exchange(srv, client_id, "x", verifier).json()["error"] == "invalid_client"
        assert api.delete("/api/v1/oauth/users/bob").status_code == 204
        deadline = time.monotonic() + 10
        while not {"grant.revoke", "user.set", "client.remove", "user.remove"} <= {e["tool"] for e in wait_activity(api, transport="admin")}:
            assert time.monotonic() < deadline, wait_activity(api, transport="admin")
            time.sleep(0.1)


def test_a_token_for_another_resource_is_refused_and_registration_can_be_turned_off(portcullis_bin, plugin_dir, cache_dir):
    with oauth_host(portcullis_bin, plugin_dir, cache_dir) as first:
        client_id = register(first)["client_id"]
        verifier, challenge = pkce()
        token = exchange(first, client_id, code_for(first, client_id, challenge), verifier).json()["access_token"]
        # A second host sharing the state database (so the signing key) but serving another resource.
        other = free_port()
        extra = f'resource = "http://127.0.0.1:{other}/mcp"\ndynamic_registration = false\n'
        config = f'[oauth_server]\nissuer = "{first.issuer}"\n{extra}'
        with http_server(portcullis_bin, plugin_dir, cache_dir, config=config, addr=f"127.0.0.1:{other}") as second:
            refused = mcp_status(second.url, token)
            assert refused.status_code == 401 and f"not meant for http://127.0.0.1:{other}/mcp" in refused.headers["www-authenticate"], refused.headers
            assert mcp_status(first.url, token).status_code == 200
            metadata = httpx.get(f"{second.base}/.well-known/oauth-authorization-server").json()
            assert "registration_endpoint" not in metadata
            closed = httpx.post(f"{second.base}/register", json={"redirect_uris": ["http://127.0.0.1:1/cb"]})
            assert closed.status_code == 403 and "turned off" in closed.json()["error_description"]
        # Authorizing the same client again as the same user replaces the older grant.
        again = exchange(first, client_id, code_for(first, client_id, challenge), verifier).json()["access_token"]
        assert mcp_status(first.url, again).status_code == 200
        assert mcp_status(first.url, token).status_code == 401
