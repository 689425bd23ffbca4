#!/usr/bin/env bash
# Set up a development environment and run Stagewise or its tests.
#
#   bash installer/bootstrap.sh run     # set up, then launch the app
#   bash installer/bootstrap.sh test    # set up, then run every test (lint, types, unit, GUI, end-to-end,
#                                       # then the bundle and benchmark tests: docs/testing.md)
#   bash installer/bootstrap.sh dist    # set up, then build the Linux bundle (installer/README.md)
#
# Works on a fresh Debian or Ubuntu machine with Python >= 3.11: missing system packages are installed
# with apt-get (through sudo when not root), the Python packages go into .venv beside this checkout.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
VENV=${STAGEWISE_VENV:-$ROOT/.venv}
MODE=${1:-run}
shift || true

say() { printf '\033[1mstagewise:\033[0m %s\n' "$*" >&2; }

# ---------------------------------------------------------------- system packages
RUN_PACKAGES=(libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libglib2.0-0
              libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-randr0 libxcb-render-util0
              libxcb-image0 libxcb-xinerama0 gnome-keyring dbus-user-session)
TEST_PACKAGES=(dbus gnome-keyring poppler-utils xvfb xauth)

python_ok() { "$1" -c 'import sys; raise SystemExit(sys.version_info < (3, 11))' 2>/dev/null; }

pick_python() {
  for candidate in ${PYTHON:-} python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
      command -v "$candidate"; return 0
    fi
  done
  return 1
}

missing_packages() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || printf '%s\n' "$pkg"
  done
}

apt_install() {
  (($# == 0)) && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    say "please install these system packages with your package manager: $*"; return 0
  fi
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  say "installing system packages: $*"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

system_setup() {
  local wanted=("${RUN_PACKAGES[@]}")
  [ "$MODE" = run ] || wanted+=("${TEST_PACKAGES[@]}")
  local py
  py=$(pick_python) || { apt_install python3 python3-venv; py=$(pick_python) || { say "Python >= 3.11 is required"; exit 1; }; }
  if ! "$py" -c 'import ensurepip, venv' 2>/dev/null; then
    local ver; ver=$("$py" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    wanted+=("python$ver-venv")
  fi
  if command -v dpkg-query >/dev/null 2>&1; then
    mapfile -t todo < <(missing_packages "${wanted[@]}")
    apt_install "${todo[@]}"
  fi
  PY=$py
}

# ---------------------------------------------------------------- Python environment
venv_setup() {
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV"
    "$PY" -m venv "$VENV"
  fi
  local stamp="$VENV/.stagewise-installed" want
  want=$(cat pyproject.toml | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "installing Stagewise and its dependencies into $VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
    "$VENV/bin/python" -m pip install -q -e ".[dev]"
    echo "$want" > "$stamp"
  fi
}

# ---------------------------------------------------------------- commands
pytest_in_session() {
  dbus-run-session -- bash installer/with-keyring.sh "$VENV/bin/python" -m pytest "$@"
}

# Two pytest runs: the default suite, then the tests marked packaging or benchmark (the PyInstaller bundle
# and the benchmark smoke run), which pyproject's addopts leave out of a plain `pytest`.  Both always run;
# the status is the first failure's, else 0 if either ran tests, else 5 (pytest's "no tests collected",
# e.g. when the arguments name only files of one kind).
run_tests() {
  export QT_QPA_PLATFORM=offscreen
  say "ruff"
  "$VENV/bin/ruff" check desktop tests
  "$VENV/bin/ruff" format --check desktop tests
  say "mypy"
  "$VENV/bin/mypy"
  local first=0 second=0
  say "pytest: the default suite (inside a private D-Bus session with a real gnome-keyring)"
  pytest_in_session "$@" || first=$?
  say "pytest: the PyInstaller bundle and the benchmark smoke run (-m 'packaging or benchmark')"
  pytest_in_session -m "packaging or benchmark" "$@" || second=$?
  local status
  for status in "$first" "$second"; do
    if [ "$status" -ne 0 ] && [ "$status" -ne 5 ]; then return "$status"; fi
  done
  if [ "$first" -eq 0 ] || [ "$second" -eq 0 ]; then return 0; fi
  return 5
}

system_setup
venv_setup
case "$MODE" in
  run)  exec "$VENV/bin/stagewise-gui" "$@" ;;
  test) run_tests "$@" && status=0 || status=$?; exit "$status" ;;
  dist) exec bash installer/build-linux.sh "$VENV" "$@" ;;
  *) say "usage: bash installer/bootstrap.sh run|test|dist"; exit 2 ;;
esac
