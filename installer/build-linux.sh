#!/usr/bin/env bash
# Build the Linux bundle: dist/Stagewise/ (one folder: Stagewise + stagewise-cli) and
# dist/stagewise-<version>-linux-<arch>.tar.gz with a .desktop file, the icon and a per-user install
# script (no admin rights needed).
#   bash installer/bootstrap.sh dist        (or: bash installer/build-linux.sh .venv)
# VENV is a virtual environment with Stagewise's dependencies and PyInstaller >= 6.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV=${1:-.venv}
PY="$VENV/bin/python"
if ! "$PY" -m PyInstaller --version >/dev/null 2>&1; then
  echo "PyInstaller is missing from $VENV; install it with: $PY -m pip install 'pyinstaller>=6.10'" >&2
  exit 2
fi
VERSION=$("$PY" -c 'import sys; sys.path.insert(0, "desktop"); import stagewise; print(stagewise.__version__)')
ICON=resources/icons/stagewise.png
[ -f "$ICON" ] || ICON=resources/icons/stagewise-256.png
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller \
  installer/stagewise.spec
cp installer/linux/stagewise.desktop installer/linux/install.sh dist/Stagewise/
cp "$ICON" dist/Stagewise/stagewise.png
chmod +x dist/Stagewise/install.sh
# A quick check that the frozen programs start (no practice file is touched).
QT_QPA_PLATFORM=offscreen dist/Stagewise/stagewise-cli --version
dist/Stagewise/stagewise-cli forms list >/dev/null
ARCH=$(uname -m)
tar -C dist -czf "dist/stagewise-$VERSION-linux-$ARCH.tar.gz" Stagewise
echo "built dist/Stagewise and dist/stagewise-$VERSION-linux-$ARCH.tar.gz"
