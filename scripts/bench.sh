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
echo "== warm latency from a shell: predict --repeat 200 (native ONNX, batch 1)"
target/release/mlmodel-inspector predict assets/example-model --image assets/sample-china.jpg --repeat 200 > /dev/null
