"""What pip reads in requirements files: the oracle of tests/integration/differential.rs.

Runs in a throwaway virtual environment with exact versions of pip and packaging (the test
installs them; see `PIP_VERSION` and `PACKAGING_VERSION` there). It reads one JSON document on
stdin:

    {"cases": [{"key": str, "dir": str, "roots": [str], "env": {str: str},
                "hashpin": <hashpin-parse/1 document> | null}]}

and prints one JSON line per case on stdout:

    {"key": str,
     "pip": {"accepted": bool, "error": str | null, "requirements": [...], "options": [...]},
     "hashpin": same shape | null}

`pip` is what pip's own reader makes of the case's root files, read from the case's directory
with the case's environment variables: `pip._internal.req.req_file` (joining, comments, `${VAR}`,
options, includes) and `pip._internal.req.constructors` (a line into a requirement: markers split
off, paths, URLs, wheel filenames), as `pip install -r` does. `hashpin` is hashpin's own report
of the same files, put into the same shape, so that the test can compare field by field:

- names and extras canonicalized (PEP 503 / PEP 685);
- a specifier as the sorted set of its clauses, versions canonical (`==1.0` is `==1.0.0`);
- a marker as its truth table over a fixed set of environments (`T`, `F`, or `E` where
  packaging raises), so that `python_version > "3.8"` and `python_full_version >= '3.9'` agree;
- a URL with its scheme lower-cased, percent-escapes decoded and an empty path written `/`, a
  local path as pip's `file://` URL of its absolute path;
- hashes as a sorted set of `algorithm:hex`;
- options, of option lines and of requirement lines, through pip's own option parser
  (`build_parser`), as (destination, value) facts: `--index-url=u` and `-i u` are one fact.

pip stops at the first error of a file; only whether it refused, and its message, are kept.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import traceback
import urllib.parse

from packaging.markers import Marker, default_environment
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name, canonicalize_version
from packaging.version import InvalidVersion, Version
from pip._internal.network.session import PipSession
from pip._internal.req.constructors import install_req_from_parsed_requirement
from pip._internal.req.req_file import (
    RequirementsFileParser,
    build_parser,
    get_line_parser,
    handle_line,
)
from pip._internal.utils.urls import path_to_url

# The environments every marker is evaluated in: each supported interpreter line on each
# platform, then environments whose every string variable holds one of the values packaging's
# own marker tests compare against, so that string comparisons are probed too.
_PYTHONS = [
    ("2.7", "2.7.18"),
    ("3.6", "3.6.15"),
    ("3.8", "3.8.0"),
    ("3.8", "3.8.10"),
    ("3.9", "3.9.0"),
    ("3.10", "3.10.12"),
    ("3.11", "3.11.7"),
    ("3.12", "3.12.1"),
    ("3.13", "3.13.0"),
    ("3.14", "3.14.0rc1"),
]
_PLATFORMS = [
    ("linux", "posix", "Linux", "x86_64", "cpython", "CPython"),
    ("win32", "nt", "Windows", "AMD64", "cpython", "CPython"),
    ("darwin", "posix", "Darwin", "arm64", "pypy", "PyPy"),
]
_EXTRAS = ["", "test", "security", "oursql", "y", "example", "format", "mariadb-connector"]
_PROBES = ["1.0", "5.6a0", "dog", "freebsd", "literally any string can go here", "linux", "3.3"]


def _environments() -> list[dict[str, str]]:
    base = default_environment()
    environments = []
    for index, ((short, full), platform) in enumerate(
        (python, platform) for python in _PYTHONS for platform in _PLATFORMS
    ):
        sys_platform, os_name, system, machine, implementation, python_implementation = platform
        environment = dict(base)
        environment.update(
            python_version=short,
            python_full_version=full,
            implementation_version=full,
            sys_platform=sys_platform,
            os_name=os_name,
            platform_system=system,
            platform_machine=machine,
            implementation_name=implementation,
            platform_python_implementation=python_implementation,
            platform_release="6.1.0",
            platform_version="#1 SMP",
            extra=_EXTRAS[index % len(_EXTRAS)],
        )
        environments.append(environment)
    for index, probe in enumerate(_PROBES):
        environment = dict(base)
        for key in environment:
            if key not in ("python_version", "python_full_version", "implementation_version"):
                environment[key] = probe
        environment["extra"] = _EXTRAS[index % len(_EXTRAS)]
        environments.append(environment)
    return environments


ENVIRONMENTS = _environments()


def marker_table(text: str | None) -> str | None:
    """The marker's truth table over ENVIRONMENTS, or `unparsable: ...`."""
    if text is None:
        return None
    try:
        marker = Marker(text)
    except Exception as error:  # noqa: BLE001 - any refusal is an answer
        return f"unparsable: {error}"
    cells = []
    for environment in ENVIRONMENTS:
        try:
            cells.append("T" if marker.evaluate(dict(environment)) else "F")
        except Exception:  # noqa: BLE001
            cells.append("E")
    return "".join(cells)


def specifier_clauses(text: str | None) -> list[str]:
    """A specifier as the sorted set of its clauses, each version canonical."""
    if not text:
        return []
    try:
        specifiers = SpecifierSet(text)
    except Exception as error:  # noqa: BLE001
        return [f"unparsable: {error}"]
    clauses = set()
    for specifier in specifiers:
        operator, version = specifier.operator, specifier.version
        if operator == "===":
            clauses.add(f"==={version}")
        elif version.endswith(".*"):
            clauses.add(f"{operator}{canonicalize_version(version[:-2], strip_trailing_zero=False)}.*")
        else:
            strip = operator != "~="
            clauses.add(f"{operator}{canonicalize_version(version, strip_trailing_zero=strip)}")
    return sorted(clauses)


def canonical_url(text: str | None, directory: str) -> str | None:
    """A URL for comparison; a path becomes pip's file URL of its absolute path."""
    if text is None:
        return None
    parts = urllib.parse.urlsplit(text)
    if not parts.scheme or (len(parts.scheme) == 1 and os.name == "nt"):
        path = os.path.normpath(os.path.join(directory, text))
        return urllib.parse.unquote(path_to_url(path))
    path = parts.path
    if parts.netloc and not path and parts.scheme in ("http", "https", "file"):
        path = "/"
    unsplit = urllib.parse.urlunsplit(
        (parts.scheme.lower(), parts.netloc, path, parts.query, parts.fragment)
    )
    # urlunsplit drops an empty `?` or `#`; so does the url crate.
    return urllib.parse.unquote(unsplit)


def _flatten(dest: str, value, out: list[list]) -> None:
    if isinstance(value, (list, tuple)):
        for item in value:
            _flatten(dest, item, out)
    elif isinstance(value, dict):
        for key in sorted(value):
            _flatten(dest, f"{key}={value[key]}", out)
    elif isinstance(value, (set, frozenset)):
        for item in sorted(value):
            _flatten(dest, item, out)
    elif hasattr(value, "__slots__") or hasattr(value, "__dict__"):
        # FormatControl, ReleaseControl: their sets, by name.
        names = getattr(value, "__slots__", None) or sorted(vars(value))
        for name in names:
            _flatten(f"{dest}.{name}", getattr(value, name), out)
    else:
        out.append([dest, value])


def option_facts(opts) -> list[list]:
    """Every option an optparse result sets, as sorted (destination, value) facts."""
    parser = build_parser()
    defaults = parser.get_default_values()
    defaults.index_url = None
    facts: list[list] = []
    for dest, value in sorted(vars(opts).items()):
        default = getattr(defaults, dest, None)
        if dest == "hashes" and isinstance(value, dict):
            for algorithm in sorted(value):
                for digest in value[algorithm]:
                    facts.append(["hashes", f"{algorithm}:{digest}"])
            continue
        mine: list[list] = []
        theirs: list[list] = []
        _flatten(dest, value, mine)
        _flatten(dest, default, theirs)
        facts.extend(fact for fact in mine if fact not in theirs)
    return sorted(facts, key=json.dumps)


def joined(text: str) -> str:
    """An option as hashpin reports it (its source, continuations and all), with each `\\`
    and the line break after it removed, as pip's `join_lines` does."""
    return "".join(
        line[:-1] if line.endswith("\\") else line for line in text.splitlines()
    )


def parse_option_words(words: list[str]) -> list[list]:
    """Facts for option words, as pip's requirements-file option parser reads them."""
    parser = build_parser()
    defaults = parser.get_default_values()
    defaults.index_url = None
    try:
        opts, rest = parser.parse_args(words, defaults)
    except BaseException as error:  # noqa: BLE001 - optparse raises through parser.exit
        return [["unparsable", " ".join(words), str(error)]]
    facts = option_facts(opts)
    facts.extend(["argument", word] for word in rest)
    return facts


class RecordingParser(RequirementsFileParser):
    """pip's parser, also keeping the `-r`/`-c` lines it consumes while recursing."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.include_lines = []

    def _parse_file(self, filename, constraint):
        for line in super()._parse_file(filename, constraint):
            if line.requirement is None and (line.opts.requirements or line.opts.constraints):
                self.include_lines.append(line)
            yield line


def relative(path: str, directory: str) -> str:
    return os.path.relpath(os.path.abspath(os.path.join(directory, path)), directory)


def pip_read(case: dict) -> dict:
    directory = case["dir"]
    requirements, options = [], []
    session = PipSession()
    try:
        for root in case["roots"]:
            parser = RecordingParser(session, get_line_parser(None))
            for line in parser.parse(root, constraint=False):
                where = {"file": relative(line.filename, directory), "line": line.lineno}
                if line.is_editable or line.requirement is None:
                    for fact in option_facts(line.opts):
                        options.append({**where, "fact": fact})
                parsed = handle_line(line, options=None, finder=None, session=session)
                if parsed is None:
                    continue
                ireq = install_req_from_parsed_requirement(parsed, user_supplied=True)
                if parsed.is_editable:
                    continue
                requirements.append(pip_requirement(where, parsed, ireq, directory))
            for line in parser.include_lines:
                where = {"file": relative(line.filename, directory), "line": line.lineno}
                for fact in option_facts(line.opts):
                    options.append({**where, "fact": fact})
    except Exception as error:  # noqa: BLE001 - what pip refuses is the answer
        message = f"{type(error).__name__}: {error}".strip()
        return {"accepted": False, "error": message, "requirements": [], "options": []}
    return {
        "accepted": True,
        "error": None,
        "requirements": sorted(requirements, key=where_first),
        "options": sorted(unique(options), key=where_first),
    }


def unique(items: list[dict]) -> list[dict]:
    """Each (file, line, fact) once: a flag given twice on one line is one option to pip."""
    seen, out = set(), []
    for item in items:
        key = json.dumps(item, sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def where_first(item: dict):
    """File order: the order pip and hashpin meet requirements in differs across includes."""
    return (item["file"], item["line"], json.dumps(item, sort_keys=True))


def pip_requirement(where: dict, parsed, ireq, directory: str) -> dict:
    req = ireq.req
    link = ireq.link
    # A bare URL or path: pip names it after its wheel filename or `#egg=` fragment.
    named_from_link = link is not None and (req is None or req.url is None)
    hashes = []
    for algorithm, digests in sorted((parsed.options or {}).get("hashes", {}).items()):
        hashes.extend(f"{algorithm}:{digest}" for digest in digests)
    other = {k: v for k, v in (parsed.options or {}).items() if k != "hashes"}
    option_list: list[list] = []
    for dest, value in sorted(other.items()):
        _flatten(dest, value, option_list)
    pin = exact_pin(req) if link is None else None
    return {
        **where,
        "name": canonicalize_name(req.name) if req is not None else None,
        "named_from_link": named_from_link,
        # For locking: the version as an sdist filename writes it, and the release it names
        # (`1.0` and `1.0.0` are one release).
        "pin": pin,
        "release": canonicalize_version(pin) if pin else None,
        "extras": sorted(canonicalize_name(extra) for extra in ireq.extras),
        "specifier": specifier_clauses(str(req.specifier)) if req is not None else [],
        "marker": marker_table(str(ireq.markers)) if ireq.markers is not None else None,
        "url": canonical_url(link.url, directory) if link is not None else None,
        "hashes": sorted(set(hashes)),
        "options": sorted(option_list, key=json.dumps),
        "constraint": bool(parsed.constraint),
    }


def exact_pin(req) -> str | None:
    """The version a requirement pins with `==` alone (normalized), if it does."""
    if req is None:
        return None
    specifiers = list(req.specifier)
    if not specifiers or any(
        s.operator != "==" or s.version.endswith(".*") for s in specifiers
    ):
        return None
    try:
        versions = {Version(s.version) for s in specifiers}
    except InvalidVersion:
        return None
    return str(versions.pop()) if len(versions) == 1 else None


def hashpin_read(case: dict) -> dict:
    """hashpin's report, in the shape of `pip_read`."""
    directory = case["dir"]
    report = case["hashpin"]
    if report["errors"]:
        first = report["errors"][0]
        message = f"{first['file']}:{first['line']}:{first['column']}: {first['message']}"
        return {"accepted": False, "error": message, "requirements": [], "options": []}
    requirements = []
    for entry in report["requirements"]:
        where = {"file": relative(entry["file"], directory), "line": entry["line"]}
        # One parse of all of them, as pip parses the line: a key given twice to
        # `--config-settings` becomes a list.
        words: list[str] = []
        for text in entry["options"]:
            try:
                words.extend(shlex.split(joined(text)))
            except ValueError:
                words.append(text)
        option_list = parse_option_words(words) if words else []
        requirements.append(
            {
                **where,
                "name": canonicalize_name(entry["name"]) if entry["name"] else None,
                "named_from_link": False,
                "pin": None,
                "release": None,
                "extras": sorted(canonicalize_name(extra) for extra in entry["extras"]),
                "specifier": specifier_clauses(entry["specifier"]),
                "marker": marker_table(entry["marker"]),
                "url": canonical_url(entry["url"], directory),
                "hashes": sorted(set(entry["hashes"])),
                "options": sorted(option_list, key=json.dumps),
                "constraint": bool(entry["constraint"]),
            }
        )
    options = []
    for option in report["options"]:
        where = {"file": relative(option["file"], directory), "line": option["line"]}
        if option["option"] == "(other)":
            try:
                words = shlex.split(option["value"] or "")
            except ValueError:
                words = [option["value"] or ""]
        else:
            words = [option["option"]]
            if option["value"] is not None:
                words.append(option["value"])
        for fact in parse_option_words(words):
            options.append({**where, "fact": fact})
    return {
        "accepted": True,
        "error": None,
        "requirements": sorted(requirements, key=where_first),
        "options": sorted(unique(options), key=where_first),
    }


def main() -> None:
    document = json.load(sys.stdin)
    saved_directory = os.getcwd()
    for case in document["cases"]:
        saved = {name: os.environ.get(name) for name in case.get("env", {})}
        os.environ.update(case.get("env", {}))
        os.chdir(case["dir"])
        try:
            result = {"key": case["key"], "pip": pip_read(case)}
            result["hashpin"] = hashpin_read(case) if case.get("hashpin") else None
        except Exception:  # noqa: BLE001 - a bug here must not hide behind a refusal
            result = {"key": case["key"], "crash": traceback.format_exc()}
        finally:
            os.chdir(saved_directory)
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
