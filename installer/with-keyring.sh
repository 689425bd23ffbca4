#!/usr/bin/env bash
# Run a command with a fresh, unlocked gnome-keyring "login" collection (inside dbus-run-session), so the
# tests exercise the real Secret Service without touching the user's own keyring.
set -euo pipefail
export XDG_DATA_HOME
XDG_DATA_HOME=$(mktemp -d -t stagewise-keyring-XXXXXX)
mkdir -p "$XDG_DATA_HOME/keyrings"
if command -v gnome-keyring-daemon >/dev/null 2>&1; then
  eval "$(printf 'stagewise-test' | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)" || true
  export GNOME_KEYRING_CONTROL 2>/dev/null || true
fi
status=0
"$@" || status=$?
rm -rf "$XDG_DATA_HOME"
exit "$status"
