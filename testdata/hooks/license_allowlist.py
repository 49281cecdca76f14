#!/usr/bin/env python3
"""Example hashpin hook: pass an artifact only if its declared license is on an allow-list.

Usage (as a hook; hashpin appends PATH and URL):

    python3 testdata/hooks/license_allowlist.py PATH URL --allow MIT --allow BSD-3-Clause ...

    # pyproject.toml
    [[tool.hashpin.hooks]]
    name = "licenses"
    command = ["python3", "testdata/hooks/license_allowlist.py",
               "--allow", "MIT", "--allow", "BSD-3-Clause", "--allow", "Apache-2.0"]

The archive is opened in place, never extracted: a wheel's `*.dist-info/METADATA` (zip) or an
sdist's `<name>-<version>/PKG-INFO` (tar, any compression, or a legacy zip sdist). Only the
headers are read, at most 1 MiB. What counts, in order:

  1. `License-Expression:` (PEP 639), an SPDX expression: `A OR B` passes if either side is
     allowed, `A AND B` only if both are, `A WITH EXCEPTION` if `A` (or the whole
     `A WITH EXCEPTION`) is allowed. Nothing else is consulted when it is present.
  2. `License:`, the older free-text field. When it parses as an SPDX expression it is judged
     as one; other text must equal an allowed value (case-insensitively), or else the license
     classifiers decide.
  3. `Classifier: License :: ...`. Every license classifier must be allowed: classifiers
     cannot say whether two licenses are alternatives or both apply, so this errs on the side
     of refusing. A classifier is allowed when `--allow` names its SPDX identifier (for the
     few classifiers that name exactly one license, e.g. `MIT License` -> `MIT`), its last
     part (`BSD License`) or its full text. `BSD License` alone does not say which BSD, so
     `--allow BSD-3-Clause` does not accept it.

Identifiers compare case-insensitively. The verdict and its reason go to stderr.

Exit codes: 0 allowed; 1 not allowed, no license metadata, not a readable archive, or bad
arguments. This hook never answers 3 (retry): every artifact of a release should declare the
same license, so trying another one would not help.

Only the Python standard library is used. No traceback escapes: every error is one line on
stderr and exit code 1.
"""

from __future__ import annotations

import email.parser
import email.policy
import os
import re
import sys
import tarfile
import zipfile

PASS, FAIL = 0, 1
PROG = "license_allowlist"
MAX_METADATA_BYTES = 1 << 20

# Classifiers that name exactly one SPDX license. Others (`BSD License`, `Apache Software
# License`, the GPL family) leave the version or "or later" open, so they match only an
# `--allow` of their own text.
CLASSIFIER_SPDX = {
    "mit license": "MIT",
    "isc license (iscl)": "ISC",
    "mozilla public license 2.0 (mpl 2.0)": "MPL-2.0",
    "the unlicense (unlicense)": "Unlicense",
    "bsd zero clause license (0bsd)": "0BSD",
    "boost software license 1.0 (bsl-1.0)": "BSL-1.0",
    "mit no attribution license (mit-0)": "MIT-0",
    "zero-clause bsd (0bsd)": "0BSD",
}

WHEEL_METADATA = re.compile(r"^[^/]+\.dist-info/METADATA$")
TOKEN = re.compile(r"\s*(?:(\()|(\))|([A-Za-z0-9.+:\-]+))")


class HookError(Exception):
    """A failure to report on stderr with exit code 1."""


def normalize(text: str) -> str:
    """Case-folded, with runs of white space made one space, for comparisons."""
    return " ".join(text.split()).casefold()


def parse_args(argv: list[str]) -> tuple[str, str, set[str]]:
    """PATH URL --allow ID..., parsed by hand so that a usage error is exit 1, not argparse's 2."""
    positional: list[str] = []
    allowed: set[str] = set()
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg == "--allow":
            if index + 1 >= len(argv):
                raise HookError("`--allow` needs a license identifier")
            allowed.add(normalize(argv[index + 1]))
            index += 2
            continue
        if arg.startswith("--allow="):
            allowed.add(normalize(arg[len("--allow=") :]))
        elif arg == "--":
            positional.extend(argv[index + 1 :])
            break
        elif arg.startswith("--"):
            raise HookError(f"unknown option `{arg}`")
        else:
            positional.append(arg)
        index += 1
    if len(positional) != 2 or not allowed:
        raise HookError("usage: license_allowlist.py PATH URL --allow ID [--allow ID]...")
    return positional[0], positional[1], allowed


def read_capped(file, what: str) -> bytes:
    """At most MAX_METADATA_BYTES from FILE; a bigger file is refused, not truncated."""
    data = file.read(MAX_METADATA_BYTES + 1)
    if len(data) > MAX_METADATA_BYTES:
        raise HookError(f"`{what}` is larger than {MAX_METADATA_BYTES} bytes")
    return data


def metadata_from_zip(path: str) -> tuple[str, bytes]:
    """A wheel's `*.dist-info/METADATA`, or a zip sdist's top-level `<dir>/PKG-INFO`."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        candidates = [name for name in names if WHEEL_METADATA.match(name)]
        if not candidates:
            candidates = [name for name in names if re.match(r"^[^/]+/PKG-INFO$", name)]
        if not candidates:
            raise HookError("no `*.dist-info/METADATA` or `PKG-INFO` in the zip archive")
        if len(set(candidates)) > 1:
            raise HookError(f"more than one metadata file: {', '.join(sorted(set(candidates)))}")
        with archive.open(candidates[0]) as member:
            return candidates[0], read_capped(member, candidates[0])


def metadata_from_tar(path: str) -> tuple[str, bytes]:
    """An sdist's `<name>-<version>/PKG-INFO`: the first regular file at that depth."""
    with tarfile.open(path, mode="r:*") as archive:
        # Iterate lazily: stop at the first match instead of indexing a huge archive.
        for member in archive:
            parts = member.name.removeprefix("./").split("/")
            if len(parts) == 2 and parts[1] == "PKG-INFO" and member.isfile():
                file = archive.extractfile(member)
                if file is None:
                    break
                with file:
                    return member.name, read_capped(file, member.name)
    raise HookError("no `<name>-<version>/PKG-INFO` in the tar archive")


def read_metadata(path: str) -> tuple[str, bytes]:
    """(member name, bytes) of the artifact's core metadata, found by content, not by name."""
    if not os.path.isfile(path):
        raise HookError(f"`{path}` is not a file")
    try:
        if zipfile.is_zipfile(path):
            return metadata_from_zip(path)
        if tarfile.is_tarfile(path):
            return metadata_from_tar(path)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, RuntimeError) as error:
        raise HookError(f"cannot read the archive: {error}") from None
    raise HookError("not a wheel, zip or tar archive")


def tokenize(text: str) -> list[str] | None:
    """SPDX expression tokens, or None when TEXT has characters no expression has."""
    tokens: list[str] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if match is None:
            return None
        tokens.append(match.group(0).strip())
        position = match.end()
    return tokens


class Expression:
    """A parsed SPDX license expression, judged against an allow-list."""

    def __init__(self, tokens: list[str]):
        self.tokens = tokens
        self.position = 0

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> str:
        token = self.tokens[self.position]
        self.position += 1
        return token

    @staticmethod
    def is_operator(token: str | None, name: str) -> bool:
        return token is not None and token.upper() == name

    def parse(self):
        """The whole expression as nested tuples; ValueError when it is not one."""
        tree = self.parse_or()
        if self.peek() is not None:
            raise ValueError(f"unexpected `{self.peek()}`")
        return tree

    def parse_or(self):
        # SPDX: AND binds tighter than OR.
        terms = [self.parse_and()]
        while self.is_operator(self.peek(), "OR"):
            self.take()
            terms.append(self.parse_and())
        return ("OR", terms) if len(terms) > 1 else terms[0]

    def parse_and(self):
        factors = [self.parse_with()]
        while self.is_operator(self.peek(), "AND"):
            self.take()
            factors.append(self.parse_with())
        return ("AND", factors) if len(factors) > 1 else factors[0]

    def parse_with(self):
        token = self.peek()
        if token is None:
            raise ValueError("expression ends early")
        if token == "(":
            self.take()
            inner = self.parse_or()
            if self.peek() != ")":
                raise ValueError("missing `)`")
            self.take()
            return inner
        if token == ")" or any(self.is_operator(token, op) for op in ("AND", "OR", "WITH")):
            raise ValueError(f"unexpected `{token}`")
        license_id = self.take()
        if self.is_operator(self.peek(), "WITH"):
            self.take()
            exception = self.peek()
            if exception is None or exception in ("(", ")"):
                raise ValueError("`WITH` needs an exception identifier")
            return ("WITH", license_id, self.take())
        return ("ID", license_id)


def judge(tree, allowed: set[str]) -> bool:
    """Whether the parsed expression is satisfied by the allow-list."""
    kind = tree[0]
    if kind == "ID":
        return normalize(tree[1]) in allowed
    if kind == "WITH":
        # An exception only adds permissions, so an allowed license stays allowed with one.
        return normalize(tree[1]) in allowed or normalize(f"{tree[1]} WITH {tree[2]}") in allowed
    if kind == "OR":
        return any(judge(term, allowed) for term in tree[1])
    return all(judge(term, allowed) for term in tree[1])


def parse_expression(text: str):
    """The expression tree, or None when TEXT is not an SPDX expression."""
    tokens = tokenize(text)
    if not tokens:
        return None
    try:
        return Expression(tokens).parse()
    except ValueError:
        return None


def classifier_allowed(classifier: str, allowed: set[str]) -> bool:
    """Whether one `License :: ...` classifier is allowed (see the module comment)."""
    parts = [part.strip() for part in classifier.split("::")]
    names = {normalize(classifier), normalize(" :: ".join(parts[1:])), normalize(parts[-1])}
    spdx = CLASSIFIER_SPDX.get(normalize(parts[-1]))
    if spdx is not None:
        names.add(normalize(spdx))
    return bool(names & allowed)


def decide(headers, allowed: set[str]) -> tuple[bool, str]:
    """(allowed?, why) from the metadata headers."""
    expressions = headers.get_all("License-Expression") or []
    if len(expressions) > 1:
        return False, "more than one `License-Expression`"
    if expressions:
        text = " ".join(str(expressions[0]).split())
        tree = parse_expression(text)
        if tree is None:
            return False, f"License-Expression `{text}` is not a valid SPDX expression"
        if judge(tree, allowed):
            return True, f"License-Expression `{text}` is allowed"
        return False, f"License-Expression `{text}` is not allowed"

    classifiers = [
        " ".join(str(value).split())
        for value in headers.get_all("Classifier") or []
        if str(value).strip().startswith("License ::")
    ]
    license_text = " ".join(str(headers.get("License") or "").split())
    if license_text and license_text.upper() != "UNKNOWN":
        tree = parse_expression(license_text)
        shown = license_text if len(license_text) <= 80 else license_text[:77] + "..."
        if tree is not None:
            if judge(tree, allowed):
                return True, f"License `{shown}` is allowed"
            return False, f"License `{shown}` is not allowed"
        if normalize(license_text) in allowed:
            return True, f"License `{shown}` is allowed"
        if not classifiers:
            return False, f"License `{shown}` is not an allowed license identifier"

    if classifiers:
        refused = [c for c in classifiers if not classifier_allowed(c, allowed)]
        if refused:
            return False, "not allowed: " + "; ".join(f"`{c}`" for c in refused)
        return True, "allowed: " + "; ".join(f"`{c}`" for c in classifiers)

    return False, "no license metadata (no License-Expression, License or `License ::` classifier)"


def main(argv: list[str]) -> int:
    path, _url, allowed = parse_args(argv)
    filename = os.environ.get("HASHPIN_FILENAME") or os.path.basename(path)
    member, data = read_metadata(path)
    headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(data)
    ok, why = decide(headers, allowed)
    print(f"{PROG}: {filename} ({member}): {why}", file=sys.stderr)
    return PASS if ok else FAIL


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
