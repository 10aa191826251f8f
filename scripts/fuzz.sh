#!/usr/bin/env bash
# Fuzzes the MLmodel, signature and environment parsers with cargo-fuzz (libFuzzer), each for
# SECONDS (default 300), growing the corpus kept in fuzz/corpus/. The stable toolchain runs
# cargo-fuzz with RUSTC_BOOTSTRAP=1 (its sanitizer flags are nightly-only).
#   scripts/fuzz.sh [SECONDS] [TARGET...]     targets: mlmodel signature environment pickle container
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-300}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(mlmodel signature environment pickle container)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
cd "$root/fuzz"
for t in "${targets[@]}"; do
  echo "== fuzz $t for ${seconds}s"
  RUSTC_BOOTSTRAP=1 cargo fuzz run -O "$t" "corpus/$t" -- \
    -max_total_time="$seconds" -timeout=10 -max_len=16384
done
