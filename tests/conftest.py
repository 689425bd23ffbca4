"""Test configuration shared by every test.

* Qt runs offscreen (set here, before anything imports Qt), so the suite needs no display.
* Every test gets its own ``STAGEWISE_HOME`` under pytest's tmp_path: nothing touches real user data.
* The OS keyring is replaced by an in-memory keyring unless a test is marked ``keyring`` (those use the
  real Secret Service, started by the test command under ``dbus-run-session``).
* A new practice is a copy of one template built once per session (:class:`PracticeTemplate`): building
  an encrypted practice (Argon2id, the schema) takes about half a second, copying two files a few
  milliseconds.  Copies share the template's practice id, database key and recovery key; each test has its
  own in-memory keyring, so the shared id cannot carry a key from one test to another.  A test that needs
  two different practices, or tests creation itself, calls ``store.create_practice``.
* Argon2id runs at a test cost inside the test process (:data:`TEST_ARGON2`: one pass over 8 MiB instead
  of three over 64 MiB, for the passphrase slot and for user passwords): it was about a sixth of the
  suite's time.  The code paths are the same; only the cost parameters differ, and they are stored with
  each slot and hash, so everything made here also opens here.  Tests marked ``production_argon2`` run
  at the production cost and check it; subprocesses (``stagewise init``, ``users add``) always do.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_SCALE_FACTOR", "1")

import keyring
import keyring.backend
import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from stagewise.core import users
from stagewise.core.storage import keys, store

PASSPHRASE = "Tidal-Orchard-Violet-42"
ADMIN_PASSWORD = "Quiet-Harbour-Lantern-7"

# Argon2id cost in the test process (see the module docstring); the production values are kept here
# before anything patches them, for the tests marked ``production_argon2``.
TEST_ARGON2 = {"time_cost": 1, "memory_cost": 8192, "parallelism": 1}
PRODUCTION_ARGON2_PARAMS = dict(keys.ARGON2_PARAMS)
PRODUCTION_HASHER = users.HASHER


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


@pytest.fixture(scope="session", autouse=True)
def _test_argon2_cost() -> Iterator[None]:
    """Argon2id at :data:`TEST_ARGON2` for the whole session (module docstring)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(keys, "ARGON2_PARAMS", dict(TEST_ARGON2))
        mp.setattr(users, "HASHER", PasswordHasher(**TEST_ARGON2))
        # Subprocesses write at the production cost but must recognise the files made here.
        mp.setenv(keys.TEST_PARAMS_ENV, json.dumps(TEST_ARGON2))
        yield


@pytest.fixture(autouse=True)
def _production_argon2(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests marked ``production_argon2`` get the production Argon2id cost back."""
    if request.node.get_closest_marker("production_argon2"):
        monkeypatch.setattr(keys, "ARGON2_PARAMS", dict(PRODUCTION_ARGON2_PARAMS))
        monkeypatch.setattr(users, "HASHER", PRODUCTION_HASHER)


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


@dataclass(frozen=True, slots=True)
class PracticeTemplate:
    """A closed practice built once per session; tests work on copies of it.

    ``recovery_key`` is the one ``store.create_practice`` printed for the template: it opens every copy.
    """

    path: Path
    practice_id: str
    key: bytes
    recovery_key: str
    name: str

    @classmethod
    def build(cls, path: Path, *, name: str = "Harbour Counselling") -> PracticeTemplate:
        """Create the practice with ``store.create_practice`` (the passphrase is :data:`PASSPHRASE`)."""
        created = store.create_practice(path, PASSPHRASE, name=name, save_to_keyring=False)
        created.practice.close()
        return cls(path, created.practice.practice_id, created.practice.key, created.recovery_key, name)

    def derive(self, path: Path) -> PracticeTemplate:
        """Another template: a copy of this one at ``path``, to be filled by the caller and closed."""
        self.copy_to(path, keyring=False)
        return PracticeTemplate(path, self.practice_id, self.key, self.recovery_key, self.name)

    def copy_to(self, dest: Path, *, keyring: bool = True) -> Path:
        """Copy the practice file and its key file to ``dest``; like creation, keep the key in the keyring.

        The template is closed, so SQLite has checkpointed and removed its WAL: the two files are the
        whole practice.
        """
        wal = self.path.with_name(self.path.name + "-wal")
        assert not wal.exists(), "the template must be closed before it is copied"
        dest.parent.mkdir(parents=True, exist_ok=True)
        for src, dst in ((self.path, dest), (keys.keyfile_path(self.path), keys.keyfile_path(dest))):
            if dst.exists():
                raise FileExistsError(dst)
            shutil.copyfile(src, dst)
        if keyring:
            keys.keyring_save(self.practice_id, self.key)
        return dest

    def open_copy(self, dest: Path, *, keyring: bool = True) -> store.Practice:
        """A copy at ``dest``, open (what ``store.create_practice(...).practice`` gives)."""
        self.copy_to(dest, keyring=keyring)
        return store.open_practice(dest, self.key)

    def created_copy(self, dest: Path) -> store.CreatedPractice:
        """A copy at ``dest`` in the shape ``store.create_practice`` returns (open, key in the keyring)."""
        return store.CreatedPractice(self.open_copy(dest), self.recovery_key, keyring_saved=True)


@pytest.fixture(scope="session")
def practice_template(tmp_path_factory: pytest.TempPathFactory, _test_argon2_cost: None) -> PracticeTemplate:
    """The empty practice every ``practice`` copies (schema at head, named "Harbour Counselling")."""
    folder = tmp_path_factory.mktemp("template")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STAGEWISE_HOME", str(folder / "stagewise-home"))
        return PracticeTemplate.build(folder / "practice.stagewise")


@pytest.fixture
def practice_path(tmp_path: Path) -> Path:
    return tmp_path / "practice.stagewise"


@pytest.fixture
def practice(practice_path: Path, practice_template: PracticeTemplate) -> Iterator[store.Practice]:
    """A new, empty, encrypted practice (schema at head): a copy of the session's template."""
    opened = practice_template.open_copy(practice_path)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def session(practice: store.Practice) -> Iterator[Session]:
    """One transaction on the practice, committed at the end of the test (like one user action)."""
    with practice.session_factory.begin() as s:
        yield s
