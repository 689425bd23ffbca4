"""``stagewise init``, ``users``, ``import`` and ``export``: in-process through ``cli.main`` and as real
subprocesses (passphrase from stdin, keyring switched off as on a server without one)."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stagewise.cli import main
from stagewise.core import users
from stagewise.core.models import Role
from stagewise.core.storage import keys, store
from tests.conftest import ADMIN_PASSWORD, PASSPHRASE

RECOVERY_RE = re.compile(r"RECOVERY KEY: ([A-Z2-7]{4}(?:-[A-Z2-7]{4}){7})\n")
CLIENTS = {
    "format": "stagewise-practice",
    "version": 1,
    "clients": [
        {
            "chart_number": "C-100",
            "given_name": "Zoë",
            "family_name": "Łukasiewicz-Ødegård",
            "date_of_birth": "1990-03-01",
            "focuses": [{"id": "alcohol", "label": "Alcohol"}],
        },
        {"chart_number": "A-7", "given_name": "Jo", "family_name": "Smith", "date_of_birth": "1970-01-01"},
    ],
}


def _stdin(monkeypatch: pytest.MonkeyPatch, *lines: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(f"{line}\n" for line in lines)))


def _init(path: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> int:
    _stdin(monkeypatch, PASSPHRASE, ADMIN_PASSWORD)
    return main(
        ["init", str(path), "--admin", "jdoe", "--name", "Harbour Counselling", "--passphrase-stdin", *extra]
    )


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# --------------------------------------------------------------------------------------------------------
# In process


def test_init_creates_practice_admin_and_prints_recovery_key_once(
    practice_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _init(practice_path, monkeypatch, "--no-keyring", "--display-name", "Jordan Doe") == 0
    out, err = capsys.readouterr()
    assert err == ""
    match = RECOVERY_RE.search(out)
    assert match is not None
    assert out.count(match.group(1)) == 1
    assert "Print this recovery key" in out
    assert "NOT kept in a keyring" in out
    assert PASSPHRASE not in out
    assert ADMIN_PASSWORD not in out
    key = store.unlock_key(practice_path, recovery_key=match.group(1), use_keyring=False).key
    with store.open_practice(practice_path, key) as p:
        with p.session_factory.begin() as s:
            admin = users.authenticate(s, "jdoe", ADMIN_PASSWORD)
    assert admin.roles == frozenset({Role.ADMIN, Role.CLINICIAN})
    assert admin.display_name == "Jordan Doe"


def test_init_says_when_the_keyring_holds_the_key(
    practice_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _init(practice_path, monkeypatch) == 0
    assert "kept in this computer's keyring" in capsys.readouterr().out
    assert store.unlock_key(practice_path).source == "keyring"


@pytest.mark.parametrize(
    ("argv", "secrets", "message"),
    [
        (["--admin", "JDoe"], [PASSPHRASE, ADMIN_PASSWORD], "user name cannot be used"),
        (["--admin", "jdoe"], ["short", ADMIN_PASSWORD], "passphrase is too weak"),
        (["--admin", "jdoe"], [PASSPHRASE, "password1234"], "password is too weak"),
        (["--admin", "jdoe"], [PASSPHRASE, PASSPHRASE], "different from the practice passphrase"),
        (["--admin", "jdoe"], [PASSPHRASE], "expected password for jdoe on standard input"),
    ],
)
def test_init_refuses_bad_input_and_leaves_no_file(
    practice_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    secrets: list[str],
    message: str,
) -> None:
    _stdin(monkeypatch, *secrets)
    assert main(["init", str(practice_path), "--passphrase-stdin", "--no-keyring", *argv]) == 2
    assert message in _one_line(capsys.readouterr().err)
    assert list(practice_path.parent.glob("practice.stagewise*")) == []


def test_init_refuses_an_existing_file(
    practice_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _init(practice_path, monkeypatch, "--no-keyring") == 0
    before = practice_path.read_bytes()
    capsys.readouterr()
    assert _init(practice_path, monkeypatch, "--no-keyring") == 2
    assert "already exists" in _one_line(capsys.readouterr().err)
    assert practice_path.read_bytes() == before


def test_users_add_and_list(
    practice_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _init(practice_path, monkeypatch, "--no-keyring") == 0
    capsys.readouterr()
    _stdin(monkeypatch, PASSPHRASE, "Granite-Willow-Parade-88")
    argv = ["users", "add", str(practice_path), "asmith", "--role", "clinician", "--role", "supervisor"]
    assert main([*argv, "--display-name", "Alex Smith", "--passphrase-stdin"]) == 0
    assert capsys.readouterr().out == "Added asmith (clinician, supervisor).\n"
    _stdin(monkeypatch, PASSPHRASE, "Granite-Willow-Parade-88")
    assert main([*argv, "--passphrase-stdin"]) == 2
    assert "asmith is already taken" in _one_line(capsys.readouterr().err)
    _stdin(monkeypatch, PASSPHRASE)
    assert main(["users", "list", str(practice_path), "--passphrase-stdin", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(u["username"], u["roles"], u["display_name"]) for u in listed] == [
        ("asmith", ["clinician", "supervisor"], "Alex Smith"),
        ("jdoe", ["admin", "clinician"], "jdoe"),
    ]
    _stdin(monkeypatch, "Wrong-Passphrase-123")
    assert main(["users", "list", str(practice_path), "--passphrase-stdin"]) == 2
    assert "passphrase is not correct" in _one_line(capsys.readouterr().err)
    assert main(["users"]) == 2
    assert "users list" in _one_line(capsys.readouterr().err)


def test_import_and_export_in_process(
    practice_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _init(practice_path, monkeypatch) == 0  # the (test) keyring holds the key: no passphrase needed
    capsys.readouterr()
    source = tmp_path / "clients.json"
    source.write_text(json.dumps(CLIENTS, ensure_ascii=False), encoding="utf-8")
    assert main(["import", str(practice_path), str(source)]) == 0
    assert capsys.readouterr().out.startswith("Imported 2 client(s) with 1 focus(es)")
    out = tmp_path / "one.json"
    assert main(["export", str(practice_path), "--out", str(out), "--client", "C-100"]) == 0
    captured = capsys.readouterr()
    assert "NOT encrypted" in _one_line(captured.err)
    assert captured.out.startswith("Exported 1 client(s) with 1 focus(es)")
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert [c["given_name"] for c in exported["clients"]] == ["Zoë"]
    assert main(["export", str(practice_path), "--out", str(out)]) == 2
    assert "already exists" in _one_line(capsys.readouterr().err)
    assert main(["export", str(practice_path), "--out", str(out), "--force"]) == 0
    assert len(json.loads(out.read_text(encoding="utf-8"))["clients"]) == 2
    capsys.readouterr()
    assert main(["export", str(practice_path), "--out", str(tmp_path / "x.json"), "--client", "Q-1"]) == 2
    assert "No client has chart number Q-1" in _one_line(capsys.readouterr().err)
    assert not (tmp_path / "x.json").exists()


# --------------------------------------------------------------------------------------------------------
# Real subprocesses


def _run(args: list[str], stdin: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "STAGEWISE_HOME": str(home),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "PYTHONIOENCODING": "utf-8",
    }
    return subprocess.run(
        [sys.executable, "-m", "stagewise", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.e2e
def test_cli_init_import_export_as_subprocesses(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = tmp_path / "clinic.stagewise"
    secrets = f"{PASSPHRASE}\n{ADMIN_PASSWORD}\n"
    init: list[str] = ["init", str(path), "--admin", "jdoe", "--no-keyring", "--passphrase-stdin"]
    done = _run(init, secrets, home)
    assert (done.returncode, done.stderr) == (0, "")
    assert RECOVERY_RE.search(done.stdout)
    # The command runs at the production Argon2id cost (the test process runs it cheaper: tests/conftest.py).
    slot = keys.KeyFile.read(keys.keyfile_path(path)).slots[keys.PASSPHRASE_SLOT]
    assert slot.params == {"time_cost": 3, "memory_cost": 65536, "parallelism": 2}

    again = _run(init, secrets, home)
    assert again.returncode == 2
    assert again.stdout == ""
    assert "already exists" in _one_line(again.stderr)

    good = tmp_path / "clients.json"
    good.write_text(json.dumps(CLIENTS, ensure_ascii=False), encoding="utf-8")
    imported = _run(["import", str(path), str(good), "--passphrase-stdin"], f"{PASSPHRASE}\n", home)
    assert (imported.returncode, imported.stderr) == (0, "")
    assert imported.stdout.startswith("Imported 2 client(s) with 1 focus(es)")

    bad_doc: dict[str, Any] = json.loads(json.dumps(CLIENTS))
    bad_doc["clients"][1]["date_of_birth"] = "1970-13-01"
    bad_doc["clients"].append({"chart_number": "N-1", "given_name": "Ann"})
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bad_doc), encoding="utf-8")
    refused = _run(["import", str(path), str(bad), "--passphrase-stdin"], f"{PASSPHRASE}\n", home)
    assert refused.returncode == 2
    assert "Traceback" not in refused.stderr
    assert refused.stderr.splitlines() == [
        "stagewise: Import file is invalid, nothing was imported: $.clients[0].chart_number: chart number "
        "C-100 is already in use in this practice (and 4 more problem(s))",
        "$.clients[0].chart_number: chart number C-100 is already in use in this practice",
        "$.clients[1].chart_number: chart number A-7 is already in use in this practice",
        "$.clients[1].date_of_birth: 1970-13-01 is not a real date",
        "$.clients[2].family_name: is missing",
        "$.clients[2].date_of_birth: is missing",
    ]

    out = tmp_path / "export.json"
    exported = _run(["export", str(path), "--out", str(out), "--passphrase-stdin"], f"{PASSPHRASE}\n", home)
    assert exported.returncode == 0
    assert "NOT encrypted" in _one_line(exported.stderr)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [c["chart_number"] for c in doc["clients"]] == ["A-7", "C-100"]

    wrong = _run(
        ["export", str(path), "--out", str(tmp_path / "w.json"), "--passphrase-stdin"], "nope\n", home
    )
    assert wrong.returncode == 2
    assert "passphrase is not correct" in _one_line(wrong.stderr)
    assert not (tmp_path / "w.json").exists()
