#!/usr/bin/env bash
# Fuzzes the decoders that read network bytes (frames, entries, membership
# operations, the Automerge change check), each for SECONDS (default 60), with
# cargo fuzz and libFuzzer.
# Findings land in fuzz/artifacts/<target>/ and make this script fail.
#
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-60}
if ! command -v cargo-fuzz >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/cargo-fuzz" ]; then
  cargo install cargo-fuzz --locked --quiet
fi
# cargo fuzz passes nightly-only flags (-Zsanitizer); the stable toolchain accepts
# them when bootstrapping is allowed. No other toolchain is needed.
export RUSTC_BOOTSTRAP=1
for target in frame entry membership_op automerge_changes; do
  echo "fuzz: $target for ${seconds}s"
  cargo fuzz run "$target" -- -max_total_time="$seconds" -rss_limit_mb=2048 2>&1 | tail -n 3
done
