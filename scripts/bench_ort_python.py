"""MLflow's own Python path for the ONNX Runtime comparison in BENCHMARKS.md (issue 28): warm
`mlflow.pyfunc` predict (onnxruntime underneath) of the bundled example and of the fixture
MLflow saved with external data, at batch 1 and 32, on the same inputs the command line is
given (written here as JSON request files). Prints one JSON object: for each case, p50 and p90
in milliseconds (nearest rank) and the request file.

    .venv/bin/python scripts/bench_ort_python.py OUT_DIR [--only-files]
"""

import json
import logging
import math
import os
import sys
import warnings

warnings.filterwarnings("ignore")
logging.getLogger("mlflow").setLevel(logging.ERROR)

import mlflow  # noqa: E402
import numpy as np  # noqa: E402
from bench_python import timings_ms  # noqa: E402  (scripts/ is on the path when run)
from PIL import Image  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def nearest_rank(sorted_ms, q):
    return sorted_ms[max(0, math.ceil(q * len(sorted_ms)) - 1)]


def percentiles(fn, n):
    times = sorted(timings_ms(fn, n))
    return {"p50": nearest_rank(times, 0.5), "p90": nearest_rank(times, 0.9), "n": n}


def cases(out_dir):
    photo = os.path.join(ROOT, "assets", "sample-china.jpg")
    img = np.asarray(Image.open(photo).convert("RGB").resize((300, 300)), dtype=np.uint8)[None]
    rng = np.random.default_rng(3)
    x = rng.normal(5, 1, size=(32, 4)).astype(np.float32)
    out = {}
    for name, model, data, n in [
        ("example_b1", "assets/example-model", img, 300),
        ("example_b32", "assets/example-model", np.repeat(img, 32, axis=0), 50),
        ("external_b1", "tests/fixtures/models/onnx_external_data", x[:1], 1000),
        ("external_b32", "tests/fixtures/models/onnx_external_data", x, 1000),
    ]:
        path = os.path.join(out_dir, f"{name}.json")
        with open(path, "w") as fh:
            json.dump({"inputs": data.tolist()}, fh)
        out[name] = (os.path.join(ROOT, model), data, n, path)
    return out


def main(out_dir, only_files):
    todo = cases(out_dir)
    if only_files:
        print(json.dumps({k: v[3] for k, v in todo.items()}))
        return
    models = {}
    result = {}
    for name, (model, data, n, path) in todo.items():
        if model not in models:
            models[model] = mlflow.pyfunc.load_model(model)
        m = models[model]
        result[name] = {**percentiles(lambda: m.predict(data), n), "file": path}
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], "--only-files" in sys.argv[2:])
