"""TLS on the HTTP listener itself (`http.tls_cert`, `http.tls_key`): a test
CA made here signs the listener's certificate; the Python SDK's client
connects over https trusting that CA, a plain HTTP request on the port is told
to use https, a renewed certificate is served without a restart, and a
certificate that does not load stops the host naming the file."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from conftest import install, text_of
from test_http import http_server

pytestmark = pytest.mark.anyio

ADMIN_KEY = "admin-key-0123456789abcdef"


def name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


class CertificateAuthority:
    """A certificate authority for one test, and the listener certificates it signs."""

    def __init__(self, root: Path):
        self.root = root
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name("Portcullis test CA"))
            .issuer_name(name("Portcullis test CA"))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.file = root / "ca.pem"
        self.file.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def issue(self, cert_file: Path, key_file: Path) -> int:
        """Writes a listener certificate for 127.0.0.1 and localhost; returns its serial number."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        serial = x509.random_serial_number()
        san = x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        cert = (
            x509.CertificateBuilder()
            .subject_name(name("portcullis"))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(san, critical=False)
            .sign(self.key, hashes.SHA256())
        )
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        # Write both, then rename: the host never reads half a renewal.
        for path, data in ((key_file, key_pem), (cert_file, cert.public_bytes(serialization.Encoding.PEM))):
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.rename(path)
        return serial

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.file))


@pytest.fixture
def ca(tmp_path: Path) -> CertificateAuthority:
    return CertificateAuthority(tmp_path)


def tls_config(root: Path) -> tuple[str, Path, Path]:
    cert, key = root / "listener.pem", root / "listener.key"
    return f'[http]\ntls_cert = "{cert}"\ntls_key = "{key}"\n', cert, key


def served_serial(port: int, ca: CertificateAuthority) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ca.context().wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            der = tls.getpeercert(binary_form=True)
    return x509.load_der_x509_certificate(der).serial_number


async def test_the_sdk_client_connects_over_https_trusting_the_test_ca(portcullis_bin, plugin_dir, cache_dir, ca, tmp_path):
    install(plugin_dir, "hello")
    config, cert, key = tls_config(tmp_path)
    ca.issue(cert, key)
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=config) as srv:
        assert srv.url.startswith("https://127.0.0.1:"), srv.url
        async with httpx.AsyncClient(verify=ca.context(), timeout=30) as http:
            async with Client(streamable_http_client(srv.url, http_client=http), mode="legacy") as client:
                assert "hello" in {t.name for t in (await client.list_tools()).tools}
                assert text_of(await client.call_tool("hello", {"name": "TLS"})) == "Hello, TLS!"
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"{srv.base}/health")
        assert httpx.get(f"{srv.base}/health", verify=ca.context()).json() == {"status": "ok"}


def test_plain_http_on_the_tls_port_is_told_to_use_https(portcullis_bin, plugin_dir, cache_dir, ca, tmp_path):
    config, cert, key = tls_config(tmp_path)
    ca.issue(cert, key)
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=config) as srv:
        plain = srv.base.replace("https://", "http://")
        answer = httpx.get(f"{plain}/health")
        assert answer.status_code == 400 and "https://" in answer.text, (answer.status_code, answer.text)
        # A client that stops half-way through its handshake does not stop the others.
        port = int(srv.base.rsplit(":", 1)[1])
        stalled = socket.create_connection(("127.0.0.1", port))
        stalled.sendall(b"\x16\x03\x01")
        assert httpx.get(f"{srv.base}/health", verify=ca.context()).status_code == 200
        stalled.close()


def test_a_renewed_certificate_is_served_without_a_restart(portcullis_bin, plugin_dir, cache_dir, ca, tmp_path):
    config, cert, key = tls_config(tmp_path)
    first = ca.issue(cert, key)
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=config) as srv:
        port = int(srv.base.rsplit(":", 1)[1])
        assert served_serial(port, ca) == first
        renewed = ca.issue(cert, key)
        deadline = time.monotonic() + 10
        while (serial := served_serial(port, ca)) != renewed:
            assert time.monotonic() < deadline, f"still serving {serial:x}, not the renewal {renewed:x}"
            time.sleep(0.3)
        # A broken renewal is logged, and the certificate in use stays.
        cert.write_text("not a certificate")
        time.sleep(1.5)
        assert served_serial(port, ca) == renewed
        deadline = time.monotonic() + 5
        while "keeping the TLS certificate in use" not in srv.log:
            assert time.monotonic() < deadline, srv.log
            time.sleep(0.1)


def test_the_dashboard_cookie_is_secure_over_tls(portcullis_bin, plugin_dir, cache_dir, ca, tmp_path):
    config, cert, key = tls_config(tmp_path)
    ca.issue(cert, key)
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=config, env={"ADMIN_API_KEY": ADMIN_KEY}) as srv:
        login = httpx.post(f"{srv.base}/ui/login", data={"key": ADMIN_KEY}, verify=ca.context())
        assert login.status_code in (302, 303), login.text
        assert login.headers["set-cookie"].endswith("; Secure"), login.headers["set-cookie"]


@pytest.mark.parametrize("broken", ["missing", "garbage", "mismatched"])
def test_a_certificate_that_does_not_load_stops_the_host_naming_the_file(portcullis_bin, plugin_dir, cache_dir, ca, tmp_path, broken):
    config, cert, key = tls_config(tmp_path)
    ca.issue(cert, key)
    if broken == "missing":
        cert.unlink()
    elif broken == "garbage":
        cert.write_text("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    else:
        other = tmp_path / "other"
        other.mkdir()
        ca.issue(other / "c.pem", key)
    (tmp_path / "portcullis.toml").write_text(config)
    done = subprocess.run(
        [str(portcullis_bin), "serve", "--http", "127.0.0.1:0", "--plugins", str(plugin_dir), "--config", str(tmp_path / "portcullis.toml")],
        capture_output=True, text=True, timeout=60, env={"PORTCULLIS_CACHE_DIR": str(cache_dir), "PORTCULLIS_STATE_DIR": str(tmp_path / "state")},
    )
    assert done.returncode != 0 and done.stdout == "", (done.returncode, done.stdout)
    assert "http.tls_cert" in done.stderr, done.stderr
    if broken != "mismatched":
        assert str(cert) in done.stderr, done.stderr


def test_portcullis_health_asks_its_own_tls_listener(portcullis_bin, plugin_dir, cache_dir, ca, tmp_path):
    config, cert, key = tls_config(tmp_path)
    ca.issue(cert, key)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = config.replace("[http]\n", f'[http]\nbind = "127.0.0.1:{port}"\n')
    with http_server(portcullis_bin, plugin_dir, cache_dir, config=config, addr=f"127.0.0.1:{port}"):
        env = {"PORTCULLIS_CACHE_DIR": str(cache_dir), "PORTCULLIS_BUNDLED_PLUGINS": "false", "PATH": "/usr/bin:/bin"}
        checked = subprocess.run(
            [str(portcullis_bin), "health", "--config", str(plugin_dir.parent / "portcullis.toml")],
            capture_output=True, text=True, timeout=60, env=env,
        )
        assert checked.returncode == 0, checked.stderr
        assert f"https://127.0.0.1:{port}/readyz answered ready" in checked.stdout, checked.stdout
