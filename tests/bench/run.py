#!/usr/bin/env python3
"""hashpin performance benchmark (issue 12): hashpin against a download floor and its peers.

One run generates a seeded corpus of real-format wheels and sdists in a private temporary
directory, serves it on 127.0.0.1 as a PEP 503/691 index (half the projects declare sha256
digests and PEP 658 metadata like PyPI, half declare nothing like a plain static mirror) plus
PyPI's legacy JSON API (/pypi/<name>/json, /pypi/<name>/<version>/json), then times every
contender round by round (interleaved, so drift on a shared machine hits all alike) and prints
one Markdown table, the issue's targets with PASS/FAIL, and the exact commands run. With
--real the corpus is instead every file of 8 real PyPI releases (the kind of corpus the issue
measured: ~110 files, ~15 MB, one requirements file), fetched once from PyPI into the work dir.

Contenders: curl floor (every file, --parallel 16, one curl per requirements file as the lockers
run, and all in one curl for reference), listings floor (each file's /simple/<p>/ JSON pages),
hashpin lock (first lock, re-lock, re-lock --no-cache), hashpin check, hashpin verify, hashpin
hash (all files, largest file), uv pip compile, pip-compile, hashin, pip hash, openssl dgst.
Projects have several versions, and no tool takes two versions of one project in one run (hashpin
refuses them even across files), so the pins are split into one requirements file per version
slot and every locker runs once per file; its time is the sum. Bytes and requests come from the
server's own counters; "hashes" counts the --hash lines a locker wrote (all files: one each).

Then a scale series: N distinct projects, one tiny sdist each in a find-links directory,
`hashpin lock --no-index --find-links DIR` first (fresh cache) and again, with time per pin and
peak RSS (median of --scale-rounds), plotted log-log into an SVG.

Peers (uv, pip-tools, hashin) are installed from PyPI at pinned versions into a venv cached under
the work dir, with the machine's pip settings. Every timed child runs with pip.conf disabled
(PIP_CONFIG_FILE=/dev/null), no PIP_*/UV_*/HASHPIN_*/proxy variables, and its own process group.
Everything is removed on exit, Ctrl-C or SIGTERM; children are killed by process group.

Targets checked: first lock <= 1.3x the curl floor and faster than uv; re-lock <= 1.2x the
listings floor (for the projects whose index declares digests: the others must be downloaded); check <= 1.3x the curl floor; `hashpin hash` of one large file >= 95% of openssl's
throughput, and of many files >= 1.9x openssl's one-file throughput (2 cores); `lock --resolve`
with uv as the resolver <= 1.5x `uv pip compile --generate-hashes` resolving the same inputs (the
first lock's uv row runs with --no-deps, as a lock of pinned files follows no dependencies).

Examples:
  tests/bench/run.py                                      # build hashpin, 300 files, 5 rounds, 100..10,000 pins
  tests/bench/run.py --quick --rounds 2 --scale 100,1000  # a ~30 s smoke run
  tests/bench/run.py --real --latency 20 --scale none     # real PyPI files from an index 20 ms away
  HASHPIN=target/release/hashpin tests/bench/run.py --full --json results.json
"""
import argparse, base64, hashlib, io, json, math, os, platform, random, re, shlex, shutil, signal
import statistics, subprocess, sys, tarfile, tempfile, threading, time, urllib.request, zipfile
from pathlib import Path

PEERS = {"pip": "26.3", "uv": "0.13.9", "pip-tools": "7.6.2", "hashin": "1.0.5"}
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
REPO = Path(__file__).resolve().parents[2]
TIME = shutil.which("time", path="/usr/bin:/bin")
MiB = 1 << 20
CHILDREN = set()  # process groups still running, killed on any exit


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


# ---------------------------------------------------------------- corpus
def corpus_plan(quick, seed):
    """Sizes are log-uniform (most real artifacts are small) plus a few large wheels, so the
    default totals ~250 MB and still has a 50 MiB file to hash."""
    rng = random.Random(seed)
    nproj, versions = (5, ["1.0.0", "2.0.0"]) if quick else (30, ["1.0.0", "1.1.0", "2.0.0"])
    cap, large = (1 * MiB, [10, 5]) if quick else (4 * MiB, [50, 30, 20, 10])
    files = []
    for i in range(nproj):
        # Every third project is "binary" (one wheel per platform, like numpy), the rest pure.
        tags = (["cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-win_amd64", "cp312-cp312-manylinux_2_17_x86_64",
                 "cp312-cp312-win_amd64", "cp311-cp311-macosx_11_0_arm64"] if i % 3 == 0 else ["py3-none-any"])
        for slot, ver in enumerate(versions):
            for tag in [None] + tags:
                files.append(dict(project=f"bench-proj-{i:02d}", version=ver, slot=slot, tag=tag,
                                  size=int(1024 * (cap / 1024) ** rng.random()), declares=i % 2 == 0))
    for f, mib in zip(rng.sample([f for f in files if f["tag"]], len(large)), large):
        f["size"] = mib * MiB
    return files, len(versions)


def make_wheel(path, name, ver, tag, payload):
    mod, b64 = name.replace("-", "_"), lambda d: base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b"=").decode()
    di = f"{mod}-{ver}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {ver}\nSummary: hashpin bench\n".encode()
    wheel = f"Wheel-Version: 1.0\nGenerator: hashpin-bench\nRoot-Is-Purelib: {str(tag.startswith('py3')).lower()}\nTag: {tag}\n"
    members = [(f"{mod}/__init__.py", b""), (f"{mod}/_data.bin", payload), (f"{di}/METADATA", metadata),
               (f"{di}/WHEEL", wheel.encode())]
    record = "".join(f"{n},sha256={b64(d)},{len(d)}\n" for n, d in members) + f"{di}/RECORD,,\n"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:  # stored: random data, fast to make
        for n, d in members + [(f"{di}/RECORD", record.encode())]:
            z.writestr(n, d)
    return metadata


def make_sdist(path, name, ver, payload):
    mod = name.replace("-", "_")
    pkginfo = f"Metadata-Version: 2.2\nName: {name}\nVersion: {ver}\nSummary: hashpin bench\n"
    with tarfile.open(path, "w:gz", compresslevel=1) as t:
        for n, d in [("PKG-INFO", pkginfo.encode()), (f"{mod}/_data.bin", payload),
                     ("pyproject.toml", f'[project]\nname = "{name}"\nversion = "{ver}"\n'.encode())]:
            ti = tarfile.TarInfo(f"{mod}-{ver}/{n}")
            ti.size, ti.mtime = len(d), 1700000000
            t.addfile(ti, io.BytesIO(d))


def build_corpus(root, quick, seed):
    files, nslots = corpus_plan(quick, seed)
    rng = random.Random(seed + 1)
    for sub in ("files", "meta"):
        (root / sub).mkdir()
    for f in files:
        payload = rng.randbytes(max(0, f["size"] - 600))  # archive overhead keeps the size near plan
        mod = f["project"].replace("-", "_")
        if f["tag"]:
            f["filename"] = f"{mod}-{f['version']}-{f['tag']}.whl"
            meta = make_wheel(root / "files" / f["filename"], f["project"], f["version"], f["tag"], payload)
            (root / "meta" / (f["filename"] + ".metadata")).write_bytes(meta)
            f["metadata_sha256"] = hashlib.sha256(meta).hexdigest()
        else:
            f["filename"] = f"{mod}-{f['version']}.tar.gz"
            make_sdist(root / "files" / f["filename"], f["project"], f["version"], payload)
        data = (root / "files" / f["filename"]).read_bytes()
        f["size"], f["sha256"] = len(data), hashlib.sha256(data).hexdigest()
    (root / "manifest.json").write_text(json.dumps(files))
    return files, nslots


# The issue's own kind of corpus: every file of a few real PyPI releases (a web app's usual
# dependencies, one with a hundred platform wheels), fetched once from PyPI into the work dir,
# checked against PyPI's sha256, and served like PyPI (sha256 and PEP 658 metadata declared).
REAL = ["requests==2.32.3", "urllib3==2.2.3", "idna==3.10", "certifi==2024.8.30",
        "charset-normalizer==3.4.0", "six==1.16.0", "packaging==24.1", "attrs==24.2.0"]


def build_real_corpus(root, store):
    store.mkdir(parents=True, exist_ok=True)
    for sub in ("files", "meta"):
        (root / sub).mkdir()
    files = []
    for pin in REAL:
        name, ver = pin.split("==")
        request = urllib.request.Request(f"https://pypi.org/simple/{name}/", headers={"Accept": JSON_TYPE})
        with urllib.request.urlopen(request, timeout=60) as r:
            listing = json.load(r)
        def version_of(fn):
            return fn.split("-")[1] if fn.endswith(".whl") else re.sub(r"\.(tar\.gz|zip)$", "", fn).rsplit("-", 1)[-1]
        for u in (u for u in listing["files"] if version_of(u["filename"]) == ver):
            fn, sha = u["filename"], u["hashes"]["sha256"]
            if "/" in fn or fn.startswith("."):
                raise SystemExit(f"refusing PyPI filename {fn!r}")
            kept = store / fn
            if not kept.exists() or hashlib.sha256(kept.read_bytes()).hexdigest() != sha:
                with urllib.request.urlopen(u["url"], timeout=120) as r:
                    data = r.read()
                if hashlib.sha256(data).hexdigest() != sha:
                    raise SystemExit(f"{fn}: PyPI served bytes whose sha256 is not the one it declares")
                part = store / (fn + ".part")
                part.write_bytes(data)
                part.replace(kept)
            shutil.copyfile(kept, root / "files" / fn)
            f = dict(project=normalize(name), version=ver, slot=0, size=kept.stat().st_size, declares=True,
                     filename=fn, sha256=sha, tag="-".join(fn[:-4].split("-")[-3:]) if fn.endswith(".whl") else None)
            if f["tag"]:
                with zipfile.ZipFile(kept) as z:
                    meta = next((z.read(n) for n in z.namelist() if n.endswith(".dist-info/METADATA")), None)
                if meta is not None:
                    (root / "meta" / (fn + ".metadata")).write_bytes(meta)
                    f["metadata_sha256"] = hashlib.sha256(meta).hexdigest()
            files.append(f)
    (root / "manifest.json").write_text(json.dumps(files))
    return files, 1


# ---------------------------------------------------------------- index server (child process)
def build_pages(files, base):
    """path -> (content type, body), built once: the server only looks pages up."""
    pages, by_project = {}, {}
    for f in files:
        by_project.setdefault(f["project"], []).append(f)
    pages["/simple/"] = ("text/html", "".join(f'<a href="{n}/">{n}</a>\n' for n in sorted(by_project)).encode())
    for name, fs in by_project.items():
        declares = fs[0]["declares"]  # PyPI-like (digests and PEP 658 metadata), or a bare mirror
        jfiles, links, legacy = [], [], {}
        for f in fs:
            url, digest = f"{base}/files/{f['filename']}", {"sha256": f["sha256"]} if declares else {}
            jf, attrs = {"filename": f["filename"], "url": url, "size": f["size"], "hashes": digest}, ""
            if declares and "metadata_sha256" in f:
                jf["core-metadata"] = jf["dist-info-metadata"] = {"sha256": f["metadata_sha256"]}
                attrs = "".join(f' data-{a}-metadata="sha256={f["metadata_sha256"]}"' for a in ("core", "dist-info"))
            jfiles.append(jf)
            links.append(f'<a href="{url}{"#sha256=" + f["sha256"] if declares else ""}"{attrs}>{f["filename"]}</a><br/>\n')
            legacy.setdefault(f["version"], []).append({
                "filename": f["filename"], "url": url, "size": f["size"], "digests": digest,
                "packagetype": "bdist_wheel" if f["tag"] else "sdist", "requires_python": None, "yanked": False,
                "python_version": f["tag"].split("-")[0] if f["tag"] else "source"})
        versions = sorted(legacy)
        pages[f"/simple/{name}/"] = ("text/html", (f"<!DOCTYPE html><html><body><h1>Links for {name}</h1>\n"
                                                   + "".join(links) + "</body></html>\n").encode())
        pages[f"/simple/{name}/#json"] = (JSON_TYPE, json.dumps({
            "meta": {"api-version": "1.1"}, "name": name, "versions": versions, "files": jfiles}).encode())
        pages[f"/pypi/{name}/json"] = ("application/json", json.dumps({
            "info": {"name": name, "version": versions[-1]}, "releases": legacy, "urls": legacy[versions[-1]]}).encode())
        for v in versions:
            pages[f"/pypi/{name}/{v}/json"] = ("application/json", json.dumps({
                "info": {"name": name, "version": v}, "releases": {}, "urls": legacy[v]}).encode())
    return pages


def serve(root, latency_ms=0):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    root, lock, pages = Path(root), threading.Lock(), {}
    latency = float(latency_ms) / 1000
    stats = {"requests": 0, "bytes": 0, "kinds": {}}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real indexes and clients use
        # Headers and body go out in two writes: with Nagle's algorithm the body waits for the
        # client's delayed ACK (40 ms) on a kept-alive connection, which no real index does.
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def reply(self, code, ctype, length, body=b"", fileobj=None, kind=None):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(length))
            self.end_headers()
            sent = 0
            if self.command != "HEAD":  # sendfile: the server must not be the bottleneck
                sent = self.connection.sendfile(fileobj) if fileobj else self.wfile.write(body)
            if kind:
                with lock:
                    stats["requests"] += 1
                    stats["bytes"] += sent
                    stats["kinds"][kind] = stats["kinds"].get(kind, 0) + 1

        def do_GET(self):
            path, _, query = self.path.partition("?")
            if path == "/_stats":  # the benchmark's own counter, not counted
                with lock:
                    body = json.dumps(stats).encode()
                    if query == "reset=1":
                        stats.update(requests=0, bytes=0, kinds={})
                return self.reply(200, "application/json", len(body), body)
            if latency:  # a round trip to a distant index, before the first byte of each answer
                time.sleep(latency)
            m = re.fullmatch(r"/(simple|pypi)/([^/]+)/(.*)", path)
            if m:
                path = f"/{m[1]}/{normalize(m[2])}/{m[3]}"
                if m[1] == "simple" and JSON_TYPE in self.headers.get("Accept", "") and path + "#json" in pages:
                    path += "#json"
            if path in pages:
                ctype, body = pages[path]
                return self.reply(200, ctype, len(body), body, kind="simple" if path.startswith("/simple") else "json-api")
            m = re.fullmatch(r"/files/([^/]+)", path)
            p = m and root / ("meta" if m[1].endswith(".metadata") else "files") / m[1]
            if p and ".." not in m[1] and p.is_file():
                with open(p, "rb") as fh:
                    return self.reply(200, "application/octet-stream", p.stat().st_size, fileobj=fh,
                                      kind="metadata" if m[1].endswith(".metadata") else "files")
            self.reply(404, "text/plain", 10, b"not found\n", kind="404")

        do_HEAD = do_GET

    ThreadingHTTPServer.request_queue_size = 128  # 16 parallel curl connections must not be refused
    ThreadingHTTPServer.daemon_threads = True
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    pages.update(build_pages(json.loads((root / "manifest.json").read_text()), f"http://127.0.0.1:{httpd.server_address[1]}"))
    ppid = os.getppid()

    def orphan_watch():  # if the benchmark is SIGKILLed, do not outlive it
        while os.getppid() == ppid:
            time.sleep(1)
        os._exit(0)
    threading.Thread(target=orphan_watch, daemon=True).start()
    print(httpd.server_address[1], flush=True)
    httpd.serve_forever()


def fetch_all(config):
    """The floor when curl is missing: a 16-thread urllib downloader, run as a child."""
    from concurrent.futures import ThreadPoolExecutor
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def one(line):
        url, out = line.split("\t")
        req = urllib.request.Request(url, headers={"Accept": f"{JSON_TYPE}, text/html;q=0.1"})  # as curl's listings floor
        with opener.open(req) as r, open(out, "wb") as fh:
            shutil.copyfileobj(r, fh, MiB)
    with ThreadPoolExecutor(16) as ex:
        list(ex.map(one, Path(config).read_text().splitlines()))


def server_stats(url, reset=False):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{url}/_stats" + ("?reset=1" if reset else "")) as r:
        return json.load(r)


# ---------------------------------------------------------------- running children
def killgroup(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_timed(argvs, env, cwd, timeout):
    """Run commands one after another: wall time of all, peak RSS of the largest. Peak RSS comes
    from /usr/bin/time where present: wait4's ru_maxrss of a child forked from this Python counts
    this Python's own pages (Linux keeps the pre-exec high-water mark), ~50 MiB of noise."""
    res, t0 = {"seconds": None, "rc": 0, "maxrss_kib": 0, "timeout": False}, time.perf_counter()
    for i, argv in enumerate(argvs):
        out, err, rssf = (Path(cwd) / f"log-{k}{i}.txt" for k in ("out", "err", "rss"))
        with open(out, "wb") as o, open(err, "wb") as e:
            p = subprocess.Popen(([TIME, "-f", "%M", "-o", str(rssf)] if TIME else []) + argv, env=env, cwd=cwd,
                                 stdin=subprocess.DEVNULL, stdout=o, stderr=e, start_new_session=True)
        CHILDREN.add(p.pid)
        fired = threading.Event()
        timer = threading.Timer(max(timeout - (time.perf_counter() - t0), 0.01), lambda: (fired.set(), killgroup(p.pid)))
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        CHILDREN.discard(p.pid)
        p.returncode = os.waitstatus_to_exitcode(status)
        rss = rssf.read_text().split() if TIME and rssf.exists() else []
        res["maxrss_kib"] = max(res["maxrss_kib"], int(rss[-1]) if rss and rss[-1].isdigit() else ru.ru_maxrss)
        if fired.is_set():  # /usr/bin/time was killed too: no peak RSS
            return dict(res, timeout=True, rc=None, maxrss_kib=None)
        if p.returncode:
            tail = err.read_text(errors="replace")[-1500:] + out.read_text(errors="replace")[-500:]
            return dict(res, rc=p.returncode, stderr=tail)
    return dict(res, seconds=time.perf_counter() - t0)


def loopback_env(**extra):
    """This machine's pip settings point at local wheels and certificates: none may leak in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "HASHPIN_")) and "proxy" not in k.lower()}
    env.update(PIP_CONFIG_FILE="/dev/null", PIP_DISABLE_PIP_VERSION_CHECK="1", NO_COLOR="1",
               NO_PROXY="127.0.0.1,localhost", UV_NO_PROGRESS="1", UV_PYTHON_DOWNLOADS="never")
    env.update({k: str(v) for k, v in extra.items()})
    return env


# ---------------------------------------------------------------- setup
def get_hashpin(args):
    if args.hashpin or os.environ.get("HASHPIN"):
        return Path(args.hashpin or os.environ["HASHPIN"]).resolve()
    print("building hashpin (cargo build --release --locked) ...", file=sys.stderr)
    subprocess.run(["cargo", "build", "--release", "--locked"], cwd=REPO, check=True)
    return Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target") / "release" / "hashpin"


def get_peers(args):
    """A venv with the pinned peers, cached by versions; installed with the machine's own pip
    settings (real PyPI), unlike the timed runs."""
    venv = args.work_dir / f"peers-venv-{hashlib.sha256(json.dumps([PEERS, sys.version]).encode()).hexdigest()[:12]}"
    if not (venv / "ok").exists():
        shutil.rmtree(venv, ignore_errors=True)
        print(f"installing peers into {venv} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin/python"), "-m", "pip", "install", "-q"] + [f"{k}=={v}" for k, v in PEERS.items()], check=True)
        (venv / "ok").write_text(json.dumps(PEERS))
    return venv


def machine(tmp):
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    best, fstype = "", "?"
    for line in open("/proc/mounts"):
        dev, mnt, fs = line.split()[:3]
        if str(Path(tmp).resolve()).startswith(mnt) and len(mnt) > len(best):
            best, fstype = mnt, f"{fs} ({dev} on {mnt})"
    mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "0")
    return {"nproc": len(os.sched_getaffinity(0)), "cpu": cpu, "kernel": platform.release(),
            "memory_gib": round(int(mem) / MiB, 1), "tmp_fs": fstype, "python": platform.python_version(),
            "loadavg_at_start": os.getloadavg()[0]}


# ---------------------------------------------------------------- contenders
def contenders(ctx):
    """Each: key, label, floor key, note, prepare(dir) -> (argvs, env), and whether it needs the
    first lock's files (kept in ctx['locked']) and cache (ctx['round'])."""
    H, url, simple, tmp, slots = str(ctx["hashpin"]), ctx["url"], ctx["url"] + "/simple/", ctx["tmp"], ctx["slots"]
    path = lambda f: str(tmp / "corpus/files" / f["filename"])
    allfiles, largest = [path(f) for f in ctx["files"]], max(ctx["files"], key=lambda f: f["size"])
    wheel = max((f for f in ctx["files"] if f["tag"]), key=lambda f: f["size"])
    C = []

    def add(key, label, floor, note, prepare, needs_lock=False):
        C.append(dict(key=key, label=label, floor=floor, note=note, prepare=prepare, needs_lock=needs_lock))

    def curl(d, runs, headers=()):
        """One fetcher process per list of (url, output) pairs, run one after the other."""
        argvs = []
        for n, pairs in enumerate(runs):
            cfg = d / f"fetch-{n}.cfg"
            if not ctx["curl"]:
                cfg.write_text("".join(f"{u}\t{o}\n" for u, o in pairs))
                argvs.append([sys.executable, __file__, "--_fetch", str(cfg)])
                continue
            cfg.write_text("".join(f'url = "{u}"\noutput = "{o}"\n' for u, o in pairs))
            argvs.append([ctx["curl"], *headers, "--parallel", "--parallel-max", "16", "--fail", "-sS", "-K", str(cfg)])
        return argvs, loopback_env()

    # The lockers run once per requirements file (one per version slot), so the floors do the
    # same: one curl per file, fetching what that run needs. The all-in-one curl is shown too.
    nslots = len(slots)
    slot_files = [[f for f in ctx["files"] if f["slot"] == s] for s in range(nslots)]
    slot_projects = [sorted({l.split("==")[0] for l in lines}) for lines in slots]
    fetcher = "curl" if ctx["curl"] else "python"
    add("floor", f"floor: {fetcher}, every file, one run per requirements file", None,
        "each file's artifacts, 16 at a time, no hashing",
        lambda d: curl(d, [[(f"{url}/files/{f['filename']}", d / f["filename"]) for f in fs] for fs in slot_files]))
    add("floor_one", f"{fetcher}, every file in one run", None, "every file once, 16 at a time, no hashing",
        lambda d: curl(d, [[(f"{url}/files/{f['filename']}", d / f["filename"]) for f in ctx["files"]]]))
    add("listings", "floor: listings only, one run per requirements file", None, "each file's /simple/<project>/ JSON pages",
        lambda d: curl(d, [[(f"{simple}{p}/", d / f"{p}-{s}.json") for p in ps] for s, ps in enumerate(slot_projects)],
                       ["-H", f"Accept: {JSON_TYPE}"]))

    def reqs(d, ext=".txt"):  # fresh unhashed copies of the per-version requirements files
        for s, lines in enumerate(slots):
            (d / f"requirements-{s + 1}{ext}").write_text("".join(l + "\n" for l in lines))
        return [f"requirements-{s + 1}{ext}" for s in range(len(slots))]

    def locked(d):
        for p in ctx["locked"].iterdir():
            shutil.copy(p, d / p.name)
        return sorted(p.name for p in ctx["locked"].iterdir())

    def first_lock(d):
        ctx["round"]["cache"] = d / "cache"
        return [[H, "lock", "--index-url", simple, p] for p in reqs(d)], loopback_env(HASHPIN_CACHE_DIR=d / "cache")
    add("lock", "hashpin lock (first)", "floor", "fresh cache, unhashed files", first_lock)
    add("relock", "hashpin lock (again, cache)", "listings", "nothing changed; first lock's cache",
        lambda d: ([[H, "lock", "--index-url", simple, p] for p in locked(d)],
                   loopback_env(HASHPIN_CACHE_DIR=ctx["round"]["cache"])), True)
    if ctx["no_cache"]:
        add("relock_nc", "hashpin lock --no-cache (again)", "listings", "nothing changed; no cache",
            lambda d: ([[H, "lock", "--no-cache", "--index-url", simple, p] for p in locked(d)],
                       loopback_env(HASHPIN_CACHE_DIR=d / "cache")), True)
    # The re-lock target is for an index that declares digests (PyPI): the same re-lock
    # on the declaring projects alone, against fetching their listings alone.
    declaring = sorted({f["project"] for f in ctx["files"] if f["declares"]})
    add("listings_declared", "floor: listings only (digests declared), one run per requirements file", None,
        f"each file's /simple/<project>/ JSON pages of the {len(declaring)} projects that declare digests",
        lambda d: curl(d, [[(f"{simple}{p}/", d / f"{p}-{s}.json") for p in ps if p in declaring]
                           for s, ps in enumerate(slot_projects)], ["-H", f"Accept: {JSON_TYPE}"]))

    def relock_declared(d):
        names = []
        for s, lines in enumerate(slots):  # locked first, untimed: only the re-lock is timed
            mine = [l for l in lines if l.split("==")[0] in declaring]
            (d / f"requirements-{s + 1}.txt").write_text("".join(l + "\n" for l in mine))
            names.append(f"requirements-{s + 1}.txt")
        env = loopback_env(HASHPIN_CACHE_DIR=d / "cache")
        for name in names:
            subprocess.run([H, "lock", "--index-url", simple, name], cwd=d, env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return [[H, "lock", "--index-url", simple, name] for name in names], env
    add("relock_declared", "hashpin lock (again, digests declared)", "listings_declared",
        "nothing changed; only the projects whose index declares digests", relock_declared)
    add("check", "hashpin check", "floor", "empty cache", lambda d: (
        [[H, "check", "--index-url", simple, p] for p in locked(d)], loopback_env(HASHPIN_CACHE_DIR=d / "cache")), True)
    add("verify", f"hashpin verify (one {wheel['size'] / MiB:.0f} MiB wheel)", None, "one local wheel against its lockfile",
        lambda d: ([[H, "verify", "--lock", str(ctx["locked"] / f"requirements-{wheel['slot'] + 1}.txt"), path(wheel),
                     f"{url}/files/{wheel['filename']}"]], loopback_env()), True)
    add("hash_all", "hashpin hash (all files)", "openssl_all", "page cache warm",
        lambda d: ([[H, "hash"] + allfiles], loopback_env()))
    add("hash_one", "hashpin hash (largest file)", "openssl_one", "", lambda d: ([[H, "hash", path(largest)]], loopback_env()))
    if ctx["openssl"]:
        add("openssl_one", "openssl dgst -sha256 (largest file)", None, "one thread",
            lambda d: ([[ctx["openssl"], "dgst", "-sha256", path(largest)]], loopback_env()))
        add("openssl_all", "openssl dgst -sha256 (all files)", None, "one thread",
            lambda d: ([[ctx["openssl"], "dgst", "-sha256"] + allfiles], loopback_env()))
    if not ctx["venv"]:
        return C
    b = ctx["venv"] / "bin"
    add("pip_hash", "pip hash (all files)", "openssl_all", "one thread",
        lambda d: ([[str(b / "python"), "-m", "pip", "hash"] + allfiles], loopback_env()))
    add("uv", "uv pip compile --generate-hashes --no-deps", "floor", "fresh UV_CACHE_DIR", lambda d: (
        [[str(b / "uv"), "pip", "compile", "--generate-hashes", "--no-deps", "--no-header", "--no-annotate", "--no-config",
          "--default-index", simple, "--python", str(b / "python"), "-o", f"out-{i}.txt", p]
         for i, p in enumerate(reqs(d, ".in"), 1)], loopback_env(UV_CACHE_DIR=d / "cache")))
    # The same resolution `lock --resolve` asks of uv: dependencies followed, not `--no-deps`.
    add("uv_resolve", "uv pip compile --generate-hashes (resolving)", "floor", "fresh UV_CACHE_DIR; follows dependencies", lambda d: (
        [[str(b / "uv"), "pip", "compile", "--generate-hashes", "--no-header", "--no-annotate", "--no-config",
          "--default-index", simple, "--python", str(b / "python"), "-o", f"out-{i}.txt", p]
         for i, p in enumerate(reqs(d, ".in"), 1)], loopback_env(UV_CACHE_DIR=d / "cache")))
    add("resolve_uv", "hashpin lock --resolve --resolver uv", "uv_resolve", "fresh caches; uv picks, hashpin downloads", lambda d: (
        [[H, "lock", "--resolve", "--resolver", "uv", "--python", str(b / "python"), "--index-url", simple,
          "-o", f"out-{i}.txt", p] for i, p in enumerate(reqs(d, ".in"), 1)],
        loopback_env(UV_CACHE_DIR=d / "uvcache", HASHPIN_CACHE_DIR=d / "cache", HASHPIN_UV=b / "uv")))
    add("pip_compile", "pip-compile --generate-hashes", "floor", "fresh caches", lambda d: (
        [[str(b / "pip-compile"), "--generate-hashes", "--no-header", "--no-annotate", "--no-emit-index-url",
          "--strip-extras", "--no-config", "--cache-dir", "cache", "--index-url", simple, "-o", f"out-{i}.txt", p]
         for i, p in enumerate(reqs(d, ".in"), 1)], loopback_env(PIP_CACHE_DIR=d / "pipcache")))

    def hashin(d):
        (d / "tmp").mkdir()  # hashin keeps downloads in $TMPDIR by filename: a fresh one each round
        for i in range(1, len(slots) + 1):
            (d / f"out-{i}.txt").write_text("")
        return ([[str(b / "hashin"), "-r", f"out-{i}.txt", "--index-url", url + "/"] + lines
                 for i, lines in enumerate(slots, 1)], loopback_env(TMPDIR=d / "tmp"))
    add("hashin", "hashin", "floor", "fresh TMPDIR", hashin)
    return C


def count_hashes(d, patterns=("requirements-*.txt", "out-*.txt")):
    """--hash lines in what a locker wrote: a tool that skipped files shows here."""
    return sum(len(re.findall(r"--hash=sha256:[0-9a-f]{64}", p.read_text(errors="replace")))
               for pat in patterns for p in d.glob(pat))


def bench_rounds(ctx, args):
    C = contenders(ctx)
    results = {c["key"]: dict(label=c["label"], floor=c["floor"], note=c["note"], runs=[], errors=[]) for c in C}
    for r in range(args.rounds):
        rdir, ctx["round"] = ctx["tmp"] / f"round{r}", {}
        rdir.mkdir()
        for c in C:
            res, d = results[c["key"]], rdir / c["key"]
            if c["needs_lock"] and "cache" not in ctx["round"]:
                res["errors"].append("skipped: first lock failed")
                continue
            d.mkdir()
            argvs, env = c["prepare"](d)
            res.setdefault("commands", [[str(a) for a in argv] for argv in argvs])
            server_stats(ctx["url"], reset=True)
            out = run_timed(argvs, env, d, args.timeout)
            st = server_stats(ctx["url"])
            if out["seconds"] is None:
                res["errors"].append("timeout" if out["timeout"] else f"exit {out['rc']}")
                print(f"  round {r + 1}: {c['label']}: {res['errors'][-1]}\n{out.get('stderr', '')}", file=sys.stderr)
                if c["key"] == "lock":
                    ctx["round"].pop("cache", None)
                continue
            res["runs"].append(dict(out, requests=st["requests"], bytes=st["bytes"], kinds=st["kinds"], hashes=count_hashes(d)))
            print(f"  round {r + 1}: {c['label']}: {out['seconds']:.3f} s, {st['requests']} requests,"
                  f" {st['bytes'] / 1e6:.1f} MB", file=sys.stderr)
            if c["key"] == "lock" and "locked" not in ctx:
                ctx["locked"] = ctx["tmp"] / "locked"
                ctx["locked"].mkdir()
                for p in d.glob("requirements-*.txt"):
                    shutil.copy(p, ctx["locked"] / p.name)
            if c["key"] != "lock":  # the first lock's cache serves the re-lock; the rest add up over rounds
                shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(rdir, ignore_errors=True)
    for res in results.values():
        if res["runs"]:
            med = lambda k: int(statistics.median(x[k] for x in res["runs"]))
            res.update(median=statistics.median(x["seconds"] for x in res["runs"]), min=min(x["seconds"] for x in res["runs"]),
                       requests=med("requests"), bytes=med("bytes"), maxrss_kib=max(x["maxrss_kib"] for x in res["runs"]),
                       hashes=res["runs"][0]["hashes"], kinds=res["runs"][0]["kinds"])
    return results


# ---------------------------------------------------------------- scale series
def scale_series(ctx, args, sizes):
    rows, stop = [], False
    for n in sizes:
        if stop:  # a larger N would only take longer
            rows.append({"pins": n, **{k + "_summary": {"seconds": None, "timeout": False, "error": None} for k in ("lock", "relock")}})
            continue
        d = ctx["tmp"] / f"scale{n}"
        (d / "links").mkdir(parents=True)
        rng, t0 = random.Random(n), time.perf_counter()
        for i in range(1, n + 1):
            make_sdist(d / "links" / f"p{i:06d}-1.0.tar.gz", f"p{i:06d}", "1.0", rng.randbytes(256))
        print(f"scale {n}: sdists made in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        argv = [str(ctx["hashpin"]), "lock", "--no-index", "--find-links", str(d / "links"), "requirements.txt"]
        row = {"pins": n, "command": argv, "lock": [], "relock": []}
        for r in range(args.scale_rounds):
            (d / "requirements.txt").write_text("".join(f"p{i:06d}==1.0\n" for i in range(1, n + 1)))
            env = loopback_env(HASHPIN_CACHE_DIR=d / f"cache{r}")
            for key in ("lock", "relock"):
                res = run_timed([argv], env, d, args.timeout)
                res["hashes"] = count_hashes(d, ["requirements.txt"])
                row[key].append(res)
                what = f"{res['seconds']:.2f} s" if res["seconds"] is not None else (
                    f"timeout after {args.timeout:g} s" if res["timeout"] else f"exit {res['rc']}")
                rss = f", peak RSS {res['maxrss_kib'] / 1024:.1f} MiB" if res["maxrss_kib"] else ""
                print(f"scale {n} round {r + 1}: {key}: {what}, {res['hashes']} hashes{rss}\n{res.get('stderr', '')}".rstrip(),
                      file=sys.stderr)
                stop = stop or res["seconds"] is None
                if stop:
                    break
            shutil.rmtree(d / f"cache{r}", ignore_errors=True)
            if stop:
                break
        for key in ("lock", "relock"):
            ok = [x for x in row[key] if x["seconds"] is not None]
            failed = len(ok) < len(row[key])  # one timeout or error makes the point a failure, not a median
            row[key + "_summary"] = {"seconds": statistics.median(x["seconds"] for x in ok) if ok and not failed else None,
                                     "maxrss_kib": max((x["maxrss_kib"] for x in ok), default=None),
                                     "timeout": any(x["timeout"] for x in row[key]),
                                     "error": next((f"exit {x['rc']}" for x in row[key] if x["rc"]), None)}
        rows.append(row)
        shutil.rmtree(d, ignore_errors=True)
    return rows


def svg_plot(rows, path, timeout, caption):
    """Hand-written log-log plot; a timeout is drawn hollow at the timeout (the real time is larger)."""
    W, Hh, L, R, T, B = 680, 420, 70, 170, 40, 60
    series = [("lock", "#1f77b4", "first lock"), ("relock", "#ff7f0e", "re-lock, unchanged")]
    ys = [x["seconds"] or timeout for r in rows for k, _, _ in series for x in [r[k + "_summary"]]
          if x["seconds"] or x["timeout"]] or [1]
    x0, x1 = math.floor(math.log10(min(r["pins"] for r in rows))), math.ceil(math.log10(max(r["pins"] for r in rows)))
    y0, y1 = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
    x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)
    X = lambda v: L + (math.log10(v) - x0) / (x1 - x0) * (W - L - R)
    Y = lambda v: T + (y1 - math.log10(v)) / (y1 - y0) * (Hh - T - B)
    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{Hh}" font-family="sans-serif" font-size="12">',
         f'<rect width="{W}" height="{Hh}" fill="white"/>',
         f'<text x="{(L + W - R) / 2}" y="22" text-anchor="middle" font-size="14">hashpin lock, find-links directory</text>',
         f'<text x="8" y="{Hh - 6}" font-size="10" fill="#666">{caption}</text>']
    for k in range(x0, x1 + 1):
        s.append(f'<line x1="{X(10**k)}" y1="{T}" x2="{X(10**k)}" y2="{Hh - B}" stroke="#ddd"/>'
                 f'<text x="{X(10**k)}" y="{Hh - B + 16}" text-anchor="middle">{10**k:,}</text>')
    for k in range(y0, y1 + 1):
        s.append(f'<line x1="{L}" y1="{Y(10**k)}" x2="{W - R}" y2="{Y(10**k)}" stroke="#ddd"/>'
                 f'<text x="{L - 6}" y="{Y(10**k) + 4}" text-anchor="end">{10**k:g}</text>')
    s += [f'<rect x="{L}" y="{T}" width="{W - L - R}" height="{Hh - T - B}" fill="none" stroke="black"/>',
          f'<text x="{(L + W - R) / 2}" y="{Hh - 26}" text-anchor="middle">requirements pinned (log scale)</text>',
          f'<text transform="translate(18 {(T + Hh - B) / 2}) rotate(-90)" text-anchor="middle">wall time, s (log scale)</text>']
    first = next(((r["pins"], r["lock_summary"]["seconds"]) for r in rows if r["lock_summary"]["seconds"]), None)
    if first:  # slope 1 through the first point: where a series bends above it, time per pin grows
        ends = [(x, first[1] * x / first[0]) for x in (first[0], 10 ** x1)]
        ends[1] = ends[1] if ends[1][1] <= 10 ** y1 else (first[0] * 10 ** y1 / first[1], 10 ** y1)
        s.append(f'<line x1="{X(ends[0][0]):.1f}" y1="{Y(ends[0][1]):.1f}" x2="{X(ends[1][0]):.1f}" y2="{Y(ends[1][1]):.1f}" '
                 f'stroke="#999" stroke-dasharray="4 4"/>')
        series = series + [(None, "#999", "linear in pins")]
    for i, (k, color, label) in enumerate(series):
        ly = T + 16 + 20 * i
        dash = ' stroke-dasharray="4 4"' if k is None else ""
        s.append(f'<line x1="{W - R + 12}" y1="{ly}" x2="{W - R + 32}" y2="{ly}" stroke="{color}" stroke-width="2"{dash}/>'
                 f'<text x="{W - R + 38}" y="{ly + 4}">{label}</text>')
        if k is None:
            continue
        ok = [(r["pins"], r[k + "_summary"]["seconds"]) for r in rows if r[k + "_summary"]["seconds"]]
        if len(ok) > 1:
            s.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(f"{X(x):.1f},{Y(y):.1f}" for x, y in ok)}"/>')
        s += [f'<circle cx="{X(x):.1f}" cy="{Y(y):.1f}" r="4" fill="{color}"/>' for x, y in ok]
        s += [f'<circle cx="{X(r["pins"]):.1f}" cy="{Y(timeout):.1f}" r="5" fill="none" stroke="{color}" stroke-width="2"/>'
              f'<text x="{X(r["pins"]) + 8:.1f}" y="{Y(timeout) + 4:.1f}" fill="{color}">timeout</text>'
              for r in rows if r[k + "_summary"]["timeout"]]
        s.append(f'<circle cx="{W - R + 22}" cy="{ly}" r="4" fill="{color}"/>')
    Path(path).write_text("\n".join(s + ["</svg>\n"]))


# ---------------------------------------------------------------- report
def observed(r, ctx):
    """What a locker did, from the server's byte counter and the hashes it wrote, so the note
    stays true whatever a new version of a peer does."""
    total = sum(f["size"] for f in ctx["files"])
    undeclared = sum(f["size"] for f in ctx["files"] if not f["declares"])
    b, n = r["bytes"], len(ctx["files"])
    if b >= 0.97 * total:
        what = "downloads and hashes every file"
    elif b < 0.03 * total:
        what = "downloads ~nothing: trusts declared digests (or its records)"
    elif 0.9 * undeclared <= b <= 1.1 * undeclared:
        what = "trusts declared digests, downloads and hashes the files with none"
    else:
        what = f"downloads {b / total:.0%} of the corpus bytes"
    if r["hashes"] and r["hashes"] < n:
        what += f"; **only {r['hashes']} of {n} files hashed**"
    return what


def report(results, ctx, scale, args):
    m, files = ctx["machine"], ctx["files"]
    total = sum(f["size"] for f in files)
    print(f"\nMachine: {m['nproc']} cores, {m['cpu']}, {m['memory_gib']} GiB, Linux {m['kernel']}, "
          f"temp dir on {m['tmp_fs']}; Python {m['python']}; load average {m['loadavg_at_start']:.2f} at start")
    print(f"Corpus: {len(files)} files, {total / 1e6:.1f} MB, {len(ctx['projects'])} projects, {len(ctx['slots'])} "
          f"requirements files of {len(ctx['slots'][0])} pins; "
          f"{'real PyPI files, every project declares sha256' if args.real else 'half the projects declare sha256'}; "
          f"{args.rounds} rounds, interleaved"
          + (f"; the index answers each request after {args.latency} ms" if args.latency else "") + "\n")
    if results:
        print("| contender | median s | min s | × floor | requests | MB downloaded | hashes | peak RSS MiB | note |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for key, r in results.items():
        if "median" not in r:
            print(f"| {r['label']} | {'; '.join(sorted(set(r['errors'])))} | | | | | | | {r['note']} |")
            continue
        fl, note, net = results.get(r["floor"] or "", {}), r["note"], r["requests"] > 0
        ratio = f"{r['median'] / fl['median']:.2f}× ({r['floor'].split('_')[0]})" if "median" in fl else ""
        if net and key not in ("floor", "floor_one", "listings", "listings_declared"):
            note = "; ".join(x for x in (observed(r, ctx), note) if x)
        if key in ("hash_all", "hash_one", "openssl_one", "openssl_all", "pip_hash", "verify"):
            r["throughput_bps"] = (total if key in ("hash_all", "openssl_all", "pip_hash") else max(f["size"] for f in files)) / r["median"]
            note = "; ".join(x for x in (f"{r['throughput_bps'] / 1e9:.2f} GB/s", note) if x)
        errs = f" ({len(r['errors'])} failed)" if r["errors"] else ""
        mb = f"{r['bytes'] / 1e6:.1f}" if net else "—"
        print(f"| {r['label']}{errs} | {r['median']:.3f} | {r['min']:.3f} | {ratio} | {r['requests'] if net else '—'} | "
              f"{mb} | {r['hashes'] or '—'} | {r['maxrss_kib'] / 1024:.1f} | {note} |")
    targets, g = [], lambda k: results.get(k, {}).get("median")

    def target(name, ok, detail):
        targets.append({"target": name, "pass": ok, "detail": detail})
    if g("lock") and g("floor"):
        uv, q = g("uv"), g("lock") / g("floor")
        target("first lock ≤ 1.3× curl floor and < uv", q <= 1.3 and (uv is None or g("lock") < uv),
               f"{q:.2f}× floor" + (f", {g('lock'):.2f} s vs uv {uv:.2f} s" if uv else ", uv not run"))
    if g("resolve_uv") and g("uv_resolve"):
        q = g("resolve_uv") / g("uv_resolve")
        target("lock --resolve with uv ≤ 1.5× uv pip compile --generate-hashes", q <= 1.5, f"{q:.2f}×")
    # Files an index declares no digest for must be downloaded again to be checked at all, so
    # the target is held to the projects whose index declares them (as PyPI does).
    if g("relock_declared") and g("listings_declared"):
        q = g("relock_declared") / g("listings_declared")
        target("re-lock, nothing changed, digests declared ≤ 1.2× their listings", q <= 1.2, f"{q:.2f}×")
    if g("check") and g("floor"):
        target("check ≤ 1.3× curl floor", g("check") / g("floor") <= 1.3, f"{g('check') / g('floor'):.2f}×")
    o = results.get("openssl_one", {}).get("throughput_bps")
    if o and g("hash_one"):
        t = results["hash_one"]["throughput_bps"]
        target("hash one large file ≥ 95% of openssl", t >= 0.95 * o, f"{t / o:.0%} ({t / 1e9:.2f} vs {o / 1e9:.2f} GB/s)")
    if o and g("hash_all"):
        t = results["hash_all"]["throughput_bps"]
        target(f"hash many files ≥ 1.9× openssl's one-file throughput ({m['nproc']} cores)", t >= 1.9 * o, f"{t / o:.2f}×")
    print("\nTargets (issue 12):\n")
    for t in targets:
        print(f"- {'PASS' if t['pass'] else 'FAIL'}: {t['target']}: {t['detail']}")
    if scale:
        print(f"\nScale series: `hashpin lock --no-index --find-links DIR requirements.txt`, one tiny sdist per pin, "
              f"median of {args.scale_rounds}\n")
        print("| pins | first lock s | ms/pin | peak RSS MiB | re-lock s | ms/pin | peak RSS MiB |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        for row in scale:
            cells = []
            for k in ("lock", "relock"):
                x = row[k + "_summary"]
                if x["seconds"] is not None:
                    cells += [f"{x['seconds']:.2f}", f"{1000 * x['seconds'] / row['pins']:.3f}", f"{x['maxrss_kib'] / 1024:.1f}"]
                else:
                    cells += [f"timeout (> {args.timeout:g} s)" if x["timeout"] else x["error"] or "skipped", "", ""]
            print(f"| {row['pins']:,} | " + " | ".join(cells) + " |")
    print("\nCommands (URL = http://127.0.0.1:PORT; $TMP = the temp dir; relative paths are in a fresh directory per run):\n")
    for r in results.values():
        shown = re.sub(r"http://127\.0\.0\.1:\d+", "URL", shlex.join(r.get("commands", [[]])[0])).replace(str(ctx["tmp"]), "$TMP")
        shown = re.sub(r"(\$TMP/corpus/files/\S+ ){3,}", "<every file> ", shown + " ")
        shown = re.sub(r"(bench-proj-\d+==\S+ )+", "<the file's name==version pins> ", shown).strip()
        more = f"  (once per requirements file: {len(r['commands'])} runs)" if len(r.get("commands", [])) > 1 else ""
        print(f"- {r['label']}: `{shown}`{more}")
    return targets


# ---------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hashpin", metavar="PATH", help="hashpin binary (default: $HASHPIN, else this "
                    "checkout's, built with cargo build --release --locked)")
    ap.add_argument("--work-dir", type=Path, default=REPO / "target" / "bench",
                    help="where the peers' venv is kept between runs (default: %(default)s)")
    ap.add_argument("--rounds", type=int, default=5, help="rounds; median and min are reported (default 5; 0: scale series only)")
    ap.add_argument("--quick", action="store_true", help="~36 files, ~20 MB instead of 300 files, ~250 MB")
    ap.add_argument("--real", action="store_true", help="instead of generated files, every file of 8 real PyPI releases "
                    "(fetched once from PyPI into the work dir, checked against PyPI's sha256; ~110 files, ~15 MB)")
    ap.add_argument("--latency", type=int, default=0, metavar="MS",
                    help="the loopback index waits MS before answering each request, as a distant index does (default 0)")
    ap.add_argument("--seed", type=int, default=12, help="corpus seed (default 12)")
    ap.add_argument("--scale", default="100,1000,10000", help="pins for the scale series, comma-separated, or 'none' "
                    "(default 100,1000,10000)")
    ap.add_argument("--full", action="store_true", help="add 100000 to the scale series")
    ap.add_argument("--scale-rounds", type=int, default=3, help="runs per scale point, median reported (default 3)")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per timed run (all its commands) before it "
                    "is killed and reported as a timeout (default 600)")
    ap.add_argument("--no-peers", action="store_true", help="skip uv, pip-compile, hashin and pip hash (no PyPI needed)")
    ap.add_argument("--json", metavar="FILE", help="write every result, command and machine fact as JSON")
    ap.add_argument("--svg", metavar="FILE", default=str(Path(__file__).resolve().parent / "scale.svg"),
                    help="scale plot (default: %(default)s)")
    args = ap.parse_args()
    sizes = [] if args.scale == "none" else [int(x) for x in args.scale.split(",") if x]
    sizes += [100000] if args.full and 100000 not in sizes else []

    def on_signal(signum, frame):
        raise KeyboardInterrupt
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # SIGINT too: a background job inherits it ignored
        signal.signal(sig, on_signal)
    tmp, server = None, None
    try:
        args.work_dir.mkdir(parents=True, exist_ok=True)
        ctx = {"hashpin": get_hashpin(args), "curl": shutil.which("curl"), "openssl": shutil.which("openssl")}
        ctx["venv"] = None if args.no_peers else get_peers(args)
        tmp = ctx["tmp"] = Path(tempfile.mkdtemp(prefix="hashpin-bench-"))
        ctx["machine"], t0 = machine(tmp), time.perf_counter()
        (tmp / "corpus").mkdir()
        if args.real:
            files, nslots = build_real_corpus(tmp / "corpus", args.work_dir / "real-corpus")
        else:
            files, nslots = build_corpus(tmp / "corpus", args.quick, args.seed)
        print(f"corpus: {len(files)} files, {sum(f['size'] for f in files) / 1e6:.1f} MB in "
              f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)
        ctx["files"], ctx["projects"] = files, sorted({f["project"] for f in files})
        ctx["slots"] = [sorted({f"{f['project']}=={f['version']}" for f in files if f["slot"] == s}) for s in range(nslots)]
        server = subprocess.Popen([sys.executable, __file__, "--_serve", str(tmp / "corpus"), str(args.latency)],
                                  stdout=subprocess.PIPE,
                                  env=loopback_env(), start_new_session=True)
        CHILDREN.add(server.pid)
        ctx["url"] = f"http://127.0.0.1:{int(server.stdout.readline())}"
        version = lambda argv: subprocess.run(argv, capture_output=True, text=True).stdout.strip().splitlines()[0]
        ctx["no_cache"] = "--no-cache" in subprocess.run([str(ctx["hashpin"]), "lock", "--help"], capture_output=True, text=True).stdout
        versions = {"hashpin": version([str(ctx["hashpin"]), "--version"]), **(PEERS if ctx["venv"] else {})}
        versions.update({t: version([ctx[t], a]) for t, a in (("curl", "--version"), ("openssl", "version")) if ctx[t]})
        results = bench_rounds(ctx, args) if args.rounds > 0 else {}
        scale = scale_series(ctx, args, sizes) if sizes else []
        targets = report(results, ctx, scale, args)
        print("\nVersions: " + "; ".join(f"{k} {v}" for k, v in versions.items()))
        if scale:
            m = ctx["machine"]
            svg_plot(scale, args.svg, args.timeout, f"{versions['hashpin']}; {m['nproc']} cores, {m['cpu']}; "
                     f"median of {args.scale_rounds}")
            print(f"Scale plot: {args.svg}")
        if args.json:
            Path(args.json).write_text(json.dumps({
                "machine": ctx["machine"], "versions": versions, "rounds": args.rounds, "quick": args.quick, "real": args.real, "seed": args.seed,
                "corpus": {"files": len(files), "bytes": sum(f["size"] for f in files), "projects": len(ctx["projects"]),
                           "requirements_files": nslots, "declared_bytes": sum(f["size"] for f in files if f["declares"])},
                "results": results, "targets": targets, "scale": scale, "timeout": args.timeout}, indent=1))
    except KeyboardInterrupt:
        print("\ninterrupted: stopping children, removing the temp dir", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for pid in list(CHILDREN):
            killgroup(pid)
        if server:
            server.wait()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--_serve"]:
        serve(*sys.argv[2:4])
    elif sys.argv[1:2] == ["--_fetch"]:
        fetch_all(sys.argv[2])
    else:
        sys.exit(main())
