"""MLflow's Python path for a whole-process image batch predict (BENCHMARKS.md item 7, run by
scripts/bench.sh): PIL opens each file, converts it to RGB and resizes it to the signature's
300x300 (bicubic), numpy stacks the batch as uint8 [N, 300, 300, 3], `mlflow.pyfunc` loads the
model and predicts, and the answer is printed as JSON, as `mlmodel-inspector predict` does.

    .venv/bin/python scripts/bench_batch_python.py MODEL_DIR IMAGE [IMAGE ...]
"""

import json
import logging
import sys
import warnings

warnings.filterwarnings("ignore")
logging.getLogger("mlflow").setLevel(logging.ERROR)

import mlflow  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402


def main(model_dir, images):
    model = mlflow.pyfunc.load_model(model_dir)
    batch = np.stack(
        [np.asarray(Image.open(p).convert("RGB").resize((300, 300), Image.BICUBIC), dtype=np.uint8) for p in images]
    )
    out = model.predict(batch)
    if isinstance(out, dict):
        out = {k: np.asarray(v).tolist() for k, v in out.items()}
    elif hasattr(out, "tolist"):
        out = out.tolist()
    print(json.dumps({"predictions": out}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
