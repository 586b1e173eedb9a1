#!/usr/bin/env bash
# Quick start: sets up what is missing, builds, starts a local relay (its data in
# ~/.local/share/bastide/relay) and the Bastide app (profile in
# ~/.local/share/bastide/profile). Closing the app stops the relay.
#
#   BASTIDE_PROFILE=DIR  use another profile (run a second one to play two computers)
#   BASTIDE_RELAY_PORT=N the relay's UDP port (default 4433)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/setup.sh
scripts/build-app.sh

target=${CARGO_TARGET_DIR:-$root/target}/debug
data=${XDG_DATA_HOME:-$HOME/.local/share}/bastide
port=${BASTIDE_RELAY_PORT:-4433}

. scripts/relay.sh
trap stop_relay EXIT

if start_relay "$target/bastide-relay" "127.0.0.1:$port" "$data/relay"; then
  echo "$RELAY" >"$data/relay.addr"
  echo "Relais local / local relay: $RELAY"
elif grep -q "cannot listen" "$data/relay/relay.log" && [ -s "$data/relay.addr" ]; then
  # A first instance already runs the relay on this port: share it.
  RELAY=$(cat "$data/relay.addr")
  echo "Relais déjà lancé / relay already running: $RELAY"
else
  echo "Le relais n'a pas démarré / the relay did not start:" >&2
  tail -n 5 "$data/relay/relay.log" >&2
  exit 1
fi

export BASTIDE_RELAY=$RELAY
export BASTIDE_PROFILE=${BASTIDE_PROFILE:-$data/profile}
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "Pas d'écran (DISPLAY) : lancement sous Xvfb. / No display: running under Xvfb."
  exec_app=(xvfb-run -a "$target/bastide-app")
else
  exec_app=("$target/bastide-app")
fi
"${exec_app[@]}"
