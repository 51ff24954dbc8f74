"""Plugins from an OCI registry: `portcullis plugin push|generate-key|sign|
add|list|update|remove|verify` against a real registry on loopback (Debian's
docker-registry), the lock file, the trust policy, and a running host that
loads what is locked, verified from its store, through the Python MCP client.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path

import anyio
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from mcp import Client

from conftest import BIN, local_registry, server, text_of, wasm

pytestmark = pytest.mark.anyio

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """A registry on loopback for the module; yields `127.0.0.1:PORT`."""
    with local_registry(tmp_path_factory.mktemp("oci-registry")) as address:
        yield address


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> Path:
    """A directory with two key pairs, `team` and `other`, made by the CLI."""
    directory = tmp_path_factory.mktemp("keys")
    for name in ["team", "other"]:
        out = cli(directory, "plugin", "generate-key", "--output", str(directory / name))
        assert out.returncode == 0, out.stderr
    return directory


def cli(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """Runs `portcullis ARGS` with its state under `home/state`."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "PORTCULLIS_STATE_DIR": str(home / "state"),
        "PORTCULLIS_CACHE_DIR": str(home.parent / "oci-compile-cache"),
    }
    return subprocess.run([str(BIN), *args], input=stdin, capture_output=True, text=True, env=env, timeout=120)


def ok(home: Path, *args: str, stdin: str = "") -> str:
    out = cli(home, *args, stdin=stdin)
    assert out.returncode == 0, f"{args}: {out.stderr}"
    return out.stdout


def push(home: Path, plugin: str, reference: str) -> str:
    """Pushes a built plugin; returns the manifest digest the CLI printed."""
    out = ok(home, "plugin", "push", str(wasm(plugin)), reference)
    digest = next(line.split()[1] for line in out.splitlines() if line.startswith("digest"))
    assert digest.startswith("sha256:") and len(digest) == 71, out
    return digest


def configure(tmp_path: Path, keys: Path, rules: str) -> Path:
    """Writes `portcullis.toml` with `rules` ([[plugin_trust]] tables), key
    paths relative to `keys`; the lock file goes beside it."""
    config = tmp_path / "portcullis.toml"
    config.write_text(rules.replace("KEYS/", f"{keys}/"))
    return config


TEAM_RULE = '[[plugin_trust]]\nrepository = "127.0.0.1:*/team/*"\nkeys = ["KEYS/team.pub"]\n'


def lock(tmp_path: Path) -> str:
    path = tmp_path / "plugins.lock"
    return path.read_text() if path.exists() else ""


def host(tmp_path: Path, config: Path):
    plugins = tmp_path / "plugins"
    plugins.mkdir(exist_ok=True)
    params = server(BIN, plugins, tmp_path.parent / "oci-compile-cache", "--config", str(config))
    params.env["PORTCULLIS_BUNDLED_PLUGINS"] = "false"
    params.env["PORTCULLIS_STATE_DIR"] = str(tmp_path / "state")
    return params


async def tool_names(client) -> set[str]:
    return {t.name for t in (await client.list_tools()).tools}


async def wait_for_tools(client, present: set[str], absent: set[str] = frozenset()):
    with anyio.fail_after(15):
        while True:
            names = await tool_names(client)
            if present <= names and not (absent & names):
                return
            await anyio.sleep(0.2)


async def test_a_signed_plugin_is_pushed_added_by_digest_and_served_without_a_restart(tmp_path, registry, keys):
    digest = push(tmp_path, "hello", f"oci://{registry}/team/hello:1.0")
    signed = ok(tmp_path, "plugin", "sign", f"oci://{registry}/team/hello@{digest}", "--key", str(keys / "team.key"))
    assert f"sha256-{digest[7:]}.sig" in signed
    config = configure(tmp_path, keys, TEAM_RULE)
    async with Client(host(tmp_path, config), mode="legacy") as client:
        assert "hello" not in await tool_names(client)
        added = ok(tmp_path, "plugin", "add", f"oci://{registry}/team/hello@{digest}", "--config", str(config))
        assert "team.pub" in added and digest in added, added
        await wait_for_tools(client, {"hello"})
        assert text_of(await client.call_tool("hello", {"name": "Ada"})) == "Hello, Ada!"

        entry = lock(tmp_path)
        sha256 = "sha256:" + hashlib.sha256(wasm("hello").read_bytes()).hexdigest()
        for field in ['name = "hello"', f'digest = "{digest}"', f'sha256 = "{sha256}"', "team.pub", "verified_at = "]:
            assert field in entry, entry
        listed = ok(tmp_path, "plugin", "list", "--config", str(config))
        assert any(line.split()[:2] == ["hello", "lock"] for line in listed.splitlines()), listed

        removed = ok(tmp_path, "plugin", "remove", "hello", "--config", str(config))
        assert "removed" in removed
        await wait_for_tools(client, set(), {"hello"})


async def test_a_tag_is_pinned_only_with_allow_tag(tmp_path, registry, keys):
    digest = push(tmp_path, "hello", f"oci://{registry}/team/tagged:1.0")
    ok(tmp_path, "plugin", "sign", f"oci://{registry}/team/tagged@{digest}", "--key", str(keys / "team.key"))
    config = configure(tmp_path, keys, TEAM_RULE)
    refused = cli(tmp_path, "plugin", "add", f"oci://{registry}/team/tagged:1.0", "--config", str(config))
    assert refused.returncode == 1 and "names a tag" in refused.stderr and "--allow-tag" in refused.stderr, refused.stderr
    assert lock(tmp_path) == ""
    ok(tmp_path, "plugin", "add", f"oci://{registry}/team/tagged:1.0", "--allow-tag", "--config", str(config))
    entry = lock(tmp_path)
    assert f'source = "oci://{registry}/team/tagged:1.0"' in entry and f'digest = "{digest}"' in entry, entry


async def test_a_signature_by_another_key_is_refused(tmp_path, registry, keys):
    digest = push(tmp_path, "hello", f"oci://{registry}/team/forged:1.0")
    ok(tmp_path, "plugin", "sign", f"oci://{registry}/team/forged@{digest}", "--key", str(keys / "other.key"))
    config = configure(tmp_path, keys, TEAM_RULE)
    refused = cli(tmp_path, "plugin", "add", f"oci://{registry}/team/forged@{digest}", "--config", str(config))
    assert refused.returncode == 1, refused.stdout
    assert "none of the 1 signature(s)" in refused.stderr and "team.pub" in refused.stderr, refused.stderr
    assert lock(tmp_path) == ""
    assert not (tmp_path / "state" / "oci").exists(), "nothing is kept from a refused artifact"


async def test_an_unsigned_plugin_is_refused_until_a_rule_takes_it_unsigned(tmp_path, registry, keys):
    digest = push(tmp_path, "hello", f"oci://{registry}/dev/hello:1.0")
    reference = f"oci://{registry}/dev/hello@{digest}"
    config = configure(tmp_path, keys, TEAM_RULE)
    unknown = cli(tmp_path, "plugin", "add", reference, "--config", str(config))
    assert unknown.returncode == 1 and "no `[[plugin_trust]]` rule" in unknown.stderr, unknown.stderr
    config = configure(tmp_path, keys, TEAM_RULE + f'[[plugin_trust]]\nrepository = "{registry}/dev/*"\nkeys = ["KEYS/team.pub"]\n')
    unsigned = cli(tmp_path, "plugin", "add", reference, "--config", str(config))
    assert unsigned.returncode == 1 and "is not signed" in unsigned.stderr, unsigned.stderr
    assert lock(tmp_path) == ""
    config = configure(tmp_path, keys, TEAM_RULE + f'[[plugin_trust]]\nrepository = "{registry}/dev/*"\nunsigned = true\n')
    added = ok(tmp_path, "plugin", "add", reference, "--config", str(config))
    assert "unsigned (allowed by the rule" in added, added


async def test_a_moved_tag_changes_nothing_until_update_and_update_asks(tmp_path, registry, keys):
    first = push(tmp_path, "hello", f"oci://{registry}/team/moving:1")
    ok(tmp_path, "plugin", "sign", f"oci://{registry}/team/moving@{first}", "--key", str(keys / "team.key"))
    config = configure(tmp_path, keys, TEAM_RULE)
    ok(tmp_path, "plugin", "add", f"oci://{registry}/team/moving:1", "--allow-tag", "--config", str(config))
    async with Client(host(tmp_path, config), mode="legacy") as client:
        await wait_for_tools(client, {"hello"})
        second = push(tmp_path, "counter", f"oci://{registry}/team/moving:1")
        assert second != first
        ok(tmp_path, "plugin", "sign", f"oci://{registry}/team/moving@{second}", "--key", str(keys / "team.key"))
        await anyio.sleep(1)
        assert "hello" in await tool_names(client) and "count" not in await tool_names(client)
        assert f'digest = "{first}"' in lock(tmp_path)

        declined = cli(tmp_path, "plugin", "update", "moving", "--config", str(config), stdin="n\n")
        assert declined.returncode == 1 and "not replaced" in declined.stderr, declined.stderr
        assert second in declined.stderr and first in declined.stderr and "team.pub" in declined.stderr, declined.stderr
        assert f'digest = "{first}"' in lock(tmp_path)

        accepted = ok(tmp_path, "plugin", "update", "moving", "--config", str(config), stdin="y\n")
        assert "replaced" in accepted
        assert f'digest = "{second}"' in lock(tmp_path)
        await wait_for_tools(client, {"count"}, {"hello"})
        assert "up to date" in ok(tmp_path, "plugin", "update", "moving", "--config", str(config))


async def test_an_altered_store_is_refused_at_the_next_load(tmp_path, registry, keys):
    digest = push(tmp_path, "hello", f"oci://{registry}/team/altered:1.0")
    ok(tmp_path, "plugin", "sign", f"oci://{registry}/team/altered@{digest}", "--key", str(keys / "team.key"))
    config = configure(tmp_path, keys, TEAM_RULE)
    ok(tmp_path, "plugin", "add", f"oci://{registry}/team/altered@{digest}", "--config", str(config))
    assert "1 locked plugins verified" in ok(tmp_path, "plugin", "verify", "--config", str(config))

    component = tmp_path / "state" / "oci" / "blobs" / "sha256" / hashlib.sha256(wasm("hello").read_bytes()).hexdigest()
    data = bytearray(component.read_bytes())
    data[len(data) // 2] ^= 0xFF
    component.write_bytes(bytes(data))
    verified = cli(tmp_path, "plugin", "verify", "--config", str(config))
    assert verified.returncode == 1, verified.stdout
    assert "lock entry `altered`" in verified.stderr and "altered on disk" in verified.stderr, verified.stderr
    health = cli(tmp_path, "health", "--config", str(config))
    assert health.returncode == 1 and "lock entry `altered`" in health.stderr + health.stdout

    async with Client(host(tmp_path, config), mode="legacy") as client:
        assert "hello" not in await tool_names(client)


async def test_locked_plugins_load_from_the_store_when_the_registry_is_down(tmp_path, keys):
    config = configure(tmp_path, keys, TEAM_RULE)
    with local_registry(tmp_path / "short-lived-registry") as address:
        digest = push(tmp_path, "hello", f"oci://{address}/team/hello:1.0")
        ok(tmp_path, "plugin", "sign", f"oci://{address}/team/hello@{digest}", "--key", str(keys / "team.key"))
        ok(tmp_path, "plugin", "add", f"oci://{address}/team/hello@{digest}", "--config", str(config))
    shutil.rmtree(tmp_path / "short-lived-registry")
    async with Client(host(tmp_path, config), mode="legacy") as client:
        assert text_of(await client.call_tool("hello", {"name": "offline"})) == "Hello, offline!"
    assert "1 locked plugins verified" in ok(tmp_path, "plugin", "verify", "--config", str(config))


def get(url: str, accept: str | None = None) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return reply.read()


async def test_the_artifact_has_the_cncf_layout_and_a_cosign_signature(tmp_path, registry, keys):
    """Read back over the distribution API, by this test, not by our reader:
    the manifest, config and layer are as the CNCF Wasm OCI layout writes
    them, and the signature is where cosign looks, over cosign's payload,
    verifiable with the public key by an independent ECDSA implementation."""
    digest = push(tmp_path, "hello", f"oci://{registry}/team/layout:1.0")
    ok(tmp_path, "plugin", "sign", f"oci://{registry}/team/layout@{digest}", "--key", str(keys / "team.key"))
    base = f"http://{registry}/v2/team/layout"

    raw = get(f"{base}/manifests/1.0", OCI_MANIFEST)
    assert "sha256:" + hashlib.sha256(raw).hexdigest() == digest
    manifest = json.loads(raw)
    assert manifest["schemaVersion"] == 2 and manifest["mediaType"] == OCI_MANIFEST
    assert manifest["config"]["mediaType"] == "application/vnd.wasm.config.v0+json"
    [layer] = manifest["layers"]
    assert layer["mediaType"] == "application/wasm"
    component = get(f"{base}/blobs/{layer['digest']}")
    assert component == wasm("hello").read_bytes() and layer["size"] == len(component)
    config = json.loads(get(f"{base}/blobs/{manifest['config']['digest']}"))
    assert (config["architecture"], config["os"], config["layerDigests"]) == ("wasm", "wasip2", [layer["digest"]])
    assert config["created"].endswith("Z") and any(e.startswith("portcullis:plugin/tools@") for e in config["component"]["exports"])

    signatures = json.loads(get(f"{base}/manifests/sha256-{digest[7:]}.sig", OCI_MANIFEST))
    [signature] = signatures["layers"]
    assert signature["mediaType"] == "application/vnd.dev.cosign.simplesigning.v1+json"
    payload = get(f"{base}/blobs/{signature['digest']}")
    critical = json.loads(payload)["critical"]
    assert critical["type"] == "cosign container image signature"
    assert critical["image"]["docker-manifest-digest"] == digest
    assert critical["identity"]["docker-reference"] == f"{registry}/team/layout"
    public = serialization.load_pem_public_key((keys / "team.pub").read_bytes())
    der = base64.b64decode(signature["annotations"]["dev.cosignproject.cosign/signature"])
    public.verify(der, payload, ec.ECDSA(hashes.SHA256()))
