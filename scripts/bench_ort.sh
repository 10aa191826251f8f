#!/usr/bin/env bash
# ONNX Runtime in-process (ours) vs tract (ours) vs mlflow.pyfunc (MLflow's Python path, which
# runs onnxruntime), warm, on the bundled example (photos) and on the fixture MLflow saved with
# external data, batch 1 and 32, and the example's pixels as JSON request files: three
# interleaved rounds, p50 and p90 of each. Issues 28 and 39; results in BENCHMARKS.md. Needs a release build (cargo build --release --bin mlmodel-inspector).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bin="${CARGO_TARGET_DIR:-target}/release/mlmodel-inspector"
python="$(scripts/python-env.sh)"
dir="$(mktemp -d)"
"$python" scripts/bench_ort_python.py "$dir" --only-files >/dev/null
photo=assets/sample-china.jpg
photos32=()
for _ in $(seq 32); do photos32+=(--image "$photo"); done
run() { # NAME MODEL N ARGS...
  local name=$1 model=$2 n=$3
  shift 3
  for backend in onnxruntime onnx; do
    line=$("$bin" predict "$model" "$@" --backend "$backend" --python "$python" --repeat "$n" 2>&1 >/dev/null | grep '^latency_ms')
    echo "$name $backend $line"
  done
}
# ROUNDS (default 3) interleaved rounds; ONLY=json runs the JSON request files alone (issue 39).
for round in $(seq "${ROUNDS:-3}"); do
  echo "== round $round"
  if [ "${ONLY:-}" != json ]; then
    run example_b1 assets/example-model 300 --image "$photo"
    run example_b32 assets/example-model 50 "${photos32[@]}"
  fi
  # The same pixels as JSON request files (issue 39: converted once, then lent every run).
  run example_json_b1 assets/example-model 300 --input "$dir/example_b1.json"
  run example_json_b32 assets/example-model 50 --input "$dir/example_b32.json"
  if [ "${ONLY:-}" != json ]; then
    run external_b1 tests/fixtures/models/onnx_external_data 1000 --input "$dir/external_b1.json"
    run external_b32 tests/fixtures/models/onnx_external_data 1000 --input "$dir/external_b32.json"
  fi
  echo "python $("$python" scripts/bench_ort_python.py "$dir")"
done
