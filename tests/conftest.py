"""Test configuration shared by every test.

* Qt runs offscreen (set here, before anything imports Qt), so the suite needs no display.
* Every test gets its own ``STAGEWISE_HOME`` under pytest's tmp_path: nothing touches real user data.
* The OS keyring is replaced by an in-memory keyring unless a test is marked ``keyring`` (those use the
  real Secret Service, started by the test command under ``dbus-run-session``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_SCALE_FACTOR", "1")

import keyring
import keyring.backend
import pytest
from sqlalchemy.orm import Session

from stagewise.core.storage import store

PASSPHRASE = "Tidal-Orchard-Violet-42"
ADMIN_PASSWORD = "Quiet-Harbour-Lantern-7"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that lives in the test process only."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "qtbot" in fixtures or "qapp" in fixtures:
            item.add_marker(pytest.mark.gui)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "stagewise-home"
    monkeypatch.setenv("STAGEWISE_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def memory_keyring(request: pytest.FixtureRequest) -> Iterator[MemoryKeyring | None]:
    if request.node.get_closest_marker("keyring"):
        yield None
        return
    previous = keyring.get_keyring()
    fake = MemoryKeyring()
    keyring.set_keyring(fake)
    try:
        yield fake
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def practice_path(tmp_path: Path) -> Path:
    return tmp_path / "practice.stagewise"


@pytest.fixture
def practice(practice_path: Path) -> Iterator[store.Practice]:
    """A new, empty, encrypted practice (schema at head)."""
    created = store.create_practice(practice_path, PASSPHRASE, name="Harbour Counselling")
    try:
        yield created.practice
    finally:
        created.practice.close()


@pytest.fixture
def session(practice: store.Practice) -> Iterator[Session]:
    """One transaction on the practice, committed at the end of the test (like one user action)."""
    with practice.session_factory.begin() as s:
        yield s
