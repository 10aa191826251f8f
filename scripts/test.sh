#!/usr/bin/env bash
# Runs every test: the Rust suite, and the check that the recorded MLflow verdicts are still
# what the pinned pip mlflow says. Installs what the tests need when it is missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# Debian packages the tests use: a venv for the pinned mlflow; Xvfb, xwininfo and ImageMagick for
# the real-window test; the X11, xkbcommon, Vulkan and GL libraries the window loads at run time.
packages=(xvfb x11-utils imagemagick desktop-file-utils libglib2.0-bin shared-mime-info libx11-6 libxcursor1 libxrandr2 libxi6
  libxkbcommon-x11-0 libvulkan1 mesa-vulkan-drivers libegl1 libgl1-mesa-dri)
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

python="$(scripts/python-env.sh)"

echo "== MLflow reference: re-run the pinned mlflow on every fixture and signature case"
"$python" tests/fixtures/mlflow_reference.py --check
echo "== MLflow reference: re-run the scoring server's invocations on every validation case"
"$python" tests/fixtures/validation_reference.py --check
echo "== ONNX reference: what the pinned onnx package reports of every fixture ONNX model"
"$python" tests/fixtures/onnx_reference.py --check

echo "== cargo test"
cargo test --all-targets --locked

echo "== OpenAPI documents: openapi-spec-validator on every fixture model"
"$python" tests/fixtures/check_openapi.py "${CARGO_TARGET_DIR:-target}/debug/mlmodel-inspector"
