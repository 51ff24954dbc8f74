#!/usr/bin/env bash
# build-test-wheel.sh — build the tiny local package index used by install tests.
#
# Turns the source project in tests/fixtures/wheels/portcullis_probe/ into a
# wheel written by hand with Python's zipfile (no setuptools, no network):
#
#   target/test-index/simple/index.html                       (PEP 503 root)
#   target/test-index/simple/portcullis-probe/index.html      (PEP 503 project page)
#   target/test-index/simple/portcullis-probe/portcullis_probe-1.0.0-py3-none-any.whl
#
# The wheel is byte-for-byte reproducible (fixed timestamps, sorted entries), so
# re-running is a no-op unless the sources changed. Serve it with
#   python3 -m http.server --directory target/test-index PORT --bind 0.0.0.0
# and install with
#   pip install --index-url http://HOST:PORT/simple portcullis-probe
# (see scripts/check-test-env.sh for how a container reaches HOST).
#
# Usage: scripts/build-test-wheel.sh [OUT_DIR]   (default: <repo>/target/test-index)
# Env:   PYTHON  interpreter to use (default: <repo>/.venv/bin/python, else python3); needs >= 3.11.
set -euo pipefail

log() { printf '[build-test-wheel] %s\n' "$*" >&2; }

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC_DIR="$REPO_ROOT/tests/fixtures/wheels/portcullis_probe"
OUT_DIR="${1:-$REPO_ROOT/target/test-index}"

if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x "$REPO_ROOT/.venv/bin/python" ]]; then
        PYTHON="$REPO_ROOT/.venv/bin/python"
    else
        PYTHON="python3"
    fi
fi

"$PYTHON" - "$SRC_DIR" "$OUT_DIR" <<'PY'
import base64
import hashlib
import io
import os
import re
import sys
import tomllib
import zipfile

src_dir, out_dir = sys.argv[1], sys.argv[2]


def log(msg):
    print(f"[build-test-wheel] {msg}", file=sys.stderr)


with open(os.path.join(src_dir, "pyproject.toml"), "rb") as f:
    project = tomllib.load(f)["project"]

name = project["name"]
version = project["version"]
normalized = re.sub(r"[-_.]+", "-", name).lower()  # PEP 503 project name
dist = re.sub(r"[-_.]+", "_", name).lower()  # wheel distribution name
tag = "py3-none-any"
wheel_name = f"{dist}-{version}-{tag}.whl"
dist_info = f"{dist}-{version}.dist-info"

# Collect the importable package(s): every directory next to pyproject.toml
# holding an __init__.py.
files = {}
for entry in sorted(os.listdir(src_dir)):
    pkg = os.path.join(src_dir, entry)
    if not os.path.isfile(os.path.join(pkg, "__init__.py")):
        continue
    for root, dirs, names in os.walk(pkg):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for fn in sorted(names):
            if fn.endswith((".pyc", ".pyo")):
                continue
            path = os.path.join(root, fn)
            arc = os.path.relpath(path, src_dir).replace(os.sep, "/")
            with open(path, "rb") as f:
                files[arc] = f.read()
if not files:
    sys.exit(f"no package with __init__.py found in {src_dir}")

metadata = [
    "Metadata-Version: 2.1",
    f"Name: {name}",
    f"Version: {version}",
]
if "description" in project:
    metadata.append(f"Summary: {project['description']}")
if "requires-python" in project:
    metadata.append(f"Requires-Python: {project['requires-python']}")
lic = project.get("license")
if isinstance(lic, dict) and "text" in lic:
    metadata.append(f"License: {lic['text']}")
files[f"{dist_info}/METADATA"] = ("\n".join(metadata) + "\n").encode()
files[f"{dist_info}/WHEEL"] = (
    "Wheel-Version: 1.0\n"
    "Generator: portcullis-build-test-wheel (1.0)\n"
    "Root-Is-Purelib: true\n"
    f"Tag: {tag}\n"
).encode()
top_level = sorted({arc.split("/", 1)[0] for arc in files if not arc.startswith(dist_info)})
files[f"{dist_info}/top_level.txt"] = ("\n".join(top_level) + "\n").encode()


def record_hash(data):
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


record_path = f"{dist_info}/RECORD"
record_lines = [f"{arc},{record_hash(data)},{len(data)}" for arc, data in sorted(files.items())]
record_lines.append(f"{record_path},,")
files[record_path] = ("\n".join(record_lines) + "\n").encode()

# dist-info must come last (RECORD last of all) per the wheel spec's recommendation.
order = sorted(a for a in files if not a.startswith(dist_info + "/"))
order += sorted(a for a in files if a.startswith(dist_info + "/") and a != record_path)
order.append(record_path)

buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
    for arc in order:
        info = zipfile.ZipInfo(arc, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o100644 << 16
        info.create_system = 3  # unix, so the mode bits are honoured
        zf.writestr(info, files[arc])
wheel_bytes = buf.getvalue()
wheel_sha = hashlib.sha256(wheel_bytes).hexdigest()

simple = os.path.join(out_dir, "simple")
proj_dir = os.path.join(simple, normalized)
os.makedirs(proj_dir, exist_ok=True)

outputs = {
    os.path.join(proj_dir, wheel_name): wheel_bytes,
    os.path.join(simple, "index.html"): (
        "<!DOCTYPE html>\n<html>\n  <head><meta name=\"pypi:repository-version\" content=\"1.0\">"
        "<title>Simple index</title></head>\n  <body>\n"
        f"    <a href=\"{normalized}/\">{normalized}</a>\n"
        "  </body>\n</html>\n"
    ).encode(),
    os.path.join(proj_dir, "index.html"): (
        "<!DOCTYPE html>\n<html>\n  <head><meta name=\"pypi:repository-version\" content=\"1.0\">"
        f"<title>Links for {normalized}</title></head>\n  <body>\n    <h1>Links for {normalized}</h1>\n"
        f"    <a href=\"{wheel_name}#sha256={wheel_sha}\""
        + (f" data-requires-python=\"{project['requires-python'].replace('>', '&gt;').replace('<', '&lt;')}\""
           if "requires-python" in project else "")
        + f">{wheel_name}</a>\n"
        "  </body>\n</html>\n"
    ).encode(),
}

changed = 0
for path, data in outputs.items():
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                continue
    except FileNotFoundError:
        pass
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    changed += 1

# Drop stale wheels of other versions so the index only offers the current one.
for fn in os.listdir(proj_dir):
    if fn.endswith(".whl") and fn != wheel_name:
        os.remove(os.path.join(proj_dir, fn))
        changed += 1

rel = os.path.join(proj_dir, wheel_name)
if changed:
    log(f"wrote {rel} (sha256 {wheel_sha[:16]}...) and PEP 503 index pages")
else:
    log(f"up to date: {rel}")
PY
