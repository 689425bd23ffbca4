"""The practice-safety commands: verify, backup, restore, drill, change-passphrase, rotate-key,
new-recovery-key — through ``stagewise.cli.main`` and, for a few, as real processes."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from sqlalchemy import text

from stagewise import cli
from stagewise.core.storage import backup, keys, store
from stagewise.core.storage.backup_schedule import backups_in
from tests.conftest import PASSPHRASE, PracticeTemplate

pytestmark = pytest.mark.e2e

NEW_PASSPHRASE = "Copper-Meadow-Falcon-81"


@pytest.fixture
def created(practice_path: Path, practice_template: PracticeTemplate) -> store.CreatedPractice:
    made = practice_template.created_copy(practice_path)
    made.practice.close()
    return made


def run(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, stdin: str = ""
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _one_line_error(err: str) -> str:
    lines = [line for line in err.splitlines() if not line.startswith("stagewise: note:")]
    assert len(lines) == 1, err
    assert lines[0].startswith("stagewise: ")
    return lines[0]


# --------------------------------------------------------------------------------------------------------
# verify


def test_verify_ok_with_keyring_and_with_stdin(
    created: store.CreatedPractice,
    practice_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, err = run(["verify", str(practice_path)], capsys, monkeypatch)
    assert (code, err) == (0, "")
    assert "Audit log: ok (1 events)" in out
    assert out.rstrip().endswith("Verification passed.")
    code, out, _ = run(
        ["verify", str(practice_path), "--passphrase-stdin"], capsys, monkeypatch, PASSPHRASE + "\n"
    )
    assert code == 0


def test_verify_reports_the_first_broken_audit_event(
    created: store.CreatedPractice,
    practice_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with store.open_practice(practice_path, created.practice.key) as p, p.session_factory.begin() as s:
        s.execute(text("DROP TRIGGER audit_no_update"))
        s.execute(text("UPDATE audit_event SET username = 'mallory' WHERE id = 1"))
    code, out, err = run(["verify", str(practice_path)], capsys, monkeypatch)
    assert code == 2
    assert "Audit log: broken at event 1" in out
    # Every problem on its own line; the one-line error names the first (the dropped trigger).
    assert "PROBLEM: protection: trigger audit_no_update is missing" in out.splitlines()
    assert "PROBLEM: audit log: event 1 its content does not match its hash" in out.splitlines()
    assert "protection: trigger audit_no_update is missing" in _one_line_error(err)


def test_verify_names_every_dropped_trigger_and_opening_refuses_to_write(
    created: store.CreatedPractice,
    practice_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from stagewise.core.storage import protections

    with store.open_practice(practice_path, created.practice.key) as p, p.session_factory.begin() as s:
        for name in s.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars().all():
            s.execute(text(f"DROP TRIGGER {name}"))
    code, out, err = run(["verify", str(practice_path)], capsys, monkeypatch)
    assert code == 2
    problems = [line for line in out.splitlines() if line.startswith("PROBLEM: ")]
    assert sorted(problems) == sorted(
        f"PROBLEM: protection: trigger {name} is missing" for name in protections.expected(None)
    )
    code, _, err = run(
        ["backup", str(practice_path), str(practice_path.parent / "b.stagewise")], capsys, monkeypatch
    )
    assert code == 2
    assert "will not be opened for writing: trigger" in _one_line_error(err)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        ("random", "not a Stagewise practice file, or it is damaged"),
        ("empty", "too small"),
        ("folder", "is a folder"),
        ("plain", "unencrypted SQLite"),
        ("nokeys", "keys is missing"),
        ("missing", "There is no practice file"),
    ],
)
def test_verify_refuses_things_that_are_not_practices(
    created: store.CreatedPractice,
    practice_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    make: str,
    message: str,
) -> None:
    target = tmp_path / "thing.stagewise"
    if make == "random":
        target.write_bytes(os.urandom(50_000))
        keys.keyfile_path(target).write_bytes(keys.keyfile_path(practice_path).read_bytes())
    elif make == "empty":
        target.write_bytes(b"")
    elif make == "folder":
        target.mkdir()
    elif make == "plain":
        import sqlite3

        sqlite3.connect(target).execute("create table t(x)").connection.commit()
    elif make == "nokeys":
        target.write_bytes(practice_path.read_bytes())
    before = target.read_bytes() if target.is_file() else None
    code, _, err = run(["verify", str(target), "--passphrase-stdin"], capsys, monkeypatch, PASSPHRASE + "\n")
    assert code == 2
    assert message in _one_line_error(err)
    assert (target.read_bytes() if target.is_file() else None) == before


def test_wrong_passphrase_is_exit_2_and_changes_nothing(
    created: store.CreatedPractice,
    practice_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = practice_path.read_bytes()
    code, _, err = run(
        ["verify", str(practice_path), "--passphrase-stdin"], capsys, monkeypatch, "Wrong-Guess-Entirely-1\n"
    )
    assert code == 2
    assert "passphrase is not correct" in _one_line_error(err)
    assert practice_path.read_bytes() == before


def test_newer_file_is_refused(
    created: store.CreatedPractice,
    practice_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with store.open_practice(practice_path, created.practice.key) as p, p.session_factory.begin() as s:
        s.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))
    code, _, err = run(["verify", str(practice_path)], capsys, monkeypatch)
    assert code == 2
    assert "newer version of Stagewise" in _one_line_error(err)


def test_keyring_unavailable_is_said_once_then_the_passphrase_is_needed(
    created: store.CreatedPractice,
    practice_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keyring.set_keyring(fail.Keyring())
    code, _, err = run(["verify", str(practice_path)], capsys, monkeypatch)
    assert code == 2
    assert err.count("keyring is not available") == 1
    assert "--passphrase-stdin" in _one_line_error(err)


# --------------------------------------------------------------------------------------------------------
# backup, restore, drill


def test_backup_to_folder_file_and_rotate(
    created: store.CreatedPractice,
    practice_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "usb"
    code, out, err = run(["backup", str(practice_path), str(folder)], capsys, monkeypatch)
    assert (code, err) == (0, "")
    (written,) = backups_in(folder)
    assert out.strip() == str(written)
    assert keys.keyfile_path(written).exists()
    code, out, _ = run(["backup", str(practice_path), str(folder), "--rotate"], capsys, monkeypatch)
    assert code == 0
    assert len(backups_in(folder)) >= 1
    exact = tmp_path / "exact.stagewise"
    code, out, _ = run(["backup", str(practice_path), str(exact)], capsys, monkeypatch)
    assert (code, out.strip()) == (0, str(exact))
    assert backup.verify_backup_file(exact, created.practice.key).practice_id == created.practice.practice_id
    code, _, err = run(["backup", str(practice_path), str(exact), "--rotate"], capsys, monkeypatch)
    assert code == 2
    assert "--rotate needs DEST to be a folder" in _one_line_error(err)


def test_backup_below_a_file_is_exit_2_and_recorded(
    created: store.CreatedPractice,
    practice_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    code, _, err = run(["backup", str(practice_path), str(blocker / "b.stagewise")], capsys, monkeypatch)
    assert code == 2
    assert "blocker: a file stands where a folder is needed" in _one_line_error(err)
    with store.open_practice(practice_path, created.practice.key) as p, p.session_factory() as s:
        assert s.execute(text("SELECT ok FROM maintenance_log WHERE kind = 'backup'")).scalars().all() == [0]


def test_restore_new_refuse_then_force(
    created: store.CreatedPractice,
    practice_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    b = tmp_path / "b.stagewise"
    assert run(["backup", str(practice_path), str(b)], capsys, monkeypatch)[0] == 0
    target = tmp_path / "elsewhere" / "restored.stagewise"
    code, out, err = run(
        ["restore", str(b), str(target), "--passphrase-stdin"], capsys, monkeypatch, PASSPHRASE + "\n"
    )
    assert (code, err) == (0, "")
    assert "Restored b.stagewise" in out
    before = practice_path.read_bytes()
    code, _, err = run(["restore", str(b), str(practice_path)], capsys, monkeypatch)
    assert code == 2
    assert "use --force" in _one_line_error(err)
    assert practice_path.read_bytes() == before
    code, out, _ = run(["restore", str(b), str(practice_path), "--force"], capsys, monkeypatch)
    assert code == 0
    assert "previous file was kept as practice.stagewise.replaced-" in out
    assert len(list(tmp_path.glob("practice.stagewise.replaced-*.keys"))) == 1


def test_restore_needs_the_backup_key_file(
    created: store.CreatedPractice,
    practice_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    b = tmp_path / "b.stagewise"
    assert run(["backup", str(practice_path), str(b)], capsys, monkeypatch)[0] == 0
    keys.keyfile_path(b).unlink()
    code, _, err = run(["restore", str(b), str(tmp_path / "new.stagewise")], capsys, monkeypatch)
    assert code == 2
    assert "b.stagewise.keys is missing" in _one_line_error(err)


def test_drill_good_and_corrupted(
    created: store.CreatedPractice,
    practice_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    b = tmp_path / "b.stagewise"
    assert run(["backup", str(practice_path), str(b)], capsys, monkeypatch)[0] == 0
    code, out, _ = run(["drill", str(practice_path), str(b)], capsys, monkeypatch)
    assert code == 0
    assert out.startswith("Restore drill passed")
    data = bytearray(b.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = os.urandom(64)
    b.write_bytes(bytes(data))
    code, _, err = run(["drill", str(practice_path), str(b)], capsys, monkeypatch)
    assert code == 2
    assert "Restore drill failed for b.stagewise" in _one_line_error(err)


# --------------------------------------------------------------------------------------------------------
# passphrase, recovery key, rotation


def test_change_passphrase_order_on_stdin(
    created: store.CreatedPractice,
    practice_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, _, err = run(
        ["change-passphrase", str(practice_path), "--passphrase-stdin"],
        capsys,
        monkeypatch,
        f"{PASSPHRASE}\nshort\n",
    )
    assert code == 2
    assert "too weak" in _one_line_error(err)
    code, _, err = run(
        ["change-passphrase", str(practice_path), "--passphrase-stdin"],
        capsys,
        monkeypatch,
        f"Wrong-Guess-Entirely-1\n{NEW_PASSPHRASE}\n",
    )
    assert code == 2
    assert "passphrase is not correct" in _one_line_error(err)
    code, out, _ = run(
        ["change-passphrase", str(practice_path), "--passphrase-stdin"],
        capsys,
        monkeypatch,
        f"{PASSPHRASE}\n{NEW_PASSPHRASE}\n",
    )
    assert code == 0
    assert "Passphrase changed" in out
    assert store.unlock_key(practice_path, passphrase=NEW_PASSPHRASE).key == created.practice.key


def test_recovery_key_sets_a_new_passphrase(
    created: store.CreatedPractice,
    practice_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """(f) through the CLI: the passphrase is forgotten; the recovery key sets a new one."""
    code, _, _ = run(
        ["change-passphrase", str(practice_path), "--passphrase-stdin", "--recovery-key"],
        capsys,
        monkeypatch,
        f"{created.recovery_key}\n{NEW_PASSPHRASE}\n",
    )
    assert code == 0
    assert (
        run(
            ["verify", str(practice_path), "--passphrase-stdin", "--no-keyring"],
            capsys,
            monkeypatch,
            NEW_PASSPHRASE + "\n",
        )[0]
        == 0
    )


def test_rotate_key_and_new_recovery_key(
    created: store.CreatedPractice,
    practice_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, _ = run(
        ["rotate-key", str(practice_path), "--passphrase-stdin"], capsys, monkeypatch, PASSPHRASE + "\n"
    )
    assert code == 0
    recovery = out.strip().splitlines()[-1]
    rotated = store.unlock_key(practice_path, recovery_key=recovery)
    assert rotated.key != created.practice.key
    code, out, _ = run(
        ["new-recovery-key", str(practice_path), "--passphrase-stdin"], capsys, monkeypatch, PASSPHRASE + "\n"
    )
    assert code == 0
    fresh = out.strip().splitlines()[-1]
    assert store.unlock_key(practice_path, recovery_key=fresh).key == rotated.key
    with pytest.raises(Exception, match="recovery key is not correct"):
        store.unlock_key(practice_path, recovery_key=recovery)
    code, out, _ = run(["verify", str(practice_path)], capsys, monkeypatch)
    assert code == 0
    assert "Audit log: ok (3 events)" in out  # create, rekey, new_recovery_key


def test_help_documents_the_stdin_order(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["change-passphrase", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "two lines, the current passphrase (or the recovery key) and then the new passphrase" in out


# --------------------------------------------------------------------------------------------------------
# real processes


def _stagewise(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stagewise", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_real_processes_backup_verify_and_errors(
    created: store.CreatedPractice, practice_path: Path, tmp_path: Path
) -> None:
    ok = _stagewise("verify", str(practice_path), "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert ok.returncode == 0, ok.stderr
    assert "Verification passed." in ok.stdout
    b = tmp_path / "b.stagewise"
    made = _stagewise("backup", str(practice_path), str(b), "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert made.returncode == 0, made.stderr
    assert b.exists()
    wrong = _stagewise("verify", str(practice_path), "--passphrase-stdin", stdin="Wrong-Guess-Entirely-1\n")
    assert wrong.returncode == 2
    assert wrong.stderr.strip().splitlines() == ["stagewise: The practice passphrase is not correct."]
    missing = _stagewise("verify", str(tmp_path / "nope.stagewise"), "--passphrase-stdin", stdin="x\n")
    assert missing.returncode == 2
    assert len(missing.stderr.strip().splitlines()) == 1
