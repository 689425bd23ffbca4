"""(d) The practice key round-trips through a real Secret Service (gnome-keyring under dbus-run-session).

Run as the test command does::

    dbus-run-session -- bash -c 'export HOME=$(mktemp -d) XDG_DATA_HOME=$HOME/.local/share;
      eval $(echo -n pw | gnome-keyring-daemon --unlock --components=secrets);
      python -m pytest -m keyring tests/core/test_keyring_real.py'

Without a reachable, unlocked Secret Service the test is skipped with the reason.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import pytest

from stagewise.core.errors import WrongKeyError
from stagewise.core.storage import keys, store
from tests.conftest import PASSPHRASE

pytestmark = pytest.mark.keyring


def _secret_service() -> tuple[keyring.backend.KeyringBackend | None, str]:
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return None, "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"
    try:
        from keyring.backends.SecretService import Keyring as SecretServiceKeyring

        backend = SecretServiceKeyring()
        backend.priority  # noqa: B018 - raises when the Secret Service is not usable
        probe = f"probe-{secrets.token_hex(4)}"
        backend.set_password("stagewise-test-probe", probe, "ok")
        works = backend.get_password("stagewise-test-probe", probe) == "ok"
        backend.delete_password("stagewise-test-probe", probe)
    except Exception as exc:
        return None, f"Secret Service not usable: {type(exc).__name__}: {exc}"
    if not works:
        return None, "Secret Service did not return what was stored"
    return backend, ""


@pytest.fixture
def real_keyring() -> Iterator[keyring.backend.KeyringBackend]:
    backend, reason = _secret_service()
    if backend is None:
        pytest.skip(reason)
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def test_practice_key_round_trip_through_the_secret_service(
    real_keyring: keyring.backend.KeyringBackend, practice_path: Path
) -> None:
    assert type(keyring.get_keyring()).__module__ == "keyring.backends.SecretService"
    created = store.create_practice(practice_path, PASSPHRASE)
    pid = created.practice.practice_id
    try:
        assert created.keyring_saved
        assert real_keyring.get_password(keys.KEYRING_SERVICE, pid) == created.practice.key.hex()
        unlocked = store.unlock_key(practice_path)
        assert (unlocked.source, unlocked.keyring_error) == ("keyring", None)
        assert unlocked.key == created.practice.key

        # Rotation replaces the key in the keyring too.
        rotated, _ = store.rotate_key(created.practice, PASSPHRASE)
        rotated.close()
        again = store.unlock_key(practice_path)
        assert again.source == "keyring"
        assert again.key == rotated.key != created.practice.key

        keys.keyring_delete(pid)
        assert real_keyring.get_password(keys.KEYRING_SERVICE, pid) is None
        with pytest.raises(WrongKeyError, match="not in this computer's keyring"):
            store.unlock_key(practice_path)
        assert store.unlock_key(practice_path, passphrase=PASSPHRASE).key == rotated.key
    finally:
        created.practice.close()
        keys.keyring_delete(pid)
