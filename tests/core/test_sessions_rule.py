"""docs/architecture.md's rule: core functions take the caller's session; only maintenance jobs open
their own, and each of them says so in its module docstring."""

from __future__ import annotations

import ast
from pathlib import Path

import stagewise

CORE = Path(stagewise.__file__).parent / "core"


def _opens_sessions(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "session_factory":
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Session":
            return True
    return False


def test_only_maintenance_jobs_open_sessions_and_they_say_so() -> None:
    owners = {}
    for path in sorted(CORE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if _opens_sessions(tree):
            owners[path.relative_to(CORE).as_posix()] = ast.get_docstring(tree) or ""
    assert set(owners) == {
        "custodian/package.py",
        "demo/generate.py",
        "interchange/fhir_bundle.py",
        "storage/anchor.py",
        "storage/backup.py",
        "storage/backup_schedule.py",
        "storage/store.py",
        "storage/upgrade.py",
        "storage/verify.py",
    }
    quiet = [name for name, doc in owners.items() if "Sessions:" not in doc]
    assert quiet == []
