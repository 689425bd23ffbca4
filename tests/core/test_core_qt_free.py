"""The architecture rule: everything outside ``stagewise.ui`` imports without loading any Qt module."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import stagewise


def _core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(stagewise.__path__, "stagewise."):
        if info.name.startswith(("stagewise.ui", "stagewise.migrations.versions")):
            continue
        if info.name in {
            "stagewise.__main__",
            "stagewise.migrations.env",
            "stagewise.migrations.make_baseline",
        }:
            continue
        names.append(info.name)
    return names


def test_core_modules_exist() -> None:
    modules = _core_modules()
    assert "stagewise.core.storage.store" in modules
    assert "stagewise.cli" in modules


def test_core_imports_without_qt() -> None:
    modules = _core_modules()
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "qt = ('PySide6', 'shiboken6', 'PyQt5', 'PyQt6')\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in qt)\n"
        "print(','.join(loaded))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"Qt loaded by the core: {out.stdout.strip()}"


def test_cli_help_builds_without_qt() -> None:
    code = (
        "import sys\n"
        "from stagewise.cli import build_parser\n"
        "build_parser()\n"
        "print(any(m.startswith('PySide6') for m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
