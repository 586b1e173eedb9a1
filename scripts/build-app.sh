#!/usr/bin/env bash
# Builds the UI and the desktop app binary that serves it (no dev server needed),
# plus the relay and the command-line client. Prints nothing but cargo's and vite's
# own output. Profile: debug by default, BASTIDE_RELEASE=1 for release.
set -euo pipefail
cd "$(dirname "$0")/.."
(cd ui && npm run build --silent)
if [ "${BASTIDE_RELEASE:-0}" = "1" ]; then
  cargo build --release --workspace --features bastide-app/custom-protocol
else
  cargo build --workspace --features bastide-app/custom-protocol
fi
