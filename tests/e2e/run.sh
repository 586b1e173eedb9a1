#!/usr/bin/env bash
# Runs the real-window test (run.mjs) against the built Bastide app: a private X
# display (Xvfb), a private session bus (dbus-run-session), an unlocked keyring when
# gnome-keyring is installed, a fresh profile, and tauri-driver on 127.0.0.1:4444.
# Everything it starts is stopped when it exits, whatever the outcome.
#
#   BASTIDE_APP=target/release/bastide-app BASTIDE_RELAY=127.0.0.1:4433 tests/e2e/run.sh
#
# Needs: xvfb-run, dbus-run-session, WebKitWebDriver (webkit2gtk-driver), node, and
# tauri-driver on PATH or in ~/.cargo/bin (cargo install tauri-driver --version '^2' --locked).
# Optional: E2E_ARTIFACTS (default tests/e2e/artifacts), E2E_DRIVER_PORT (4444),
# E2E_NATIVE_PORT (4445), E2E_TIMEOUT_MS, E2E_KEEP_PROFILE=1 to keep the profile.
# The last line of output is run.mjs's `e2e: N passed, M failed`.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export E2E_ARTIFACTS=${E2E_ARTIFACTS:-$here/artifacts}
export E2E_DRIVER_PORT=${E2E_DRIVER_PORT:-4444}
native_port=${E2E_NATIVE_PORT:-4445}

fail() {
  echo "run.sh: $*" >&2
  echo "e2e: 0 passed, 1 failed"
  exit 2
}

# --- Outside: check what is needed, then re-run this script on its own display and bus.
if [ -z "${BASTIDE_E2E_INSIDE:-}" ]; then
  [ -n "${BASTIDE_APP:-}" ] || fail "set BASTIDE_APP to the built app binary"
  [ -n "${BASTIDE_RELAY:-}" ] || fail "set BASTIDE_RELAY to the relay address to type in the form"
  BASTIDE_APP=$(cd "$(dirname "$BASTIDE_APP")" && pwd)/$(basename "$BASTIDE_APP")
  [ -x "$BASTIDE_APP" ] || fail "BASTIDE_APP=$BASTIDE_APP is not an executable file"
  export BASTIDE_APP BASTIDE_RELAY
  for tool in xvfb-run dbus-run-session WebKitWebDriver node; do
    command -v "$tool" >/dev/null || fail "$tool not found (apt-get install xvfb xauth dbus webkit2gtk-driver; node 20)"
  done
  mkdir -p "$E2E_ARTIFACTS"
  if [ ! -d "$here/node_modules/webdriverio" ]; then
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >&2 || fail "npm ci failed in $here"
  fi
  export BASTIDE_E2E_INSIDE=1
  # -a: the first free display number; Xvfb's own complaints go to a log, not the output.
  exec xvfb-run -a -e "$E2E_ARTIFACTS/xvfb.log" -s "-screen 0 1280x800x24 -nolisten tcp" \
    dbus-run-session -- "$here/run.sh"
fi

# --- Inside: DISPLAY and DBUS_SESSION_BUS_ADDRESS are ours alone.
pids=()
profile=$(mktemp -d "${TMPDIR:-/tmp}/bastide-e2e-profile.XXXXXX")
export BASTIDE_PROFILE=$profile

cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    # Each helper runs in its own process group (setsid): stop the group, so the
    # WebKitWebDriver and app that tauri-driver started go too.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [ -z "${E2E_KEEP_PROFILE:-}" ]; then rm -rf "$profile"; else echo "run.sh: profile kept in $profile" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Leave WebKitGTK's renderer settings alone: with WEBKIT_DISABLE_DMABUF_RENDERER=1,
# WebKitGTK 2.50 under Xvfb never answered WebDriver's screenshot command.

# An unlocked Secret Service on this bus, so the app can keep its keys in a keyring
# exactly as on a desktop. Without gnome-keyring the app uses its own key file.
if command -v gnome-keyring-daemon >/dev/null; then
  # Its keyring files and control socket live in the profile, and go with it.
  keyring_dir=$profile/keyring
  mkdir -p -m 700 "$keyring_dir/data" "$keyring_dir/run"
  printf 'e2e' | XDG_DATA_HOME=$keyring_dir/data XDG_RUNTIME_DIR=$keyring_dir/run \
    setsid gnome-keyring-daemon --foreground --unlock --components=secrets \
    >"$E2E_ARTIFACTS/keyring.log" 2>&1 &
  pids+=($!)
  # The app must find the Secret Service when it starts: poll until the name is owned.
  if command -v dbus-send >/dev/null; then
    deadline=$((SECONDS + 10))
    until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; do
      if [ "$SECONDS" -ge "$deadline" ]; then
        echo "run.sh: no Secret Service after 10 s; see $E2E_ARTIFACTS/keyring.log" >&2
        break
      fi
      sleep 0.1
    done
  fi
fi

tauri_driver=$(command -v tauri-driver || true)
[ -n "$tauri_driver" ] || tauri_driver=$HOME/.cargo/bin/tauri-driver
[ -x "$tauri_driver" ] || fail "tauri-driver not found: cargo install tauri-driver --version '^2' --locked"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port_open "$E2E_DRIVER_PORT" && fail "port $E2E_DRIVER_PORT is already in use (set E2E_DRIVER_PORT)"
port_open "$native_port" && fail "port $native_port is already in use (set E2E_NATIVE_PORT)"

setsid "$tauri_driver" --port "$E2E_DRIVER_PORT" --native-port "$native_port" \
  >"$E2E_ARTIFACTS/tauri-driver.log" 2>&1 &
driver_pid=$!
pids+=("$driver_pid")

# Poll until tauri-driver listens; give up if it dies or after 30 s.
deadline=$((SECONDS + 30))
until port_open "$E2E_DRIVER_PORT"; do
  kill -0 "$driver_pid" 2>/dev/null || fail "tauri-driver exited; see $E2E_ARTIFACTS/tauri-driver.log"
  [ "$SECONDS" -lt "$deadline" ] || fail "tauri-driver did not listen on port $E2E_DRIVER_PORT within 30 s"
  sleep 0.1
done

status=0
node "$here/run.mjs" || status=$?
exit "$status"
