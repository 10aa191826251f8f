#!/usr/bin/env bash
# Runs every test: the Rust suite, and the check that the recorded MLflow verdicts are still
# what the pinned pip mlflow says. Installs what the tests need when it is missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

need_apt=()
command -v mkfifo >/dev/null || need_apt+=(coreutils)
command -v python3 >/dev/null || need_apt+=(python3 python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${need_apt[@]}"
fi
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  apt-get update -qq && apt-get install -y -qq python3-venv
fi

python="$(scripts/python-env.sh)"

echo "== MLflow reference: re-run the pinned mlflow on every fixture and signature case"
"$python" tests/fixtures/mlflow_reference.py --check

echo "== cargo test"
cargo test --all-targets --locked
