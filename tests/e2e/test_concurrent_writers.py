"""Writers wait their turn: two imports and a backup started together all succeed, and every client of
both files is in the practice afterwards (the backup is one consistent, verified snapshot)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from stagewise.core.models import Client
from stagewise.core.storage import backup, store
from tests.conftest import PASSPHRASE

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CLIENTS_PER_FILE = 400


def _document(prefix: str) -> dict[str, object]:
    return {
        "format": "stagewise-practice",
        "version": 1,
        "clients": [
            {
                "chart_number": f"{prefix}-{n}",
                "given_name": "Test",
                "family_name": f"Person {prefix} {n}",
                "date_of_birth": "1980-05-06",
                "focuses": [{"id": "alcohol", "label": "Alcohol"}],
            }
            for n in range(CLIENTS_PER_FILE)
        ],
    }


def _start(args: list[str], home: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "STAGEWISE_HOME": str(home),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "PYTHONIOENCODING": "utf-8",
    }
    child = subprocess.Popen(
        [sys.executable, "-m", "stagewise", *args, "--passphrase-stdin"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=env,
    )
    assert child.stdin is not None
    child.stdin.write(PASSPHRASE + "\n")
    child.stdin.close()
    child.stdin = None  # written and closed: communicate() only collects the output
    return child


def test_two_imports_and_a_backup_started_together_all_succeed(tmp_path: Path, practice_path: Path) -> None:
    created = store.create_practice(practice_path, PASSPHRASE, save_to_keyring=False)
    created.practice.close()
    files = []
    for prefix in ("A", "B"):
        doc = tmp_path / f"{prefix}.json"
        doc.write_text(json.dumps(_document(prefix)), encoding="utf-8")
        files.append(doc)
    home = tmp_path / "home"
    dest = tmp_path / "snapshot.stagewise"
    children = [_start(["import", str(practice_path), str(f)], home) for f in files]
    children.append(_start(["backup", str(practice_path), str(dest)], home))
    for child in children:
        _out, err = child.communicate(timeout=300)
        assert child.returncode == 0, (child.args, err)
        assert "Traceback" not in err
    with store.open_practice(practice_path, created.practice.key) as p, p.read_factory() as s:
        charts = set(s.execute(select(Client.chart_number)).scalars())
    expected = {f"{prefix}-{n}" for prefix in ("A", "B") for n in range(CLIENTS_PER_FILE)}
    assert charts == expected
    # The backup is one snapshot: each import is all or nothing in it.
    backup.verify_backup_file(dest, created.practice.key)
    with store.open_practice(dest, created.practice.key, migrate=False) as copy, copy.read_factory() as s:
        in_copy = s.execute(select(func.count()).select_from(Client)).scalar_one()
    assert in_copy in (0, CLIENTS_PER_FILE, 2 * CLIENTS_PER_FILE)
