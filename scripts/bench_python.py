"""MLflow's own Python path for the comparisons in BENCHMARKS.md (run by scripts/bench.sh).

Prints one JSON object of median times in milliseconds:
- open_warm_ms: mlflow.models.Model.load + its signature, in-process, warm;
- image_small_ms / image_12mp_ms: PIL open().convert('RGB').resize((300, 300)) + numpy.asarray;
- onnx_b1_ms / onnx_b32_ms: mlflow.pyfunc (onnxruntime) predict of the bundled example, warm;
- sklearn_predict_ms: mlflow.pyfunc predict of the sklearn iris fixture's serving example, warm;
- rss_mib: this process's peak resident memory with mlflow imported and both models loaded.

    .venv/bin/python scripts/bench_python.py BIG_JPEG
    .venv/bin/python scripts/bench_python.py --onnx-only
"""

import json
import logging
import os
import statistics
import sys
import time
import warnings

warnings.filterwarnings("ignore")
logging.getLogger("mlflow").setLevel(logging.ERROR)

import mlflow  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timings_ms(fn, n):
    """Each of n warm calls' time in milliseconds (one call first, untimed)."""
    fn()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
    return times


def median_ms(fn, n):
    return statistics.median(timings_ms(fn, n))


def onnx_only():
    """Only the warm ONNX predicts, for the interleaved runs of scripts/bench.sh."""
    example = os.path.join(ROOT, "assets", "example-model")
    small = os.path.join(ROOT, "assets", "sample-china.jpg")
    model = mlflow.pyfunc.load_model(example)
    b1 = np.asarray(Image.open(small).convert("RGB").resize((300, 300)), dtype=np.uint8)[None]
    b32 = np.repeat(b1, 32, axis=0)
    print(json.dumps({"onnx_b1_ms": median_ms(lambda: model.predict(b1), 300), "onnx_b32_ms": median_ms(lambda: model.predict(b32), 50)}))


def main(big):
    example = os.path.join(ROOT, "assets", "example-model")
    small = os.path.join(ROOT, "assets", "sample-china.jpg")
    out = {}
    out["open_warm_ms"] = median_ms(lambda: mlflow.models.Model.load(example).signature, 50)
    out["image_small_ms"] = median_ms(lambda: np.asarray(Image.open(small).convert("RGB").resize((300, 300))), 50)
    out["image_12mp_ms"] = median_ms(lambda: np.asarray(Image.open(big).convert("RGB").resize((300, 300))), 10)
    model = mlflow.pyfunc.load_model(example)
    img = np.asarray(Image.open(small).convert("RGB").resize((300, 300)), dtype=np.uint8)
    b1 = img[None]
    b32 = np.repeat(b1, 32, axis=0)
    out["onnx_b1_ms"] = median_ms(lambda: model.predict(b1), 200)
    out["onnx_b32_ms"] = median_ms(lambda: model.predict(b32), 30)
    iris = os.path.join(ROOT, "tests", "fixtures", "models", "sklearn_iris")
    sk = mlflow.pyfunc.load_model(iris)
    with open(os.path.join(iris, "serving_input_example.json")) as f:
        split = json.load(f)["dataframe_split"]
    import pandas as pd

    frame = pd.DataFrame(split["data"], columns=split["columns"])
    out["sklearn_predict_ms"] = median_ms(lambda: sk.predict(frame), 200)
    import resource

    out["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["versions"] = {"mlflow": mlflow.__version__, "numpy": np.__version__, "pillow": Image.__version__}
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "--onnx-only":
        onnx_only()
    else:
        main(sys.argv[1])
