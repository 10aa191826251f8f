"""MLflow's own Python path for the eval benchmark in BENCHMARKS.md (issue "Evaluate, part 1"):
a loop that reads each image of a labelled folder with PIL (RGB, resized to the signature's
300x300 with PIL's bicubic filter), predicts batches of 32 with `mlflow.pyfunc`, and computes
scikit-learn's accuracy, as a person would write it. Also writes the datasets the benchmark
uses. Prints one JSON object.

    .venv/bin/python scripts/bench_eval_python.py images MODEL DIR      # the Python loop
    .venv/bin/python scripts/bench_eval_python.py make-images DIR N     # N photos in 2 classes
    .venv/bin/python scripts/bench_eval_python.py make-iris FILE ROWS   # iris rows repeated
"""

import json
import os
import sys
import time
import warnings

warnings.filterwarnings("ignore")


def make_images(out, n):
    """N JPEG photos (crops of scikit-learn's two sample photos at several sizes and
    positions, 320 to 427 pixels a side), half in each of the example model's classes."""
    import sklearn.datasets
    from PIL import Image

    images = os.path.join(os.path.dirname(sklearn.datasets.__file__), "images")
    for cls, name in [("building", "china"), ("landscape", "flower")]:
        os.makedirs(os.path.join(out, cls), exist_ok=True)
        photo = Image.open(os.path.join(images, f"{name}.jpg")).convert("RGB")
        w, h = photo.size
        for i in range(n // 2):
            side = 320 + (i * 7) % 100
            left, top = (i * 37) % (w - side), (i * 53) % (h - side)
            crop = photo.crop((left, top, left + side, top + side))
            if i % 2:
                crop = crop.transpose(Image.FLIP_LEFT_RIGHT)
            crop.save(os.path.join(out, cls, f"{i:05d}.jpg"), quality=90)


def make_iris(path, rows):
    from sklearn.datasets import load_iris

    data = load_iris(as_frame=True)
    frame = data.data.rename(columns=lambda c: c.replace(" (cm)", "").replace(" ", "_"))
    frame["species"] = [str(data.target_names[t]) for t in data.target]
    reps = -(-rows // len(frame))
    import pandas as pd

    pd.concat([frame] * reps).head(rows).to_csv(path, index=False)


def images(model_dir, folder):
    import mlflow
    import numpy as np
    from PIL import Image
    from sklearn.metrics import accuracy_score

    started = time.perf_counter()
    model = mlflow.pyfunc.load_model(model_dir)
    classes = sorted(os.listdir(folder))
    items = [(os.path.join(folder, c, f), c) for c in classes for f in sorted(os.listdir(os.path.join(folder, c)))]
    y_true, y_pred = [], []
    for start in range(0, len(items), 32):
        part = items[start : start + 32]
        batch = np.stack(
            [np.asarray(Image.open(p).convert("RGB").resize((300, 300), Image.BICUBIC), dtype=np.uint8) for p, _ in part]
        )
        answer = model.predict(batch)
        # The onnx flavor answers a dict of outputs for an array.
        probabilities = np.asarray(next(iter(answer.values())) if isinstance(answer, dict) else answer)
        y_pred += [classes[i] for i in probabilities.argmax(axis=1)]
        y_true += [c for _, c in part]
    print(json.dumps({"n": len(items), "accuracy": accuracy_score(y_true, y_pred), "seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "make-images":
        make_images(sys.argv[2], int(sys.argv[3]))
    elif what == "make-iris":
        make_iris(sys.argv[2], int(sys.argv[3]))
    else:
        images(sys.argv[2], sys.argv[3])
