#!/usr/bin/env bash
# Measures what README claims about speed and memory: hashing throughput against `pip hash`
# and `sha256sum`, and peak memory of `hashpin lock` on a large artifact, from a local
# find-links directory and over HTTP (python3 -m http.server as a find-links page).
#
#   bash tests/bench/run.sh [SIZE_MIB]     (default 1024)
#
# A first lock examines the wheel before recording it (it must open as a zip with its
# `.dist-info/METADATA`, read to its end); the last line locks again with the hash recorded,
# which is not examined again.
set -euo pipefail
cd "$(dirname "$0")/../.."
size_mib=${1:-1024}
work=$(mktemp -d)
trap 'kill ${server_pid:-0} 2>/dev/null || true; rm -rf "$work"' EXIT

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --release --locked --quiet
hashpin=$CARGO_TARGET_DIR/release/hashpin
mkdir -p "$work/links"
artifact="$work/links/big-1.0-py3-none-any.whl"
# A real wheel (hashpin records nothing else): its metadata, and one stored member of random
# bytes, so the archive is as large as the member and compression costs nothing.
head -c "$((size_mib * 1024 * 1024))" /dev/urandom > "$work/payload"
python3 - "$artifact" "$work/payload" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_STORED, allowZip64=True) as wheel:
    wheel.writestr("big-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: big\nVersion: 1.0\n")
    wheel.writestr("big-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
    wheel.write(sys.argv[2], "big/payload.bin")
PY
rm "$work/payload"
cat "$artifact" > /dev/null  # warm the page cache so every tool reads from memory

measure() { # label, command...
  local label=$1; shift
  sync  # so that what an earlier run wrote is not flushed on this one's time
  /usr/bin/time -o "$work/time" -f '%e %M' "$@" > /dev/null 2>&1
  local out seconds rss_kib
  out=$(tail -1 "$work/time")
  seconds=${out% *} rss_kib=${out#* }
  awk -v l="$label" -v s="$seconds" -v r="$rss_kib" -v m="$size_mib" \
    'BEGIN { printf "%-34s %7.2f s %8.2f GB/s %8.1f MiB peak RSS\n", l, s, (m*1048576/1e9)/(s>0?s:0.001), r/1024 }'
}

echo "artifact: ${size_mib} MiB of random bytes"
measure "hashpin hash (sha256)" "$hashpin" hash "$artifact"
measure "python3 -m pip hash (sha256)" env PIP_CONFIG_FILE=/dev/null python3 -m pip hash "$artifact"
measure "sha256sum" sha256sum "$artifact"
measure "hashpin hash -a sha512" "$hashpin" hash -a sha512 "$artifact"

printf 'big==1.0\n' > "$work/requirements.txt"
export HASHPIN_CACHE_DIR="$work/cache" PIP_CONFIG_FILE=/dev/null
unset PIP_FIND_LINKS PIP_INDEX_URL PIP_EXTRA_INDEX_URL
measure "hashpin lock, find-links directory" "$hashpin" -q lock --no-cache --no-index -f "$work/links" "$work/requirements.txt"
printf 'big==1.0\n' > "$work/requirements.txt"
port=$((20000 + RANDOM % 20000))
(cd "$work/links" && exec python3 -m http.server "$port" --bind 127.0.0.1 > /dev/null 2>&1) &
server_pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/" > /dev/null && break; sleep 0.1; done
measure "hashpin lock, over HTTP, no cache" "$hashpin" -q lock --no-cache --no-index -f "http://127.0.0.1:$port/" "$work/requirements.txt"
printf 'big==1.0\n' > "$work/requirements.txt"
measure "hashpin lock, over HTTP, cached" "$hashpin" -q lock --no-index -f "http://127.0.0.1:$port/" "$work/requirements.txt"
grep -q "big-1.0-py3-none-any.whl sha256:$(sha256sum "$artifact" | cut -c1-64)" "$work/requirements.txt" \
  && echo "recorded hash matches sha256sum"
measure "hashpin lock again, over HTTP, no cache" "$hashpin" -q lock --no-cache --no-index -f "http://127.0.0.1:$port/" "$work/requirements.txt"
