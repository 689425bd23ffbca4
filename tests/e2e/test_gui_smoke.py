"""The real app, started as a subprocess offscreen: ``--smoke-test PATH --passphrase-stdin``."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stagewise.core.clients import records as clients
from tests.conftest import PASSPHRASE, PracticeTemplate

pytestmark = pytest.mark.e2e


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        STAGEWISE_HOME=str(home),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    return env


def _run(args: list[str], home: Path, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stagewise.ui.app", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=_env(home),
        timeout=120,
        check=False,
    )


@pytest.fixture
def practice_with_clients(practice_path: Path, practice_template: PracticeTemplate) -> Path:
    practice = practice_template.open_copy(practice_path, keyring=False)
    with practice.session_factory.begin() as s:
        for chart, given, family in (("1", "Jo", "Smith"), ("2", "Ana", "Okafor"), ("3", "Sam", "Lee")):
            clients.create_client(
                s,
                chart_number=chart,
                given_name=given,
                family_name=family,
                date_of_birth=dt.date(1980, 1, 1),
                actor="test",
            )
    practice.close()
    return practice_path


def test_smoke_test_opens_practice_and_shows_clients(practice_with_clients: Path, tmp_path: Path) -> None:
    home = tmp_path / "gui-home"
    result = _run(["--smoke-test", str(practice_with_clients), "--passphrase-stdin"], home, PASSPHRASE + "\n")
    assert result.returncode == 0, result.stderr
    assert "smoke-test: main window shows 3 clients" in result.stdout
    # The first page is read before the ORM loads; then the full practice opens and takes over the list.
    assert "smoke-test: full practice open, the list shows 3 clients" in result.stdout
    log = (home / "logs" / "stagewise.log").read_text(encoding="utf-8")
    assert "smoke-test: main window shows 3 clients" in log
    # Privacy: the log names no client.
    for name in ("Smith", "Okafor", "Lee", "Jo ", "Ana"):
        assert name not in log


def test_smoke_test_refuses_without_the_key(practice_with_clients: Path, tmp_path: Path) -> None:
    home = tmp_path / "gui-home"
    wrong = _run(
        ["--smoke-test", str(practice_with_clients), "--passphrase-stdin"], home, "Not-The-Right-One-99\n"
    )
    assert wrong.returncode == 2
    assert "passphrase is not correct" in wrong.stderr
    assert "main window" not in wrong.stdout
    # No passphrase and no keyring: nothing opens, nothing is shown.
    none = _run(["--smoke-test", str(practice_with_clients)], home, "")
    assert none.returncode == 2
    assert "keyring" in none.stderr
    assert "Smith" not in none.stdout + none.stderr


def _set_revision(path: Path, revision: str) -> None:
    from stagewise.core.storage import rawdb, unlock

    key = unlock.unlock_key(path, passphrase=PASSPHRASE, use_keyring=False).key
    conn = rawdb.connect(path, key)
    try:
        conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    finally:
        conn.close()


def test_smoke_test_of_a_newer_file_falls_back_to_the_full_open_and_its_message(
    practice_with_clients: Path, tmp_path: Path
) -> None:
    _set_revision(practice_with_clients, "9999")
    home = tmp_path / "gui-home"
    result = _run(["--smoke-test", str(practice_with_clients), "--passphrase-stdin"], home, PASSPHRASE + "\n")
    assert result.returncode == 2
    assert "newer version of Stagewise" in result.stderr
    assert "main window" not in result.stdout


def test_startup_path_imports_no_sqlalchemy() -> None:
    """The main window and the first screen load before SQLAlchemy (start-up time, issue #8)."""
    code = (
        "import sys; import stagewise.ui.app, stagewise.ui.main_window, stagewise.ui.clients.chart_tabs,"
        " stagewise.core.clients.first_screen;"
        "heavy = sorted(m for m in ('sqlalchemy', 'alembic', 'pydantic', 'reportlab', 'pypdfium2')"
        " if m in sys.modules);"
        "assert not heavy, heavy"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, env=env)


def test_gui_command_is_registered_and_qt_free_until_run() -> None:
    code = (
        "import sys; from stagewise.cli import build_parser; p = build_parser();"
        "a = p.parse_args(['gui', '--no-dialogs', 'x.stagewise']);"
        "assert a.func.__module__ == 'stagewise.commands.gui';"
        "assert not any(m.startswith('PySide6') for m in sys.modules), 'Qt imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
