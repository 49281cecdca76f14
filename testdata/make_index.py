#!/usr/bin/env python3
"""Generate the tiny package index that hashpin's integration tests serve.

Writes small but real-format, pip-installable wheels and sdists into
``testdata/index/<normalized-project>/<filename>`` (or ``--out DIR``).

Every output byte is deterministic and independent of the zlib build:

* wheels are zip files with STORED (uncompressed) members, a fixed
  2020-01-01 timestamp, fixed permissions and a fixed member order;
* sdists are USTAR tar files with fixed mtime/uid/gid/uname/gname, wrapped in
  a gzip container written by hand (mtime 0, stored deflate blocks), so no
  compressor implementation is involved.

Re-running the script therefore reproduces identical files; the integration
test ``index_server_selftest::generator_is_deterministic`` checks this.

Usage: python3 testdata/make_index.py [--out DIR]
Only the Python 3.11 standard library is used.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import os
import re
import struct
import sys
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

# 2020-01-01T00:00:00Z
ZIP_DATE_TIME = (2020, 1, 1, 0, 0, 0)
TAR_MTIME = 1577836800

GENERATOR = "hashpin-make-index 1.0"


@dataclass(frozen=True)
class Release:
    """One version of one project and the artifacts to build for it."""

    name: str  # the project name as written in METADATA (not normalized)
    version: str
    # Compressed tag sets, one wheel each ("py3-none-any", ...).
    wheel_tags: tuple[str, ...] = ("py3-none-any",)
    sdist: bool = True
    requires_dist: tuple[str, ...] = ()
    requires_python: str | None = None
    summary: str = "Test fixture for hashpin"


PLATPKG_TAGS = (
    "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "cp311-cp311-win_amd64",
    "cp311-cp311-macosx_11_0_arm64",
    "pp310-pypy310_pp73-manylinux_2_17_x86_64",
)

RELEASES: tuple[Release, ...] = (
    Release("tinyproj", "1.0.0"),
    Release("tinyproj", "1.1.0"),
    Release("Other_Proj", "2.0.0"),
    Release("platpkg", "0.5.0", wheel_tags=PLATPKG_TAGS),
    Release("depa", "1.0.0", requires_dist=("depb>=1.0",)),
    Release("depb", "1.0.0"),
    Release("depb", "1.2.0"),
    Release("newfiles", "3.0.0"),
)


def normalize(name: str) -> str:
    """PEP 503 normalized project name (index directory name)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def dist_name(name: str) -> str:
    """Name component of wheel/sdist filenames (PEP 427 / PEP 625)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def module_name(name: str) -> str:
    return dist_name(name)


def record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def metadata_text(rel: Release) -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {rel.name}",
        f"Version: {rel.version}",
        f"Summary: {rel.summary}",
    ]
    if rel.requires_python:
        lines.append(f"Requires-Python: {rel.requires_python}")
    for req in rel.requires_dist:
        lines.append(f"Requires-Dist: {req}")
    return "\n".join(lines) + "\n\n"


def module_text(rel: Release) -> str:
    return (
        f'"""{module_name(rel.name)}: a test fixture for hashpin."""\n'
        "\n"
        f'__version__ = "{rel.version}"\n'
    )


def expand_tags(compressed: str) -> list[str]:
    """Expand a compressed tag set ("a.b-c-d.e") into its individual tags."""
    py, abi, plat = compressed.split("-")
    return [
        f"{p}-{a}-{pl}"
        for p in py.split(".")
        for a in abi.split(".")
        for pl in plat.split(".")
    ]


def build_wheel(rel: Release, tags: str) -> tuple[str, bytes]:
    dist = dist_name(rel.name)
    filename = f"{dist}-{rel.version}-{tags}.whl"
    dist_info = f"{dist}-{rel.version}.dist-info"
    wheel_text = (
        "Wheel-Version: 1.0\n"
        f"Generator: {GENERATOR}\n"
        "Root-Is-Purelib: true\n"
        + "".join(f"Tag: {t}\n" for t in expand_tags(tags))
    )
    # Package files sorted by name, then the .dist-info files with RECORD
    # last, as the wheel spec recommends.
    members: list[tuple[str, bytes]] = sorted(
        [(f"{module_name(rel.name)}/__init__.py", module_text(rel).encode())]
    )
    members += [
        (f"{dist_info}/METADATA", metadata_text(rel).encode()),
        (f"{dist_info}/WHEEL", wheel_text.encode()),
    ]
    record_rows = [f"{arc},{record_hash(data)},{len(data)}" for arc, data in members]
    record_rows.append(f"{dist_info}/RECORD,,")
    members.append((f"{dist_info}/RECORD", ("\n".join(record_rows) + "\n").encode()))

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for arc, data in members:
            info = zipfile.ZipInfo(arc, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3  # Unix, so external_attr is honoured
            info.external_attr = (0o100644 & 0xFFFF) << 16
            zf.writestr(info, data)
    return filename, buf.getvalue()


def stored_gzip(payload: bytes) -> bytes:
    """A gzip member whose deflate stream uses only stored blocks.

    Written by hand so the bytes do not depend on the zlib in use.
    """
    out = bytearray()
    # ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=255 (unknown)
    out += b"\x1f\x8b\x08\x00" + struct.pack("<I", 0) + b"\x00\xff"
    chunk = 0xFFFF
    pos = 0
    while True:
        block = payload[pos : pos + chunk]
        pos += len(block)
        final = pos >= len(payload)
        out.append(1 if final else 0)  # BFINAL, BTYPE=00 (stored)
        out += struct.pack("<HH", len(block), len(block) ^ 0xFFFF)
        out += block
        if final:
            break
    out += struct.pack("<II", zlib.crc32(payload) & 0xFFFFFFFF, len(payload) & 0xFFFFFFFF)
    return bytes(out)


def pyproject_text(rel: Release) -> str:
    lines = [
        "[build-system]",
        'requires = ["setuptools>=61"]',
        'build-backend = "setuptools.build_meta"',
        "",
        "[project]",
        f'name = "{rel.name}"',
        f'version = "{rel.version}"',
        f'description = "{rel.summary}"',
    ]
    if rel.requires_python:
        lines.append(f'requires-python = "{rel.requires_python}"')
    deps = ", ".join(f'"{d}"' for d in rel.requires_dist)
    lines.append(f"dependencies = [{deps}]")
    lines += [
        "",
        "[tool.setuptools]",
        f'packages = ["{module_name(rel.name)}"]',
    ]
    return "\n".join(lines) + "\n"


SETUP_CFG = "[egg_info]\ntag_build = \ntag_date = 0\n\n"


def build_sdist(rel: Release) -> tuple[str, bytes]:
    dist = dist_name(rel.name)
    top = f"{dist}-{rel.version}"
    filename = f"{top}.tar.gz"
    files = {
        "PKG-INFO": metadata_text(rel),
        "pyproject.toml": pyproject_text(rel),
        "setup.cfg": SETUP_CFG,
        f"{module_name(rel.name)}/__init__.py": module_text(rel),
    }
    dirs = {top, f"{top}/{module_name(rel.name)}"}

    def tarinfo(name: str, kind: bytes, size: int = 0) -> tarfile.TarInfo:
        ti = tarfile.TarInfo(name)
        ti.type = kind
        ti.size = size
        ti.mtime = TAR_MTIME
        ti.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = ""
        return ti

    entries: list[tuple[str, bytes | None]] = [(d, None) for d in dirs]
    entries += [(f"{top}/{rel_path}", text.encode()) for rel_path, text in files.items()]
    entries.sort(key=lambda e: e[0])

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        for name, data in entries:
            if data is None:
                tf.addfile(tarinfo(name, tarfile.DIRTYPE))
            else:
                tf.addfile(tarinfo(name, tarfile.REGTYPE, len(data)), io.BytesIO(data))
    return filename, stored_gzip(raw.getvalue())


README = """\
# Test package index

Small, real-format Python distributions served by the loopback index in
`tests/integration/index_server.rs`. Layout: `<normalized-project>/<filename>`.

| project (METADATA Name) | versions | artifacts |
| --- | --- | --- |
| tinyproj | 1.0.0, 1.1.0 | py3-none-any wheel + sdist each |
| Other_Proj (dir `other-proj`) | 2.0.0 | wheel + sdist |
| platpkg | 0.5.0 | five platform-tagged wheels (pure Python inside) + sdist |
| depa | 1.0.0 | wheel + sdist, `Requires-Dist: depb>=1.0` |
| depb | 1.0.0, 1.2.0 | wheel + sdist each |
| newfiles | 3.0.0 | wheel + sdist (tests add files at run time) |

Every file is generated and byte-for-byte reproducible (fixed timestamps,
ownership and member order; uncompressed zip members and a stored-block gzip
stream, so no zlib version matters). Do not edit by hand; regenerate with

    python3 testdata/make_index.py

(`--out DIR` writes elsewhere; the integration tests use that to check that
the committed files match the generator.)
"""


def generate(out: Path) -> list[Path]:
    written: list[Path] = []

    def write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)

    for rel in RELEASES:
        project_dir = out / normalize(rel.name)
        for tags in rel.wheel_tags:
            filename, data = build_wheel(rel, tags)
            write(project_dir / filename, data)
        if rel.sdist:
            filename, data = build_sdist(rel)
            write(project_dir / filename, data)
    write(out / "README.md", README.encode())
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_out = Path(__file__).resolve().parent / "index"
    parser.add_argument("--out", type=Path, default=default_out, help="output directory")
    args = parser.parse_args(argv)
    out: Path = args.out
    # Remove stale artifacts from earlier runs so the tree is exactly what
    # this script produces (only files this script owns: project dirs).
    wanted = {normalize(r.name) for r in RELEASES}
    if out.is_dir():
        for child in out.iterdir():
            if child.is_dir() and child.name in wanted:
                for f in child.iterdir():
                    if f.is_file():
                        f.unlink()
    written = generate(out)
    for path in written:
        print(os.path.relpath(path, Path.cwd()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
