#!/usr/bin/env bash
# Every check and test of Bastide, as CI runs them: formatting, lints, the UI's type
# check and component tests, Rust unit/property/system tests (a real relay and real
# clients on 127.0.0.1), then the real app in a real window under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
features=(--features bastide-app/custom-protocol)

step() { printf '\n==> %s\n' "$*"; }

step "setup"
scripts/setup.sh

step "format"
cargo fmt --all -- --check

step "ui: type check and component tests"
(cd ui && npm run check && npm test)

step "build (ui bundle, app, relay, cli)"
scripts/build-app.sh

step "clippy"
cargo clippy --workspace --all-targets "${features[@]}" -- -D warnings

step "rust tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace "${features[@]}" --no-fail-fast
else
  cargo test --workspace "${features[@]}" --no-fail-fast
fi

step "the real app under Xvfb (WebKitWebDriver)"
. scripts/relay.sh
trap stop_relay EXIT
relay_data=$(mktemp -d "${TMPDIR:-/tmp}/bastide-e2e-relay.XXXXXX")
if ! start_relay "${CARGO_TARGET_DIR:-target}/debug/bastide-relay" 127.0.0.1:0 "$relay_data"; then
  cat "$relay_data/relay.log" >&2
  echo "e2e: 0 passed, 1 failed"
  exit 1
fi
export BASTIDE_CLI=${CARGO_TARGET_DIR:-target}/debug/bastide
e2e_out=$relay_data/e2e.out
status=0
BASTIDE_APP=${CARGO_TARGET_DIR:-target}/debug/bastide-app BASTIDE_RELAY=$RELAY tests/e2e/run.sh 2>&1 |
  tee "$e2e_out" || status=$?
# X clients complain on stderr as Xvfb goes away; repeat the summary as the last line.
grep '^e2e: ' "$e2e_out" | tail -n 1 || echo "e2e: 0 passed, 1 failed"
exit "$status"
