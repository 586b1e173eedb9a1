# Sourced by scripts/run.sh and scripts/test.sh: starts the relay binary in the
# background and reads the address it prints.
#
#   start_relay BINARY LISTEN DATA_DIR   sets RELAY (the address) and RELAY_PID; returns
#                                        non-zero if the relay exited without an address
#   stop_relay                           stops it (safe to call twice)

start_relay() {
  local binary=$1 listen=$2 data=$3
  mkdir -p "$data"
  : >"$data/relay.out"
  "$binary" serve --listen "$listen" --data "$data" >"$data/relay.out" 2>"$data/relay.log" &
  RELAY_PID=$!
  RELAY=""
  # The relay prints its address once it listens: poll the file for up to 20 s.
  local _
  for _ in $(seq 100); do
    RELAY=$(sed -n 's/^relay: //p' "$data/relay.out")
    if [ -n "$RELAY" ]; then return 0; fi
    if ! kill -0 "$RELAY_PID" 2>/dev/null; then break; fi
    sleep 0.2
  done
  RELAY_PID=""
  return 1
}

stop_relay() {
  if [ -n "${RELAY_PID:-}" ]; then
    kill "$RELAY_PID" 2>/dev/null || true
    wait "$RELAY_PID" 2>/dev/null || true
    RELAY_PID=""
  fi
}
