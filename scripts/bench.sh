#!/usr/bin/env bash
# Measures ours and MLflow's Python path side by side (BENCHMARKS.md): the divan benchmarks
# (benches/inspector.rs, release build), MLflow's in-process path (scripts/bench_python.py),
# and whole-process opens (`mlmodel-inspector show` vs a Python process running Model.load).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
python="$(scripts/python-env.sh)"
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== versions: $(rustc --version); $("$python" -c 'import mlflow, onnxruntime; print("mlflow", mlflow.__version__, "onnxruntime", onnxruntime.__version__)')"
echo "== ours, in-process (divan, release build)"
cargo bench --bench inspector
cargo build --release --bin mlmodel-inspector
big="${TMPDIR:-/tmp}/mlmodel-inspector-bench-12mp.jpg"
echo "== MLflow's Python path, in-process (median ms)"
"$python" scripts/bench_python.py "$big"
echo "== whole process, opening the bundled example (median of 10, ms)"
"$python" - "$python" <<'PY'
import statistics, subprocess, sys, time
py = sys.argv[1]
def med(cmd, n=10):
    subprocess.run(cmd, capture_output=True, check=True)
    t = []
    for _ in range(n):
        s = time.perf_counter(); subprocess.run(cmd, capture_output=True, check=True); t.append((time.perf_counter() - s) * 1e3)
    return statistics.median(t)
ours = med(["target/release/mlmodel-inspector", "show", "assets/example-model", "--json"])
theirs = med([py, "-c", "import mlflow; mlflow.models.Model.load('assets/example-model').signature"])
print(f"ours {ours:.1f} ms; python + mlflow.models.Model.load {theirs:.1f} ms; ratio {theirs / ours:.0f}x")
PY
echo "== native ONNX vs onnxruntime, interleaved three times (tensor in, tensor out; median ms)"
bench_bin="$(ls -t target/release/deps/inspector-* | grep -v '\.d$' | head -1)"
for round in 1 2 3; do
  echo "-- round $round"
  "$bench_bin" --bench tensor_in_out 2>&1 | grep -E "^ +[├╰]─ (1|32) "
  "$python" scripts/bench_python.py --onnx-only 2>/dev/null
done
echo "== warm latency from a shell: predict --repeat 200 (native ONNX, batch 1 and 32)"
target/release/mlmodel-inspector predict assets/example-model --image assets/sample-china.jpg --repeat 200 > /dev/null
batch32=()
for _ in $(seq 32); do batch32+=(--image assets/sample-china.jpg); done
target/release/mlmodel-inspector predict assets/example-model "${batch32[@]}" --repeat 50 > /dev/null

echo "== item 7: a batch of 32 images as whole processes (issue 15)"
# 32 twelve-megapixel JPEGs (the divan run above made the file) and 32 copies of the small photo.
big32=(); py_big32=(); small32=(); py_small32=()
for _ in $(seq 32); do
  big32+=(--image "$big"); py_big32+=("$big")
  small32+=(--image assets/sample-china.jpg); py_small32+=(assets/sample-china.jpg)
done
rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {printf "%.0f MiB", $2 / 1024}'; }
echo "peak RSS, 32 x 12 MP, native predict: $(rss target/release/mlmodel-inspector predict assets/example-model "${big32[@]}")"
echo "peak RSS, 32 x 12 MP, --dry-run (body to stdout): $(rss target/release/mlmodel-inspector predict assets/example-model "${big32[@]}" --dry-run)"
echo "peak RSS, 32 x 12 MP, Python PIL + mlflow.pyfunc: $(rss "$python" scripts/bench_batch_python.py assets/example-model "${py_big32[@]}")"
"$python" - "$python" "$big" <<'PY'
import statistics, subprocess, sys, time
py, big = sys.argv[1], sys.argv[2]
def once(cmd):
    s = time.perf_counter(); subprocess.run(cmd, capture_output=True, check=True); return time.perf_counter() - s
for label, photo, n in [("32 small photos (640x427)", "assets/sample-china.jpg", 5), ("32 twelve-megapixel JPEGs", big, 3)]:
    ours_cmd = ["target/release/mlmodel-inspector", "predict", "assets/example-model"] + ["--image", photo] * 32
    theirs_cmd = [py, "scripts/bench_batch_python.py", "assets/example-model"] + [photo] * 32
    ours, theirs = [], []
    once(ours_cmd); once(theirs_cmd)
    for i in range(n):
        pair = [(ours, ours_cmd), (theirs, theirs_cmd)]
        for bucket, cmd in (pair if i % 2 else pair[::-1]):
            bucket.append(once(cmd))
    o, t = statistics.median(ours), statistics.median(theirs)
    print(f"whole-process batch predict, {label}: ours {o * 1e3:.0f} ms; Python PIL + mlflow.pyfunc {t * 1e3:.0f} ms; ratio {t / o:.1f}x")
PY

# Items 4 and 5: the sklearn iris fixture through MLflow's own scoring server.
iris=tests/fixtures/models/sklearn_iris
export PATH="$(dirname "$python"):$PATH"
echo "== item 5: first prediction as a whole process (server start included; 5 interleaved pairs, median s)"
"$python" - "$python" "$iris" <<'PY'
import os, statistics, subprocess, sys, time
py, iris = sys.argv[1], sys.argv[2]
ours_cmd = ["target/release/mlmodel-inspector", "predict", iris, "--backend", "local", "--python", py]
theirs_cmd = [py, "-m", "mlflow", "models", "predict", "-m", iris, "-i", f"{iris}/serving_input_example.json", "-t", "json", "--env-manager", "local"]
def once(cmd):
    s = time.perf_counter(); subprocess.run(cmd, capture_output=True, check=True); return time.perf_counter() - s
# The app starts its server with MLflow's telemetry off; shown as the user's default has it, and
# with telemetry off for both, for a like-for-like view.
for label, off in [("default environment", False), ("MLFLOW_DISABLE_TELEMETRY=true for both", True)]:
    os.environ.pop("MLFLOW_DISABLE_TELEMETRY", None)
    if off:
        os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    ours, theirs = [], []
    for i in range(5):
        pair = [(ours, ours_cmd), (theirs, theirs_cmd)]
        for bucket, cmd in (pair if i % 2 else pair[::-1]):
            bucket.append(once(cmd))
    o, t = statistics.median(ours), statistics.median(theirs)
    print(f"first prediction, {label}: ours {o:.2f} s; mlflow models predict {t:.2f} s; ratio {t / o:.2f}x")
    if not off:
        print(f"mlflow_models_predict_s={t:.3f}")
PY
echo "== item 5: later predictions, warm, local backend (predict --repeat 200)"
target/release/mlmodel-inspector predict "$iris" --backend local --python "$python" --repeat 200 > /dev/null
echo "== item 4: a running scoring server: our client vs a bare keep-alive client (interleaved)"
port="$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
setsid "$python" -m mlflow models serve -m "$iris" --env-manager local -h 127.0.0.1 -p "$port" > "${TMPDIR:-/tmp}/bench-serve.log" 2>&1 &
serve=$!
trap 'kill -- -$serve 2>/dev/null || true' EXIT
for _ in $(seq 120); do curl -fs "http://127.0.0.1:$port/ping" > /dev/null && break; sleep 0.5; done
MLMODEL_INSPECTOR_BENCH_URL="http://127.0.0.1:$port" cargo bench --bench http_overhead
target/release/mlmodel-inspector predict "$iris" --backend "http://127.0.0.1:$port" --repeat 500 > /dev/null
"$python" - "$port" <<'PY'
import http.client, json, statistics, sys, time
port = int(sys.argv[1])
body = open("tests/fixtures/models/sklearn_iris/serving_input_example.json").read()
c = http.client.HTTPConnection("127.0.0.1", port)
def once():
    c.request("POST", "/invocations", body, {"Content-Type": "application/json"}); r = c.getresponse(); r.read()
once()
t = []
for _ in range(500):
    s = time.perf_counter(); once(); t.append((time.perf_counter() - s) * 1e3)
print(f"python http.client keep-alive: p50 {statistics.median(t):.3f} ms")
PY
kill -- -"$serve" 2>/dev/null || true
sleep 2
echo "== item 6: the window under Xvfb (frame times, memory)"
scripts/bench_gui.sh
