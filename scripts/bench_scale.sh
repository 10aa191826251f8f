#!/usr/bin/env bash
# Issue 38's scale items (BENCHMARKS.md): a one-row request of 20,000 and 100,000 columns
# checked, beside MLflow's own scoring-server code on the same MLflow-written model; diff of
# such signatures; diff of two folders of 100,000 files each. Release build.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
python="$(scripts/python-env.sh)"
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== versions: $(rustc --version); $("$python" -c 'import mlflow; print("mlflow", mlflow.__version__)')"
cargo build --release --bin mlmodel-inspector
work="${TMPDIR:-/tmp}/mlmodel-inspector-bench-scale"
"$python" scripts/bench_scale.py target/release/mlmodel-inspector "$work"
