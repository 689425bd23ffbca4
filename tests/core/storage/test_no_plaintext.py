"""(a) No plaintext: a client's name and a note's text appear in no byte of the practice file, its WAL
(before a checkpoint), a backup, a restored copy, their key files, or the logs."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from pathlib import Path

import pytest

from stagewise.core.audit import trail as audit
from stagewise.core.models import Client, Note, User
from stagewise.core.storage import backup, store, verify
from tests.conftest import PracticeTemplate

GIVEN, FAMILY = "Zebulon", "Quixotefieldsworth"
NOTE_MARKER = "NOTEMARKER-crocodile-7f3a9c"
SECRETS = (GIVEN, FAMILY, NOTE_MARKER, GIVEN.casefold(), FAMILY.casefold())


def _leaks(data: bytes) -> list[str]:
    found = []
    for secret in SECRETS:
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            if secret.encode(encoding) in data:
                found.append(f"{secret} ({encoding})")
    return found


def _all_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def _add_client_and_note(practice: store.Practice) -> None:
    with practice.session_factory.begin() as s:
        user = User(username="drlee", display_name="Dr Lee", roles="clinician", password_hash="x")
        s.add(user)
        s.flush()
        try:
            from stagewise.core.clients import records as clients
        except ImportError:  # pragma: no cover - the clients module is written concurrently
            client = Client(
                chart_number="C-1",
                given_name=GIVEN,
                family_name=FAMILY,
                given_name_key=GIVEN.casefold(),
                family_name_key=FAMILY.casefold(),
                date_of_birth=dt.date(1980, 1, 1),
            )
            s.add(client)
            s.flush()
            client_id = client.id
        else:
            client_id = clients.create_client(
                s,
                chart_number="C-1",
                given_name=GIVEN,
                family_name=FAMILY,
                date_of_birth=dt.date(1980, 1, 1),
                actor="drlee",
            ).id
        note = Note(
            client_id=client_id,
            template_id="progress",
            template_version="1",
            author_id=user.id,
            fields={"summary": f"{NOTE_MARKER} talked about {GIVEN}'s week"},
        )
        s.add(note)
        s.flush()
        audit.record(s, "drlee", "create", "note", note.id)


def test_the_search_finds_plaintext_so_the_test_can_fail(tmp_path: Path) -> None:
    plain = tmp_path / "plain.db"
    conn = sqlite3.connect(plain)
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (?)", (f"{GIVEN} {FAMILY} {NOTE_MARKER}",))
    conn.commit()
    conn.close()
    assert _leaks(plain.read_bytes())


def test_no_client_data_in_file_wal_backup_restore_or_logs(
    practice_path: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, practice_template: PracticeTemplate
) -> None:
    caplog.set_level(logging.DEBUG)
    practice = practice_template.open_copy(practice_path)
    _add_client_and_note(practice)

    wal = practice_path.with_name(practice_path.name + "-wal")
    assert wal.stat().st_size > 0, "the writes should still be in the WAL (not yet checkpointed)"
    for path in (practice_path, wal):
        assert _leaks(path.read_bytes()) == [], path.name

    dest = backup.write_backup(practice.engine, tmp_path / "backups" / "b.stagewise", practice.key)
    assert verify.verify_practice(practice).ok
    assert backup.drill(practice, dest).ok
    practice.close()  # checkpoints the WAL into the file
    restored = backup.restore(dest, tmp_path / "restored" / "r.stagewise", practice.key).path
    with store.open_practice(restored, practice.key) as copy, copy.session_factory() as s:
        names = s.query(Client.given_name).all()
        assert [n[0] for n in names] == [GIVEN]  # the data really is in there, just encrypted

    leaks = {str(p.relative_to(tmp_path)): _leaks(p.read_bytes()) for p in _all_files(tmp_path)}
    assert {name: found for name, found in leaks.items() if found} == {}
    assert _leaks(caplog.text.encode()) == []
    assert any(r.name.startswith("stagewise") for r in caplog.records), "logging should have run"
