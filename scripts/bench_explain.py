"""Times `mlmodel-inspector explain` against the same method in Python, in one run, as whole
processes (issue 43's measurement, in BENCHMARKS.md); peak memory by GNU time.

- Occlusion of the bundled example model (tests/fixtures/explain/china_300.png, the default
  in-process grid: 15 x 15 positions of a 20-pixel window, batches of 8) through ONNX Runtime
  in-process, against a Python loop of the same method calling `mlflow.pyfunc` (ONNX Runtime
  underneath). Ours is also held to `predict`'s peak memory on the same image.
- Shapley values of one diabetes row against 20 background rows: shap's
  `shap.explainers.Exact` on the model loaded in-process, against ours through each backend:
  the gradient-boosting model through MLflow's scoring server (its start included, as a user
  meets it), and the linear ONNX model in-process (tract and ONNX Runtime), shap on the same
  ONNX graph through onnxruntime.

Run: .venv/bin/python scripts/bench_explain.py target/release/mlmodel-inspector [ROUNDS]
"""

import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EX = os.path.join(ROOT, "tests", "fixtures", "explain")
PY = sys.executable

OCCLUDE_PY = r'''
import sys, numpy as np, mlflow.pyfunc
from PIL import Image
model = mlflow.pyfunc.load_model(sys.argv[1])
x = np.asarray(Image.open(sys.argv[2]).convert("RGB"), dtype=np.uint8)
h, w, _ = x.shape
win = stride = 20
def f(b):
    out = model.predict(b)  # an ONNX model's pyfunc answers {output name: array}
    return np.asarray(next(iter(out.values())) if isinstance(out, dict) else out)
first = f(x[None])[0]; k = int(np.argmax(first)); score = first[k]
pos = [(y, xx) for y in range(0, h - win + 1, stride) for xx in range(0, w - win + 1, stride)]
attr = np.zeros((h, w)); cnt = np.zeros((h, w))
for i in range(0, len(pos), 8):
    chunk = pos[i:i + 8]
    batch = np.repeat(x[None], len(chunk), axis=0)
    for j, (y, xx) in enumerate(chunk):
        batch[j, y:y + win, xx:xx + win, :] = 0
    s = f(batch)[:, k]
    for (y, xx), v in zip(chunk, s):
        attr[y:y + win, xx:xx + win] += score - v; cnt[y:y + win, xx:xx + win] += 1
m = np.where(cnt > 0, attr / np.maximum(cnt, 1), 0)
print(float(m.sum()))
'''

SHAP_PY = r'''
import sys, warnings, numpy as np, pandas as pd, shap
warnings.filterwarnings("ignore")
kind, folder, bg, rows = sys.argv[1:5]
background = pd.read_csv(bg); row = pd.read_csv(rows).iloc[[0]]
if kind == "sklearn":
    import mlflow.sklearn
    model = mlflow.sklearn.load_model(folder)
    f = model.predict
else:
    import onnxruntime as ort, os
    s = ort.InferenceSession(os.path.join(folder, "model.onnx"), providers=["CPUExecutionProvider"])
    name = s.get_inputs()[0].name
    f = lambda X: s.run(None, {name: np.asarray(X, dtype=np.float32)})[0].reshape(-1)
e = shap.explainers.Exact(f, shap.maskers.Independent(background, max_samples=len(background)))
print(e(row, silent=True).values[0].sum())
'''


def timed(cmd):
    """Wall seconds and peak RSS (KiB) of a whole process, by GNU time."""
    start = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True,
                         env=dict(os.environ, PATH=os.path.dirname(PY) + ":" + os.environ["PATH"]))
    wall = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"{cmd} failed:\n{out.stderr}")
    rss = int(out.stderr.strip().splitlines()[-1])
    return wall, rss


def main():
    binary = os.path.abspath(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    china = os.path.join(EX, "china_300.png")
    example = os.path.join(ROOT, "assets", "example-model")
    bg, rows = os.path.join(EX, "background.csv"), os.path.join(EX, "rows.csv")
    cases = {
        "occlusion, ours (onnxruntime)": [binary, "explain", example, "--image", china, "--backend", "onnxruntime",
                                          "--python", PY, "--json"],
        "occlusion, Python loop (mlflow.pyfunc)": [PY, "-c", OCCLUDE_PY, example, china],
        "predict, ours (onnxruntime, same image)": [binary, "predict", example, "--image", china, "--backend",
                                                    "onnxruntime", "--python", PY],
        "shapley gbr, ours (MLflow scoring server)": [binary, "explain", os.path.join(EX, "gbr_diabetes"), "--csv", rows,
                                                      "--background", bg, "--backend", "local", "--python", PY, "--json"],
        "shapley gbr, shap Exact (in-process sklearn)": [PY, "-c", SHAP_PY, "sklearn", os.path.join(EX, "gbr_diabetes"), bg, rows],
        "shapley linear, ours (tract)": [binary, "explain", os.path.join(EX, "linear_onnx"), "--csv", rows,
                                         "--background", bg, "--backend", "onnx", "--json"],
        "shapley linear, ours (onnxruntime)": [binary, "explain", os.path.join(EX, "linear_onnx"), "--csv", rows,
                                               "--background", bg, "--backend", "onnxruntime", "--python", PY, "--json"],
        "shapley linear, shap Exact (onnxruntime)": [PY, "-c", SHAP_PY, "onnx", os.path.join(EX, "linear_onnx"), bg, rows],
    }
    # A warm endpoint: MLflow's scoring server for the same model, started once (a user's
    # running server), asked with two requests in flight.
    port = 5391
    env = dict(os.environ, PATH=os.path.dirname(PY) + ":" + os.environ["PATH"])
    server = subprocess.Popen([PY, "-m", "mlflow", "models", "serve", "--env-manager", "local", "--host", "127.0.0.1",
                               "-p", str(port), "-m", os.path.join(EX, "gbr_diabetes")], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import socket
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    time.sleep(2)
    cases["shapley gbr, ours (warm endpoint, 2 in flight)"] = [
        binary, "explain", os.path.join(EX, "gbr_diabetes"), "--csv", rows, "--background", bg, "--backend",
        f"http://127.0.0.1:{port}", "--concurrency", "2", "--json"]
    results = {name: [] for name in cases}
    for _ in range(rounds):
        for name, cmd in cases.items():  # interleaved: each round runs every case once
            results[name].append(timed(cmd))
    print(f"{rounds} rounds, medians:")
    for name, runs in results.items():
        wall = statistics.median(w for w, _ in runs)
        rss = statistics.median(r for _, r in runs) / 1024
        print(f"  {name:48s} {wall:7.2f} s  {rss:7.1f} MiB")
    med = {n: statistics.median(w for w, _ in r) for n, r in results.items()}
    rss = {n: statistics.median(m for _, m in r) for n, r in results.items()}
    print(f"occlusion: {med['occlusion, Python loop (mlflow.pyfunc)'] / med['occlusion, ours (onnxruntime)']:.1f}x faster; "
          f"peak RSS {rss['occlusion, ours (onnxruntime)'] / rss['predict, ours (onnxruntime, same image)']:.2f}x predict's")
    server.terminate()
    shap_gbr = med['shapley gbr, shap Exact (in-process sklearn)']
    print(f"shapley gbr: {shap_gbr / med['shapley gbr, ours (MLflow scoring server)']:.2f}x with the server's start, "
          f"{shap_gbr / med['shapley gbr, ours (warm endpoint, 2 in flight)']:.1f}x through a warm endpoint")
    print(f"shapley linear: tract {med['shapley linear, shap Exact (onnxruntime)'] / med['shapley linear, ours (tract)']:.1f}x, "
          f"onnxruntime {med['shapley linear, shap Exact (onnxruntime)'] / med['shapley linear, ours (onnxruntime)']:.1f}x")


if __name__ == "__main__":
    main()
