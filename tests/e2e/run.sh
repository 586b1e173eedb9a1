#!/usr/bin/env bash
# Runs the real-window test (run.mjs) against the built Bastide app: a private X
# display (Xvfb), a private session bus (dbus-run-session), an unlocked keyring when
# gnome-keyring is installed, a stand-in desktop notification server that logs what
# the app asks to show (notify-server.py), a fresh profile, and tauri-driver on
# 127.0.0.1:4444. Everything it starts is stopped when it exits, whatever the outcome.
#
#   BASTIDE_APP=target/debug/bastide-app BASTIDE_CLI=target/debug/bastide \
#   BASTIDE_RELAY=quic://127.0.0.1:4433#… tests/e2e/run.sh
#
# BASTIDE_CLI is the command-line client run.mjs uses as the second member.
# Needs: xvfb-run, dbus-run-session, dbus-send, WebKitWebDriver (webkit2gtk-driver), node,
# python3 with python3-gi (gir1.2-glib-2.0), and tauri-driver on PATH or in ~/.cargo/bin
# (cargo install tauri-driver --version '^2' --locked).
# Optional: E2E_ARTIFACTS (default tests/e2e/artifacts), E2E_DRIVER_PORT (4444),
# E2E_NATIVE_PORT (4445), E2E_TIMEOUT_MS, E2E_KEEP_PROFILE=1 to keep the profiles.
# Logs in E2E_ARTIFACTS: tauri-driver.log (the app's own output too), keyring.log,
# notify-server.log, notifications.jsonl (one line per notification), xvfb.log.
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
  [ -n "${BASTIDE_CLI:-}" ] || fail "set BASTIDE_CLI to the built command-line client (target/debug/bastide)"
  [ -n "${BASTIDE_RELAY:-}" ] || fail "set BASTIDE_RELAY to the relay address to type in the form"
  absolute() {
    local dir
    dir=$(cd "$(dirname "$1")" 2>/dev/null && pwd) || return 1
    echo "$dir/$(basename "$1")"
  }
  app=$(absolute "$BASTIDE_APP") || fail "BASTIDE_APP=$BASTIDE_APP: no such folder"
  cli=$(absolute "$BASTIDE_CLI") || fail "BASTIDE_CLI=$BASTIDE_CLI: no such folder"
  BASTIDE_APP=$app BASTIDE_CLI=$cli
  [ -x "$BASTIDE_APP" ] || fail "BASTIDE_APP=$BASTIDE_APP is not an executable file"
  [ -x "$BASTIDE_CLI" ] || fail "BASTIDE_CLI=$BASTIDE_CLI is not an executable file"
  export BASTIDE_APP BASTIDE_CLI BASTIDE_RELAY
  for tool in xvfb-run dbus-run-session dbus-send WebKitWebDriver node; do
    command -v "$tool" >/dev/null || fail "$tool not found (apt-get install xvfb xauth dbus webkit2gtk-driver; node 20)"
  done
  # The notification server needs GObject introspection: Debian's python3 has it
  # (python3-gi), a python3 of pyenv or a virtualenv earlier on PATH usually not.
  E2E_PYTHON=""
  for py in /usr/bin/python3 python3; do
    if "$py" -c 'import gi; gi.require_version("Gio", "2.0"); from gi.repository import Gio' 2>/dev/null; then
      E2E_PYTHON=$(command -v "$py")
      break
    fi
  done
  [ -n "$E2E_PYTHON" ] || fail "no python3 with GObject introspection (apt-get install python3-gi gir1.2-glib-2.0)"
  export E2E_PYTHON
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

# True once NAME has an owner on our session bus.
name_owned() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner "string:$1" 2>/dev/null | grep -q 'boolean true'
}

# Polls until NAME is owned: returns 1 after SECONDS, or at once if process PID died.
wait_for_name() {
  local name=$1 seconds=$2 pid=$3
  local deadline=$((SECONDS + seconds))
  until name_owned "$name"; do
    kill -0 "$pid" 2>/dev/null || return 1
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

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
  # Without it the app falls back to its key file, so this is a warning only.
  wait_for_name org.freedesktop.secrets 10 "$!" ||
    echo "run.sh: no Secret Service after 10 s; see $E2E_ARTIFACTS/keyring.log" >&2
fi

# The desktop notification server, owned before the app starts so that notify-rust
# finds it: it logs each notification as one JSON line for run.mjs to read.
name_owned org.freedesktop.Notifications && fail "org.freedesktop.Notifications is already owned on the test bus"
export E2E_NOTIFY_LOG=$E2E_ARTIFACTS/notifications.jsonl
: >"$E2E_NOTIFY_LOG"
setsid "$E2E_PYTHON" "$here/notify-server.py" "$E2E_NOTIFY_LOG" >"$E2E_ARTIFACTS/notify-server.log" 2>&1 &
notify_pid=$!
pids+=("$notify_pid")
wait_for_name org.freedesktop.Notifications 10 "$notify_pid" ||
  fail "the notification server did not own org.freedesktop.Notifications; see $E2E_ARTIFACTS/notify-server.log"

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

# The app's warnings and errors pass unnoticed when the checks still pass: show them
# (on stderr; the last line of the output stays run.mjs's summary). The app logs
# through tauri-driver's output; ANSI colours are stripped.
problems=$(sed 's/\x1b\[[0-9;]*m//g' "$E2E_ARTIFACTS/tauri-driver.log" | grep -E ' (WARN|ERROR) | error=' || true)
if [ -n "$problems" ]; then
  echo "run.sh: the app logged problems (full log: $E2E_ARTIFACTS/tauri-driver.log):" >&2
  printf '%s\n' "$problems" | head -n 20 | sed 's/^/  /' >&2
fi
exit "$status"
