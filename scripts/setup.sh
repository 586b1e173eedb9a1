#!/usr/bin/env bash
# Installs what building and testing Bastide needs on Debian 12, idempotently:
# Debian packages (only those missing), the UI's npm packages, the e2e driver.
# Safe to run again: it does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

packages=(
  # Tauri on Linux
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev
  libssl-dev libxdo-dev build-essential pkg-config file
  # The real window under test, the keyring and notifications
  xvfb xauth webkit2gtk-driver dbus dbus-x11 gnome-keyring keyutils
  python3-gi gir1.2-glib-2.0 imagemagick
)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: Rust (cargo) is missing; install it from rustup or Debian first" >&2
  exit 1
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "setup: Node.js and npm are missing; install Node 20 or later first" >&2
  exit 1
fi

# UI dependencies: reinstall only when the lock file changed.
install_npm() {
  local dir=$1
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "setup: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
install_npm ui
install_npm tests/e2e

# tauri-driver bridges WebDriver to WebKitWebDriver for the real-window tests.
if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  echo "setup: cargo install tauri-driver"
  cargo install tauri-driver --version '^2' --locked --quiet
fi
