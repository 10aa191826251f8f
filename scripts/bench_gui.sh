#!/usr/bin/env bash
# Item 6 of BENCHMARKS.md: the real window under Xvfb. Memory (VmRSS) with the bundled example
# open and idle; then frame times (MLMODEL_INSPECTOR_FRAME_STATS, src/ui/frame_stats.rs) while
# 32 twelve-megapixel JPEGs decode for the Test tab and a batch-32 Predict runs natively.
# Needs Xvfb and xdotool; run after `cargo build --release` (scripts/bench.sh does both).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bin=target/release/mlmodel-inspector
big="${TMPDIR:-/tmp}/mlmodel-inspector-bench-12mp.jpg"
[ -f "$big" ] || { echo "run cargo bench --bench inspector first (it writes $big)" >&2; exit 1; }
tmp="$(mktemp -d)"
export XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" XDG_CACHE_HOME="$tmp/cache"
display=":$((90 + RANDOM % 9))"
Xvfb "$display" -screen 0 1280x900x24 > /dev/null 2>&1 &
xvfb=$!
app=""
trap 'kill $app $xvfb 2>/dev/null || true' EXIT
export DISPLAY="$display"
sleep 1

"$bin" assets/example-model &
app=$!
sleep 6
rss="$(awk '/VmRSS/ {print $2}' "/proc/$app/status")"
echo "memory with the bundled example open, idle: VmRSS $((rss / 1024)) MiB"
kill "$app"; wait "$app" 2>/dev/null || true

images=()
for _ in $(seq 32); do images+=(--image "$big"); done
MLMODEL_INSPECTOR_FRAME_STATS="$tmp/frames.json" "$bin" assets/example-model "${images[@]}" &
app=$!
# The decode of 32 x 12 MP runs on a worker (about 5 s on 2 cores); then Predict is pressed.
sleep 15
import -window root "$tmp/decoded.png"
xdotool mousemove "${PREDICT_X:-646}" "${PREDICT_Y:-230}" click 1
sleep 8
import -window root "$tmp/predicted.png"
rss="$(awk '/VmRSS/ {print $2}' "/proc/$app/status")"
kill "$app"; wait "$app" 2>/dev/null || true
echo "frames during the 32-image decode and the batch-32 predict: $(cat "$tmp/frames.json")"
echo "memory after them: VmRSS $((rss / 1024)) MiB; screenshots: $tmp/decoded.png $tmp/predicted.png"
