"""Issue 38's scale items, ours beside MLflow's own code where MLflow has any (BENCHMARKS.md):

- a one-row request of 20,000 (and 100,000) columns checked: `mlmodel-inspector predict
  --dry-run` as a whole process, beside `mlflow.pyfunc.scoring_server.invocations` (the code
  behind `/invocations`: parsing and schema enforcement) in-process on the same MLflow-written
  model (an echo PythonModel with that signature), warm;
- `diff` of two such signatures (20,000 and 100,000 columns);
- `diff` of two folders of 100,000 files each (half of them with other bytes).

Interleaved, medians of 5 (3 for the largest). Run by scripts/bench_scale.sh.

    python scripts/bench_scale.py target/release/mlmodel-inspector WORKDIR
"""

import json
import os
import statistics
import subprocess
import sys
import time
import warnings

warnings.filterwarnings("ignore")


def make_model(path, columns):
    import mlflow
    from mlflow.models import ModelSignature
    from mlflow.types.schema import ColSpec, Schema

    class Echo(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return [0]

    if not os.path.exists(os.path.join(path, "MLmodel")):
        schema = Schema([ColSpec("double", f"c{i}") for i in range(columns)])
        mlflow.pyfunc.save_model(path, python_model=Echo(), signature=ModelSignature(inputs=schema))
    request = os.path.join(path, "request.json")
    with open(request, "w") as f:
        json.dump({"dataframe_split": {"columns": [f"c{i}" for i in range(columns)], "data": [[1.5] * columns]}}, f)
    return request


def make_files(path, count, other_bytes):
    if os.path.exists(os.path.join(path, "MLmodel")):
        return
    os.makedirs(os.path.join(path, "data"), exist_ok=True)
    with open(os.path.join(path, "MLmodel"), "w") as f:
        f.write("flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\n")
    for i in range(count):
        with open(os.path.join(path, "data", f"f{i}.txt"), "w") as f:
            f.write("y" if other_bytes and i % 2 else "x")


def run(cmd):
    started = time.perf_counter()
    subprocess.run(cmd, capture_output=True)
    return time.perf_counter() - started


def main():
    binary, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    from mlflow.pyfunc import load_model, scoring_server

    for columns, n in [(20_000, 5), (100_000, 3)]:
        model = os.path.join(work, f"cols{columns}")
        request = make_model(model, columns)
        with open(request) as f:
            body = f.read()
        loaded = load_model(model)
        schema = loaded.metadata.get_input_schema()

        def theirs():
            started = time.perf_counter()
            scoring_server.invocations(body, "application/json", loaded, schema)
            return time.perf_counter() - started

        ours_cmd = [binary, "predict", model, "--input", request, "--dry-run"]
        theirs(); run(ours_cmd)
        o, t = [], []
        for i in range(n):
            pair = [(o, lambda: run(ours_cmd)), (t, theirs)]
            for bucket, f in (pair if i % 2 else pair[::-1]):
                bucket.append(f())
        om, tm = statistics.median(o), statistics.median(t)
        print(f"one row of {columns} columns checked: ours (whole process, predict --dry-run) {om:.3f} s; "
              f"MLflow's scoring_server.invocations (in-process, warm) {tm:.3f} s; ratio {tm / om:.1f}x")
        d = [run([binary, "diff", model, model]) for _ in range(n)]
        print(f"diff of two signatures of {columns} columns: {statistics.median(d):.3f} s")

    a, b = os.path.join(work, "files_a"), os.path.join(work, "files_b")
    make_files(a, 100_000, False)
    make_files(b, 100_000, True)
    d = [run([binary, "diff", a, b]) for _ in range(3)]
    print(f"diff of two folders of 100,000 files each: {statistics.median(d):.2f} s (runs: "
          + ", ".join(f"{x:.2f}" for x in d) + ")")


if __name__ == "__main__":
    main()
