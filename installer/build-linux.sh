#!/usr/bin/env bash
# Build the Linux bundle: dist/Stagewise/ (one folder) and dist/stagewise-<version>-linux-x86_64.tar.gz
# with a .desktop file, the icon and a per-user install script (no admin rights needed).
#   bash installer/bootstrap.sh dist        (or: bash installer/build-linux.sh .venv)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV=${1:-.venv}
PY="$VENV/bin/python"
"$PY" -m PyInstaller --version >/dev/null 2>&1 || "$PY" -m pip install -q "pyinstaller>=6.10"
VERSION=$("$PY" -c 'import stagewise; print(stagewise.__version__)')
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller installer/stagewise.spec
cp installer/linux/stagewise.desktop installer/linux/install.sh dist/Stagewise/
cp resources/icons/stagewise.png dist/Stagewise/stagewise.png
chmod +x dist/Stagewise/install.sh
ARCH=$(uname -m)
tar -C dist -czf "dist/stagewise-$VERSION-linux-$ARCH.tar.gz" Stagewise
echo "built dist/Stagewise and dist/stagewise-$VERSION-linux-$ARCH.tar.gz"
