#!/usr/bin/env bash
# eval --engine spark's benchmark (issue 45), results in BENCHMARKS.md. Needs a release build
# (cargo build --release --bin mlmodel-inspector) and the test venv (pyspark pinned there).
# Iris repeated to 30,000 and 300,000 rows, through the class-named scikit-learn model:
#   eval --backend local   (MLflow's scoring server started for the folder, batches of 256)
#   eval --engine spark --master local[2]   (a PySpark job with MLflow's spark_udf)
# whole processes, wall time and peak RSS of our process (/usr/bin/time; the JVM and the
# Python workers are other processes), two rounds interleaved; Spark's own time split is read
# from its log.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bin="$root/${CARGO_TARGET_DIR:-target}/release/mlmodel-inspector"
python="$(scripts/python-env.sh)"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
"$python" scripts/bench_eval_python.py make-iris "$dir/iris30k.csv" 30000
"$python" scripts/bench_eval_python.py make-iris "$dir/iris300k.csv" 300000
model=tests/fixtures/models/sklearn_iris_class_names
measure() { # NAME CMD...: wall seconds, peak RSS in MiB, and the report's n and accuracy
  local name=$1
  shift
  /usr/bin/time -f "%e %M" -o "$dir/time" "$@" >"$dir/out" 2>"$dir/err" || { cat "$dir/err" >&2; return 1; }
  read -r wall kb <"$dir/time"
  n=$(grep -o '"n": [0-9]*' "$dir/out" | head -1)
  acc=$(grep -o '"accuracy": [0-9.]*' "$dir/out" | head -1)
  echo "$name wall_s=$wall peak_mib=$((kb / 1024)) $n $acc"
}
for round in 1 2; do
  for rows in 30k 300k; do
    echo "== iris $rows, round $round"
    measure "local_$rows" "$bin" eval "$model" --csv "$dir/iris$rows.csv" --label species \
      --backend local --python "$python" --json
    measure "spark_local2_$rows" "$bin" eval "$model" --csv "$dir/iris$rows.csv" --label species \
      --engine spark --master 'local[2]' --python "$python" --out "$dir/spark$rows.csv" --json
  done
done
