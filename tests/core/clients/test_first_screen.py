"""The first screen read before the ORM loads (``core.first_screen``) and the plain settings reader."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from stagewise.core import settings
from stagewise.core.clients import first_screen, records as clients
from stagewise.core.errors import StorageError, WrongKeyError
from stagewise.core.models import ClientStatus
from stagewise.core.storage import keys, rawdb, store
from tests.conftest import PASSPHRASE


@pytest.fixture
def roster(practice: store.Practice) -> store.Practice:
    with practice.session_factory.begin() as s:
        settings.update_settings(s, actor="test", practice_name="Riverside Counselling")
        for n in range(230):
            clients.create_client(
                s,
                chart_number=f"C-{n:04d}",
                given_name=f"Given{n % 17}",
                family_name=f"Family{n % 41}",
                date_of_birth=dt.date(1960 + n % 40, 1 + n % 12, 1 + n % 28),
                actor="test",
            )
        discharged = clients.create_client(
            s,
            chart_number="D-1",
            given_name="Left",
            family_name="Already",
            date_of_birth=dt.date(1970, 5, 5),
            actor="test",
        )
        clients.discharge(s, discharged.id, actor="test")
    return practice


def _sql(path: Path, key: bytes, statement: str, params: tuple[object, ...] = ()) -> None:
    conn = rawdb.connect(path, key)
    try:
        conn.execute(statement, params)
    finally:
        conn.close()


def test_first_screen_matches_what_the_full_practice_shows(roster: store.Practice) -> None:
    path = roster.path
    screen = first_screen.open_first_screen(path, passphrase=PASSPHRASE)
    try:
        assert screen.readable
        assert screen.key == roster.key
        assert screen.key_source == "passphrase"
        assert screen.practice_id == roster.practice_id
        assert screen.practice_name == "Riverside Counselling"
        assert screen.active_clients == 230
        with roster.session_factory() as s:
            assert screen.first_page == clients.list_clients(s, limit=first_screen.PAGE_SIZE)
            # The plain connection keeps serving later pages and searches with the same answers.
            for kwargs in (
                {"offset": 200, "limit": 200},
                {"query": "family1", "limit": 50},
                {"status": ClientStatus.DISCHARGED},
                {"sort": "chart_number", "descending": True, "limit": 10},
            ):
                assert clients.list_clients(screen.connection, **kwargs) == clients.list_clients(s, **kwargs)
    finally:
        screen.close()
    assert screen.connection is None
    screen.close()  # twice is harmless


def test_first_screen_takes_the_key_from_the_keyring(roster: store.Practice) -> None:
    screen = first_screen.open_first_screen(roster.path)
    try:
        assert screen.readable
        assert screen.key_source == "keyring"
    finally:
        screen.close()


def test_a_wrong_passphrase_is_refused_with_the_usual_message(roster: store.Practice) -> None:
    with pytest.raises(WrongKeyError, match="passphrase is not correct"):
        first_screen.open_first_screen(roster.path, passphrase="Not-The-Right-One-99")


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="no practice file"):
        first_screen.open_first_screen(tmp_path / "nothing.stagewise", passphrase=PASSPHRASE)


@pytest.mark.parametrize("revision", ["9999", "0000-older"])
def test_another_schema_version_is_left_to_the_full_open(roster: store.Practice, revision: str) -> None:
    path, key = roster.path, roster.key
    roster.close()
    _sql(path, key, "UPDATE alembic_version SET version_num = ?", (revision,))
    screen = first_screen.open_first_screen(path, passphrase=PASSPHRASE)
    assert not screen.readable
    assert screen.key == key  # unlocked once: the full open needs no second passphrase check
    assert screen.first_page == []


def test_a_file_of_another_practice_is_left_to_the_full_open(roster: store.Practice) -> None:
    path, key = roster.path, roster.key
    roster.close()
    _sql(path, key, "UPDATE setting SET value = ? WHERE key = 'practice_id'", (json.dumps("someone-else"),))
    screen = first_screen.open_first_screen(path, passphrase=PASSPHRASE)
    assert not screen.readable
    with pytest.raises(Exception, match="different practices"):
        store.open_practice(path, screen.key)


def test_plain_settings_reader_agrees_with_the_session(practice: store.Practice) -> None:
    with practice.session_factory.begin() as s:
        settings.update_settings(s, actor="test", reassessment_days=45, practice_name="North Clinic")
    path, key = practice.path, practice.key
    # An unusable stored value falls back to its default the same way in both readers.
    _sql(path, key, "UPDATE setting SET value = ? WHERE key = 'reassessment_days'", ("not json",))
    _sql(path, key, "INSERT INTO setting (key, value) VALUES ('stalled_days', ?)", (json.dumps(-3),))
    conn = rawdb.connect(path, key)
    try:
        plain = settings.load_settings(conn)
    finally:
        conn.close()
    with practice.session_factory() as s:
        assert plain == settings.load_settings(s)
    assert plain.practice_name == "North Clinic"
    assert plain.reassessment_days == 30
    assert plain.stalled_days == 90


def test_the_first_screen_needs_no_sqlalchemy() -> None:
    code = (
        "import sys; import stagewise.core.clients.first_screen;"
        "assert 'sqlalchemy' not in sys.modules, 'SQLAlchemy imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_key_file_is_read_for_the_practice_id(roster: store.Practice) -> None:
    screen = first_screen.open_first_screen(roster.path, passphrase=PASSPHRASE)
    try:
        assert screen.practice_id == keys.KeyFile.read(keys.keyfile_path(roster.path)).practice_id
    finally:
        screen.close()
