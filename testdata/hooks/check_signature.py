#!/usr/bin/env python3
"""Example hashpin hook: check a detached signature for a downloaded artifact.

Usage (as a hook; hashpin appends PATH and URL):

    python3 testdata/hooks/check_signature.py PATH URL [--keys DIR]

    # hashpin.toml
    [[hooks]]
    name = "signature"
    command = ["python3", "testdata/hooks/check_signature.py", "--keys", "keys/"]

This is an EXAMPLE of the shape a real signature check takes (`gpg --verify X.asc X`,
`sigstore verify`, `minisign -V`): find the detached signature, verify it against a key the
user trusts, answer with an exit code. There is no GPG in the test suite, so a "signature"
here is the hex HMAC-SHA256 of the artifact's bytes, keyed with the bytes of
`DIR/hmac.key` (`--keys DIR`) or of the file named by `HASHPIN_SIGNING_KEY_FILE`. Leading
and trailing white space is stripped from the key file, so `echo secret > hmac.key` works.

Where the signature comes from, in order:
  1. `PATH.sig`, next to the artifact;
  2. `URL.sig`, fetched over http or https (10 s timeout, at most 4 KiB read). Loopback hosts
     are fetched without any proxy; other hosts honour the usual `*_proxy` variables.

Exit codes (hashpin's hook protocol):
  0  the signature is valid.
  1  the signature is invalid, unreadable or could not be fetched (a network error is a
     failure, not "no signature": fail closed); the key is missing; bad arguments; or an sdist
     has no signature at all.
  3  a *wheel* has no signature anywhere (neither `PATH.sig` nor a 404/410 for `URL.sig`).
     Projects often sign only some files, so hashpin may try another recorded artifact of the
     release (the sdist, say), which must then pass on its own. An sdist without a signature
     is a plain failure: there is nothing left to fall back to.

Whether the artifact is a wheel is decided from `HASHPIN_FILENAME` (set by hashpin; the PATH
may be a cache file named by its sha256), else from PATH's file name.

Only the Python standard library is used. No traceback escapes: every error is one line on
stderr and exit code 1.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

PASS, FAIL, RETRY = 0, 1, 3
PROG = "check_signature"
MAX_SIGNATURE_BYTES = 4096
FETCH_TIMEOUT_SECONDS = 10


class HookError(Exception):
    """A failure to report on stderr with exit code 1."""


class NoSignature(Exception):
    """The signature does not exist (as opposed to: could not be read or fetched)."""


def parse_args(argv: list[str]) -> tuple[str, str, str | None]:
    """PATH URL [--keys DIR], parsed by hand so that a usage error is exit 1, not argparse's 2."""
    positional: list[str] = []
    keys: str | None = None
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg == "--keys":
            if index + 1 >= len(argv):
                raise HookError("`--keys` needs a directory")
            keys = argv[index + 1]
            index += 2
            continue
        if arg.startswith("--keys="):
            keys = arg[len("--keys=") :]
        elif arg == "--":
            positional.extend(argv[index + 1 :])
            break
        elif arg.startswith("--"):
            raise HookError(f"unknown option `{arg}`")
        else:
            positional.append(arg)
        index += 1
    if len(positional) != 2:
        raise HookError("usage: check_signature.py PATH URL [--keys DIR]")
    return positional[0], positional[1], keys


def read_key(keys_dir: str | None) -> bytes:
    """The HMAC key: `--keys DIR/hmac.key`, else `$HASHPIN_SIGNING_KEY_FILE`."""
    if keys_dir is not None:
        key_file = os.path.join(keys_dir, "hmac.key")
    else:
        key_file = os.environ.get("HASHPIN_SIGNING_KEY_FILE", "")
        if not key_file:
            raise HookError("no key: pass `--keys DIR` or set HASHPIN_SIGNING_KEY_FILE")
    try:
        with open(key_file, "rb") as file:
            key = file.read().strip()
    except OSError as error:
        raise HookError(f"cannot read key `{key_file}`: {error.strerror or error}") from None
    if not key:
        raise HookError(f"key `{key_file}` is empty")
    return key


def local_signature(path: str) -> bytes:
    """The contents of `PATH.sig`; NoSignature when there is no such file."""
    sig_path = path + ".sig"
    try:
        with open(sig_path, "rb") as file:
            return file.read(MAX_SIGNATURE_BYTES + 1)
    except FileNotFoundError:
        raise NoSignature(f"no `{sig_path}`") from None
    except OSError as error:
        raise HookError(f"cannot read `{sig_path}`: {error.strerror or error}") from None


def is_loopback(host: str | None) -> bool:
    """Whether HOST is this machine, where no proxy can help."""
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def remote_signature(url: str) -> bytes:
    """The body of `URL.sig`; NoSignature on 404/410 or a URL that is not http(s)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        # A file:// or empty URL has no remote signature to look for; never open local files
        # or other schemes on an index's say-so.
        raise NoSignature(f"no remote signature for a `{parts.scheme or 'non-URL'}` location")
    sig_url = urllib.parse.urlunsplit(parts._replace(path=parts.path + ".sig"))
    # Credentials in the URL are used for the request but never printed.
    host_port = parts.netloc.rpartition("@")[2]
    shown = urllib.parse.urlunsplit(parts._replace(path=parts.path + ".sig", netloc=host_port))
    handlers = [urllib.request.ProxyHandler({})] if is_loopback(parts.hostname) else []
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(sig_url, timeout=FETCH_TIMEOUT_SECONDS) as response:
            return response.read(MAX_SIGNATURE_BYTES + 1)
    except urllib.error.HTTPError as error:
        if error.code in (404, 410):
            raise NoSignature(f"`{shown}` answered {error.code}") from None
        raise HookError(f"fetching `{shown}` failed: HTTP {error.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise HookError(f"fetching `{shown}` failed: {reason}") from None


def artifact_hmac(path: str, key: bytes) -> str:
    """Hex HMAC-SHA256 of the file's bytes, read in chunks."""
    mac = hmac.new(key, digestmod=hashlib.sha256)
    try:
        with open(path, "rb") as file:
            while chunk := file.read(1 << 20):
                mac.update(chunk)
    except OSError as error:
        raise HookError(f"cannot read artifact `{path}`: {error.strerror or error}") from None
    return mac.hexdigest()


def main(argv: list[str]) -> int:
    path, url, keys_dir = parse_args(argv)
    filename = os.environ.get("HASHPIN_FILENAME") or os.path.basename(path)
    is_wheel = filename.endswith(".whl")
    key = read_key(keys_dir)
    expected = artifact_hmac(path, key)

    try:
        signature, where = local_signature(path), f"{path}.sig"
    except NoSignature as local_missing:
        try:
            signature, where = remote_signature(url), "URL.sig"
        except NoSignature as remote_missing:
            message = f"{filename}: no signature ({local_missing}; {remote_missing})"
            if is_wheel:
                print(f"{PROG}: {message}; another artifact of the release may be signed", file=sys.stderr)
                return RETRY
            print(f"{PROG}: {message}", file=sys.stderr)
            return FAIL

    if len(signature) > MAX_SIGNATURE_BYTES:
        raise HookError(f"{filename}: signature from {where} is larger than {MAX_SIGNATURE_BYTES} bytes")
    try:
        given = signature.decode("ascii").strip().lower()
    except UnicodeDecodeError:
        raise HookError(f"{filename}: signature from {where} is not hex text") from None
    if hmac.compare_digest(given, expected):
        print(f"{PROG}: {filename}: valid signature ({where})", file=sys.stderr)
        return PASS
    print(f"{PROG}: {filename}: INVALID signature ({where})", file=sys.stderr)
    return FAIL


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except HookError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        sys.exit(FAIL)
    except KeyboardInterrupt:
        sys.exit(FAIL)
    except Exception as error:  # noqa: BLE001 - fail closed, never a traceback
        print(f"{PROG}: unexpected error: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(FAIL)
