#!/usr/bin/env bash
# Runs every test: the Rust suite, and the check that the recorded MLflow verdicts are still
# what the pinned pip mlflow says. Installs what the tests need when it is missing.
#
#   scripts/test.sh           everything, as CI runs it: lints (clippy, in the same compile as the
#                             tests), the MLflow/ONNX reference checks, every Rust test
#   scripts/test.sh --quick   the inner loop: the library and command-line tests without the
#                             window tests and the MLflow/ONNX reference re-checks; extra
#                             arguments go to the test binaries (a filter: `card::`)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# One compile does the tests and the lints: clippy's driver wraps rustc for this crate's own
# targets (as `cargo clippy` does), so nothing is compiled twice. The quick loop compiles the
# same way, so switching between it and the whole run rebuilds nothing.
export RUSTC_WORKSPACE_WRAPPER="${RUSTC_WORKSPACE_WRAPPER-$(command -v clippy-driver || true)}"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
if [ -z "$RUSTC_WORKSPACE_WRAPPER" ]; then
  echo "clippy-driver is missing: rustup component add clippy" >&2
  exit 1
fi

if [ "${1:-}" = "--quick" ]; then
  shift
  # The window's tests (kittest and the real window) are left out; the rest runs as in CI.
  # (The crate's window code is still compiled: egui_kittest needs eframe with a renderer, so
  # a build without the gui feature would compile every GUI crate a second way, not fewer.)
  scripts/python-env.sh >/dev/null   # some tests run the pinned mlflow
  exec cargo test --locked --lib --bins --test it -- --skip gui:: --skip window:: "$@"
fi

# Debian packages the tests use: GNU time (the hostile tests' peak memory); a venv for the
# pinned mlflow; Xvfb, xwininfo and ImageMagick for
# the real-window test; the X11, xkbcommon and OpenGL (Mesa's llvmpipe) libraries the window
# loads at run time.
packages=(time xvfb x11-utils imagemagick desktop-file-utils libglib2.0-bin shared-mime-info libx11-6 libxcursor1 libxrandr2 libxi6
  libxkbcommon-x11-0 libegl1 libegl-mesa0 libgl1 libglx-mesa0 libgl1-mesa-dri)
if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  $sudo apt-get install -y -qq python3-venv >/dev/null
fi
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
chmod 700 "$XDG_RUNTIME_DIR" 2>/dev/null || true

# The venv is made (pip, a few minutes the first time) while the tests compile.
venv_log="$(mktemp)"
scripts/python-env.sh >"$venv_log" 2>&1 &
venv_pid=$!

# Every target is built in the dev profile, the benches too (they are compiled and linted
# here, run by scripts/bench.sh).
echo "== build and lint (clippy -D warnings) every target"
cargo test --all-targets --locked --no-run

if ! wait "$venv_pid"; then
  cat "$venv_log" >&2
  exit 1
fi
python="$(tail -n 1 "$venv_log")"

echo "== MLflow reference: re-run the pinned mlflow on every fixture and signature case"
"$python" tests/fixtures/mlflow_reference.py --check
echo "== MLflow reference: re-run the scoring server's invocations on every validation case"
"$python" tests/fixtures/validation_reference.py --check
echo "== ONNX reference: what the pinned onnx package reports of every fixture ONNX model"
"$python" tests/fixtures/onnx_reference.py --check
echo "== Eval reference: MLflow's predictions and scikit-learn's metrics on every fixture dataset"
"$python" tests/fixtures/eval_reference.py --check
echo "== Diff reference: MLflow's scoring server on A's requests sent to A and to B, every fixture pair"
"$python" tests/fixtures/diff_reference.py --check
echo "== Casts reference: MLflow's scoring server on values it casts on the way to an ONNX model"
"$python" tests/fixtures/casts_reference.py --check
echo "== Scan oracle: picklescan's globals and fickling's imports of every fixture pickle"
"$python" tests/fixtures/scan/oracle.py --check
echo "== Explain reference: shap's exact Shapley values for the diabetes rows"
"$python" tests/fixtures/explain/make_explain.py --check
"$python" tests/fixtures/explain/occlusion_reference.py --check
echo "== Azure batch reference: mlflow.pyfunc's predictions in an Azure ML batch endpoint's predictions.csv"
"$python" tests/fixtures/eval/azure/make_predictions.py --check

echo "== cargo test"
cargo test --lib --bins --tests --locked

echo "== OpenAPI documents: openapi-spec-validator on every fixture model"
"$python" tests/fixtures/check_openapi.py "${CARGO_TARGET_DIR:-target}/debug/mlmodel-inspector"
