from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stagewise.core import users
from stagewise.core.audit import trail as audit
from stagewise.core.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    UserInputError,
    WeakPassphraseError,
)
from stagewise.core.models import AuditEvent, Role, User
from stagewise.core.storage import store

PASSWORD = "Copper-Meadow-Falcon-31"
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _add(
    session: Session, username: str = "jdoe", roles: tuple[Role, ...] = (Role.CLINICIAN,)
) -> users.UserInfo:
    return users.create_user(
        session, username=username, display_name="Jordan Doe", password=PASSWORD, roles=roles, actor="admin"
    )


def _sign_in(practice: store.Practice, username: str, password: str, now: dt.datetime) -> users.UserInfo:
    """One sign-in as the UI does it: its own transaction."""
    with practice.session_factory.begin() as s:
        return users.authenticate(s, username, password, now=now)


@pytest.fixture
def clinician(practice: store.Practice) -> users.UserInfo:
    with practice.session_factory.begin() as s:
        return _add(s)


@pytest.mark.production_argon2
def test_create_user_stores_an_argon2id_hash_never_the_password(session: Session) -> None:
    info = _add(session, roles=(Role.CLINICIAN, Role.SUPERVISOR))
    row = session.get(User, info.id)
    assert row is not None
    assert row.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PASSWORD not in row.password_hash
    assert row.roles == "clinician supervisor"
    assert info.roles == frozenset({Role.CLINICIAN, Role.SUPERVISOR})
    assert info.is_clinician
    assert info.is_supervisor
    assert not info.is_admin
    assert info.active
    assert not info.requires_cosign
    event = audit.recent(session, limit=1)[0]
    assert (event.action, event.entity, event.entity_id) == ("create", "user", str(info.id))
    assert PASSWORD not in str(event.details)
    assert "Jordan" not in str(event.details)


@pytest.mark.parametrize(
    ("username", "reason"),
    [
        ("a", "2 to 64 characters"),
        ("x" * 65, "2 to 64 characters"),
        ("JDoe", "lowercase"),
        ("j doe", "lowercase"),
        ("jdöe", "lowercase"),
    ],
)
def test_bad_user_names_are_refused(session: Session, username: str, reason: str) -> None:
    with pytest.raises(UserInputError, match=reason):
        _add(session, username=username)


@pytest.mark.parametrize("username", ["jd", "j.doe", "j_doe-2", "a" * 64])
def test_good_user_names_are_accepted(session: Session, username: str) -> None:
    assert _add(session, username=username).username == username


def test_duplicate_user_name_conflicts(session: Session) -> None:
    _add(session)
    with pytest.raises(ConflictError, match="jdoe is already taken"):
        _add(session)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short", "at least 12 characters"),
        ("password1234", "commonly used"),
        ("jordan-zq-771", "too close to the practice or user name"),
        ("Jordan Doe 2026", "too close to the practice or user name"),
    ],
)
def test_weak_passwords_are_refused(session: Session, password: str, reason: str) -> None:
    with pytest.raises(WeakPassphraseError, match=f"too weak: .*{reason}"):
        users.create_user(
            session,
            username="jordan",
            display_name="Jordan Doe",
            password=password,
            roles=["clinician"],
            actor=None,
        )
    assert users.list_users(session) == []


def test_roles_must_be_known_and_not_empty(session: Session) -> None:
    with pytest.raises(UserInputError, match="Unknown role"):
        _add(session, roles=("owner",))  # type: ignore[arg-type]
    with pytest.raises(UserInputError, match="at least one role"):
        _add(session, roles=())


def test_authenticate_success_and_generic_failure(
    practice: store.Practice, clinician: users.UserInfo
) -> None:
    assert _sign_in(practice, "jdoe", PASSWORD, T0) == clinician
    for username, password in (("jdoe", "wrong-password-1"), ("nobody", PASSWORD)):
        with pytest.raises(AuthenticationError) as caught:
            _sign_in(practice, username, password, T0)
        assert str(caught.value) == "User name or password is not correct."
    with practice.session_factory() as s:
        actions = [(e.action, e.details.get("reason")) for e in audit.recent(s, limit=3)]
    assert actions == [
        ("sign_in_failed", "unknown_user"),
        ("sign_in_failed", "wrong_password"),
        ("sign_in", None),
    ]


def test_five_failures_lock_even_the_right_password_until_the_lock_expires(
    practice: store.Practice, clinician: users.UserInfo
) -> None:
    for i in range(4):
        with pytest.raises(AuthenticationError, match=r"^User name or password is not correct\.$"):
            _sign_in(practice, "jdoe", f"wrong-{i}", T0)
    with pytest.raises(AuthenticationError, match="wait 1 minute before trying again"):
        _sign_in(practice, "jdoe", "wrong-5", T0)
    # The failure bookkeeping survived the exceptions (each rolled its block back).
    with practice.session_factory() as s:
        row = s.get(User, clinician.id)
        assert row is not None
        assert row.failed_attempts == 5
        assert row.locked_until == T0 + dt.timedelta(minutes=1)
    # The right password is refused while locked, with how long to wait.
    with pytest.raises(AuthenticationError, match="locked; wait 30 seconds"):
        _sign_in(practice, "jdoe", PASSWORD, T0 + dt.timedelta(seconds=30))
    with pytest.raises(AuthenticationError, match="locked; wait 1 second "):
        _sign_in(practice, "jdoe", PASSWORD, T0 + dt.timedelta(seconds=59.5))
    # Once it expires the right password works and resets the count.
    assert _sign_in(practice, "jdoe", PASSWORD, T0 + dt.timedelta(minutes=1)).id == clinician.id
    with practice.session_factory() as s:
        row = s.get(User, clinician.id)
        assert row is not None
        assert row.failed_attempts == 0
        assert row.locked_until is None
        failed = s.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "sign_in_failed")
        ).scalar_one()
        assert failed == 7
        assert audit.verify_chain(s).ok


def test_each_further_failure_doubles_the_lock(practice: store.Practice, clinician: users.UserInfo) -> None:
    now = T0
    for i in range(5):
        with pytest.raises(AuthenticationError):
            _sign_in(practice, "jdoe", f"wrong-{i}", now)
    now += dt.timedelta(minutes=1)
    with pytest.raises(AuthenticationError, match="wait 2 minutes before"):
        _sign_in(practice, "jdoe", "wrong-6", now)
    # Attempts while locked do not lengthen the lock.
    with pytest.raises(AuthenticationError, match="locked; wait 2 minutes"):
        _sign_in(practice, "jdoe", "wrong-7", now)
    now += dt.timedelta(minutes=2)
    with pytest.raises(AuthenticationError, match="wait 4 minutes before"):
        _sign_in(practice, "jdoe", "wrong-8", now)


@pytest.mark.parametrize(
    ("failures", "minutes"),
    [(0, None), (4, None), (5, 1), (6, 2), (7, 4), (8, 8), (9, 16), (10, 30), (11, 30), (500, 30)],
)
def test_lock_duration_golden_values(failures: int, minutes: int | None) -> None:
    expected = None if minutes is None else dt.timedelta(minutes=minutes)
    assert users.lock_duration(failures) == expected


def test_inactive_account_is_refused_only_with_the_right_password(
    practice: store.Practice, clinician: users.UserInfo
) -> None:
    with practice.session_factory.begin() as s:
        assert not users.set_active(s, clinician.id, False, actor="admin").active
    with pytest.raises(AuthenticationError, match="switched off"):
        _sign_in(practice, "jdoe", PASSWORD, T0)
    with pytest.raises(AuthenticationError, match="not correct"):
        _sign_in(practice, "jdoe", "wrong-password-9", T0)


def test_set_password_checks_strength_and_clears_a_lock(
    practice: store.Practice, clinician: users.UserInfo
) -> None:
    for i in range(5):
        with pytest.raises(AuthenticationError):
            _sign_in(practice, "jdoe", f"wrong-{i}", T0)
    with practice.session_factory.begin() as s:
        with pytest.raises(WeakPassphraseError):
            users.set_password(s, clinician.id, "short", actor="admin")
        users.set_password(s, clinician.id, "Granite-Willow-Parade-88", actor="admin")
    assert _sign_in(practice, "jdoe", "Granite-Willow-Parade-88", T0).id == clinician.id
    with pytest.raises(AuthenticationError):
        _sign_in(practice, "jdoe", PASSWORD, T0)


def test_hash_is_upgraded_when_parameters_change(
    practice: store.Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(users, "HASHER", PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    with practice.session_factory.begin() as s:
        info = _add(s)
        row = s.get(User, info.id)
        assert row is not None
        assert "$m=8192,t=1,p=1$" in row.password_hash
    monkeypatch.setattr(users, "HASHER", PasswordHasher())
    _sign_in(practice, "jdoe", PASSWORD, T0)
    with practice.session_factory() as s:
        row = s.get(User, info.id)
        assert row is not None
        assert "$m=65536,t=3,p=4$" in row.password_hash
    assert _sign_in(practice, "jdoe", PASSWORD, T0).id == info.id


def test_roles_cosign_and_lookups(session: Session) -> None:
    admin = _add(session, "boss", (Role.ADMIN,))
    clin = _add(session, "jdoe")
    assert users.set_roles(session, clin.id, ["clinician", "supervisor"], actor="boss").is_supervisor
    assert users.set_requires_cosign(session, clin.id, True, actor="boss").requires_cosign
    assert users.get_by_username(session, "jdoe") == users.get_user(session, clin.id)
    assert users.get_by_username(session, "nobody") is None
    assert [u.username for u in users.list_users(session)] == ["boss", "jdoe"]
    assert users.user_ids_by_username(session) == {"boss": admin.id, "jdoe": clin.id}
    with pytest.raises(NotFoundError):
        users.get_user(session, 999)


def test_the_last_active_admin_cannot_be_removed(session: Session) -> None:
    admin = _add(session, "boss", (Role.ADMIN, Role.CLINICIAN))
    with pytest.raises(ConflictError, match="only active administrator"):
        users.set_roles(session, admin.id, ["clinician"], actor="boss")
    with pytest.raises(ConflictError, match="only active administrator"):
        users.set_active(session, admin.id, False, actor="boss")
    second = _add(session, "deputy", (Role.ADMIN,))
    assert not users.set_active(session, admin.id, False, actor="deputy").active
    with pytest.raises(ConflictError):
        users.set_roles(session, second.id, ["supervisor"], actor="deputy")


def test_sign_in_is_one_operation_with_the_settings_and_a_wrong_password_still_counts(
    practice: store.Practice, clinician: users.UserInfo
) -> None:
    with practice.session_factory.begin() as s:
        done = users.sign_in(s, "jdoe", PASSWORD)
    assert done.value.user.id == clinician.id
    assert done.value.settings.practice_name == "Harbour Counselling"
    assert done.changes.audit
    with pytest.raises(AuthenticationError), practice.session_factory.begin() as s:
        users.sign_in(s, "jdoe", "not-the-password")
    with practice.session_factory() as s:
        row = s.execute(select(User).where(User.username == "jdoe")).scalar_one()
        assert row.failed_attempts == 1  # the throttle survived the refusal


def test_locking_and_quitting_are_recorded_as_the_user(
    practice: store.Practice, clinician: users.UserInfo
) -> None:
    for reason in ("lock", "sign_out"):
        with practice.session_factory.begin() as s:
            users.sign_out(s, clinician, reason=reason)
    with practice.session_factory() as s:
        events = audit.recent(s, limit=2)
    assert [(e.action, e.username, e.entity_id) for e in events] == [
        ("sign_out", "jdoe", str(clinician.id)),
        ("lock", "jdoe", str(clinician.id)),
    ]
