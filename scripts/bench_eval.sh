#!/usr/bin/env bash
# eval's benchmark (issue "Evaluate, part 1"), results in BENCHMARKS.md. Needs a release build
# (cargo build --release --bin mlmodel-inspector). In one run:
#  1. 1,000 photos (JPEG, 320-427 px, resized to 300x300) through the bundled example model:
#     `eval --backend onnx` (tract) and `--backend onnxruntime`, whole processes, against a
#     Python loop doing PIL + mlflow.pyfunc predict in batches of 32; wall time and peak RSS
#     (/usr/bin/time), three rounds interleaved.
#  2. A 100,000-row CSV (iris repeated) through the local server: rows/s and peak RSS.
#  3. An endpoint: `mlflow models serve --workers 4` for iris, 10,000 rows, batches of 50, at
#     concurrency 1, 4 and 16.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bin="$root/${CARGO_TARGET_DIR:-target}/release/mlmodel-inspector"
python="$(scripts/python-env.sh)"
dir="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$dir"' EXIT
"$python" scripts/bench_eval_python.py make-images "$dir/photos" 1000
"$python" scripts/bench_eval_python.py make-iris "$dir/iris100k.csv" 100000
"$python" scripts/bench_eval_python.py make-iris "$dir/iris10k.csv" 10000
measure() { # NAME CMD...: wall seconds and peak RSS in MiB
  local name=$1
  shift
  /usr/bin/time -f "%e %M" -o "$dir/time" "$@" >"$dir/out" 2>"$dir/err" || { cat "$dir/err" >&2; return 1; }
  read -r wall kb <"$dir/time"
  echo "$name wall_s=$wall peak_mib=$((kb / 1024)) $(head -c 300 "$dir/out" | tr '\n' ' ' | cut -c1-160)"
}
for round in 1 2 3; do
  echo "== images, round $round"
  measure ours_tract "$bin" eval assets/example-model --images "$dir/photos" --backend onnx --json
  measure ours_ort "$bin" eval assets/example-model --images "$dir/photos" --backend onnxruntime --python "$python" --json
  measure python_pyfunc "$python" scripts/bench_eval_python.py images assets/example-model "$dir/photos"
done
echo "== 100,000 rows through the local server"
measure ours_local_100k "$bin" eval tests/fixtures/models/sklearn_iris_class_names --csv "$dir/iris100k.csv" --label species --backend local --python "$python" --json
grep -o '"elapsed_s": [0-9.]*' "$dir/out"
echo "== an endpoint: mlflow models serve --workers 4"
port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# uvicorn (the server --workers starts) lives beside the venv's python.
PATH="$(dirname "$python"):$PATH" MLFLOW_DISABLE_TELEMETRY=true "$python" -m mlflow models serve -m tests/fixtures/models/sklearn_iris_class_names --env-manager local --port "$port" --workers 4 >"$dir/serve.log" 2>&1 &
for _ in $(seq 120); do curl -sf "http://127.0.0.1:$port/ping" >/dev/null && break; sleep 1; done
for c in 1 4 16; do
  measure "endpoint_c$c" "$bin" eval tests/fixtures/models/sklearn_iris_class_names --csv "$dir/iris10k.csv" --label species --backend "http://127.0.0.1:$port/invocations" --batch 50 --concurrency "$c" --json
  grep -o '"elapsed_s": [0-9.]*' "$dir/out"
done
