#!/usr/bin/env bash
# Run every fuzz target in fuzz/ for SECS seconds (default 30), starting from
# its committed seeds (fuzz/seeds/TARGET) and its local corpus; fail on the
# first crash, timeout or out-of-memory. Prints each target's executions.
#
#   tests/fuzz.sh [SECS]
#
# FUZZ_SANITIZER=none builds without AddressSanitizer (faster to build and to
# run; CI uses it for its short run). The default is cargo fuzz's: address.
#
# Needs cargo-fuzz (installed with `cargo install cargo-fuzz --locked` when
# missing); its nightly flags are accepted by the stable toolchain through
# RUSTC_BOOTSTRAP=1. Crashes land in fuzz/artifacts/TARGET/.
set -euo pipefail
secs=${1:-30}
cd "$(dirname "$0")/../fuzz"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1
san=(-s "${FUZZ_SANITIZER:-address}")
targets=$(cargo fuzz list)
cargo fuzz build "${san[@]}"
total=0
for t in $targets; do
  mkdir -p "corpus/$t"
  log=$(mktemp)
  if ! cargo fuzz run "${san[@]}" "$t" "corpus/$t" "seeds/$t" -- \
      -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "fuzz: $t FAILED; the input is in fuzz/artifacts/$t/" >&2
    rm -f "$log"
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
  echo "fuzz: $t: ${runs:-?} executions in ${secs}s, $cov, no crash"
  total=$((total + ${runs:-0}))
  rm -f "$log"
done
echo "fuzz: $total executions in all, no crash"
