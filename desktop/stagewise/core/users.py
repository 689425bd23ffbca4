"""Practice accounts: creation, roles, passwords (Argon2id) and sign-in with throttling.

Passwords are hashed with argon2-cffi's :class:`~argon2.PasswordHasher` (Argon2id, RFC 9106 low-memory
profile: 64 MiB, 3 passes, 4 lanes).  The stored PHC string carries its own parameters, so when
:data:`HASHER`'s parameters are raised a user's hash is upgraded at their next successful sign-in
(``check_needs_rehash``).

Throttling (OWASP Authentication Cheat Sheet, "account lockout"): after :data:`LOCK_AFTER` consecutive
wrong passwords the account is locked for one minute; each further failure doubles the lock, up to
30 minutes.  A successful sign-in resets the count.  Attempts made while locked are refused without
checking the password and do not lengthen the lock.

**Sign-in and transactions.**  :func:`authenticate` is the one core function that commits: on a failed
attempt it *commits the caller's transaction* (the attempt counter, the lock and the ``sign_in_failed``
audit event) before raising :class:`AuthenticationError`, because the exception would otherwise roll the
throttling state back and make it useless.  Sign-in is the first step of its user action, so there is
nothing else in that transaction; call it in its own ``with session_factory.begin() as s:`` block.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NoReturn

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from stagewise.core.audit import trail as audit
from stagewise.core.changes import Done, OpChanges
from stagewise.core.errors import (
    AuthenticationError,
    ClinicalRoleRequiredError,
    ConflictError,
    NotFoundError,
    UserInputError,
    WeakPassphraseError,
)
from stagewise.core.models import Role, User, utcnow
from stagewise.core.settings import PracticeSettings, load_settings
from stagewise.core.storage import keys
from stagewise.core.text import clean_line, fold

log = logging.getLogger(__name__)

# argon2-cffi defaults = RFC 9106 "second recommended option" (t=3, m=64 MiB, p=4).  Tests may replace it
# to check that hashes are upgraded when the parameters change.
HASHER = PasswordHasher()

LOCK_AFTER = 5  # consecutive failures before the first lock
FIRST_LOCK = dt.timedelta(minutes=1)
MAX_LOCK = dt.timedelta(minutes=30)

USERNAME_RE = re.compile(r"[a-z0-9._-]{2,64}")

# Titles before a name and credentials after it, left out of a suggested user name.
_HONORIFICS = frozenset({"dr", "mr", "mrs", "ms", "mx", "miss", "prof", "rev", "sr", "sra", "srta", "dra"})
_CREDENTIALS = frozenset(
    {
        "phd",
        "psyd",
        "md",
        "do",
        "lcsw",
        "lmft",
        "lpc",
        "lmhc",
        "lcadc",
        "cadc",
        "rn",
        "np",
        "ma",
        "ms",
        "msw",
        "jr",
    }
)


def suggest_username(display_name: str) -> str:
    """A user name to offer for a person's name: first initial and last name, without accents or titles.

    ``"Dr. María Fernández"`` → ``"mfernandez"``; ``"Priya"`` → ``"priya"``; ``""`` → ``""``.
    """
    words: list[str] = re.findall(r"[a-z0-9]+", fold(display_name.replace("'", "").replace("’", "")))
    while len(words) > 1 and words[0] in _HONORIFICS:
        words.pop(0)
    while len(words) > 1 and words[-1] in _CREDENTIALS:
        words.pop()
    if not words:
        return ""
    if len(words) == 1:
        return words[0][:64]
    return (words[0][0] + words[-1])[:64]


MAX_DISPLAY_NAME = 200
WRONG_CREDENTIALS = "User name or password is not correct."

# Roles that may see clinical content (charts, notes, results, reports).  An administrator-only account runs
# the practice (accounts, settings, backups, the client list) and sees none of it.
CLINICAL_ROLES = frozenset({Role.CLINICIAN, Role.SUPERVISOR})
CLINICAL_ONLY = (
    "Charts, notes, results and reports are for clinical accounts; this account is for running the "
    "practice. Ask an administrator to add the clinician role if you need them."
)

# A valid hash of a random password, verified against when the user name is unknown so that a wrong
# user name takes as long as a wrong password (no timing oracle for which accounts exist).
_DUMMY_HASH: list[str] = []


@dataclass(frozen=True, slots=True)
class UserInfo:
    """One account, as the UI and CLI see it (never the hash)."""

    id: int
    username: str
    display_name: str
    roles: frozenset[Role]
    active: bool
    requires_cosign: bool

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    @property
    def is_clinician(self) -> bool:
        return Role.CLINICIAN in self.roles

    @property
    def is_supervisor(self) -> bool:
        return Role.SUPERVISOR in self.roles

    @property
    def is_clinical(self) -> bool:
        """May see clinical content (a clinician or supervisor, whatever else the account is)."""
        return bool(self.roles & CLINICAL_ROLES)


def _info(user: User) -> UserInfo:
    return UserInfo(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=user.role_set,
        active=user.active,
        requires_cosign=user.requires_cosign,
    )


# --------------------------------------------------------------------------------------------------------
# Validation


def username_problem(username: str) -> str | None:
    """Why ``username`` is not an acceptable user name, or None."""
    if not 2 <= len(username) <= 64:
        return "a user name has 2 to 64 characters"
    if not USERNAME_RE.fullmatch(username):
        return "a user name uses only lowercase letters, digits, dots, dashes and underscores"
    return None


def check_username(username: str) -> str:
    """Return ``username`` if acceptable, else raise :class:`UserInputError` saying why."""
    problem = username_problem(username)
    if problem:
        raise UserInputError(f"That user name cannot be used: {problem}.")
    return username


def _display_name(value: str) -> str:
    name = clean_line(value)
    if not name:
        raise UserInputError("A display name is needed.")
    if len(name) > MAX_DISPLAY_NAME:
        raise UserInputError(f"A display name has at most {MAX_DISPLAY_NAME} characters.")
    return name


def _roles(roles: Iterable[Role | str]) -> str:
    try:
        parsed = {Role(r) for r in roles}
    except ValueError as exc:
        allowed = ", ".join(r.value for r in Role)
        raise UserInputError(f"Unknown role; the roles are {allowed}.") from exc
    if not parsed:
        raise UserInputError("An account needs at least one role.")
    return " ".join(sorted(r.value for r in parsed))


def _check_password(password: str, username: str, display_name: str) -> None:
    problem = keys.passphrase_problem(password, context=(username, display_name))
    if problem:
        raise WeakPassphraseError(f"That password is too weak: {problem}.")


# --------------------------------------------------------------------------------------------------------
# Reading


def _load(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"There is no user with id {user_id}.")
    return user


def list_users(session: Session) -> list[UserInfo]:
    """Every account, ordered by user name."""
    return [_info(u) for u in session.execute(select(User).order_by(User.username)).scalars()]


def get_user(session: Session, user_id: int) -> UserInfo:
    """The account with ``user_id``; :class:`NotFoundError` if there is none."""
    return _info(_load(session, user_id))


def get_by_username(session: Session, username: str) -> UserInfo | None:
    """The account named ``username``, or None."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    return None if user is None else _info(user)


def person_label(display_name: str, username: str, *, shared: bool) -> str:
    """How a person is shown: their display name, with the user name only when ``shared`` (another account
    has the same display name): "María Fernández", or "María Fernández (mfernandez)"."""
    name = display_name.strip() or username
    return f"{name} ({username})" if shared else name


def _labels(session: Session) -> list[tuple[int, str, str]]:
    rows = session.execute(select(User.id, User.username, User.display_name)).all()
    counts: dict[str, int] = {}
    for _uid, _username, display in rows:
        counts[display.strip().casefold()] = counts.get(display.strip().casefold(), 0) + 1
    return [
        (uid, username, person_label(display, username, shared=counts[display.strip().casefold()] > 1))
        for uid, username, display in rows
    ]


def people(session: Session) -> dict[int, str]:
    """``{user id: person label}`` for every account (see :func:`person_label`; one small query)."""
    return {uid: label for uid, _username, label in _labels(session)}


def people_by_username(session: Session) -> dict[str, str]:
    """``{user name: person label}`` for every account (the audit log records user names)."""
    return {username: label for _uid, username, label in _labels(session)}


def user_ids_by_username(session: Session) -> dict[str, int]:
    """``{username: id}`` for every account (used by import to resolve clinicians)."""
    return {name: uid for uid, name in session.execute(select(User.id, User.username))}


def require_clinical(session: Session, actor: str | None) -> None:
    """Refuse clinical content to an account without a clinical role.

    ``actor`` is the acting user name, as every operation receives it.  Only practice accounts have roles:
    None (the system) and the command line's ``cli:…`` actor act with the practice key itself, which opens
    every record anyway, so they are not refused here.

    Raises:
        ClinicalRoleRequiredError: ``actor`` is an account that is neither clinician nor supervisor.
    """
    if actor is None:
        return
    roles = session.execute(select(User.roles).where(User.username == actor)).scalar_one_or_none()
    if roles is not None and not {Role(r) for r in roles.split()} & CLINICAL_ROLES:
        log.info("clinical content refused to a non-clinical account")
        raise ClinicalRoleRequiredError(CLINICAL_ONLY)


# --------------------------------------------------------------------------------------------------------
# Changing


def create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    password: str,
    roles: Iterable[Role | str],
    actor: str | None,
) -> UserInfo:
    """Add an account.

    Args:
        session: the caller's transaction.
        username: 2–64 characters: lowercase letters, digits, ``.``, ``_``, ``-``.
        display_name: the person's name as shown and printed on notes.
        password: checked with :func:`keys.passphrase_problem` (length, variety, common list, not the name).
        roles: one or more of :class:`Role`.
        actor: who is adding the account (None for the system at practice creation).

    Raises:
        UserInputError: bad user name, display name or roles.
        WeakPassphraseError: the password is too weak (the message says why).
        ConflictError: the user name is taken.
    """
    check_username(username)
    name = _display_name(display_name)
    role_text = _roles(roles)
    _check_password(password, username, name)
    if session.execute(select(User.id).where(User.username == username)).first() is not None:
        raise ConflictError(f"The user name {username} is already taken; choose another.")
    user = User(
        username=username,
        display_name=name,
        roles=role_text,
        password_hash=HASHER.hash(password),
        active=True,
        failed_attempts=0,
    )
    session.add(user)
    session.flush()
    audit.record(session, actor, "create", "user", user.id, {"roles": role_text.split()})
    log.info("created user %s", user.id)
    return _info(user)


def set_password(session: Session, user_id: int, new_password: str, *, actor: str | None) -> UserInfo:
    """Replace a password (and clear any sign-in lock).  :class:`WeakPassphraseError` if too weak."""
    user = _load(session, user_id)
    _check_password(new_password, user.username, user.display_name)
    user.password_hash = HASHER.hash(new_password)
    user.failed_attempts = 0
    user.locked_until = None
    session.flush()
    audit.record(session, actor, "update", "user", user.id, {"fields": ["password"]})
    return _info(user)


def _active_admins(session: Session) -> list[User]:
    return [u for u in session.execute(select(User).where(User.active)).scalars() if Role.ADMIN in u.role_set]


def _keep_an_admin(session: Session, user: User, *, roles: str | None, active: bool) -> None:
    """Refuse a change that would leave the practice without an active administrator."""
    stays_admin = active and Role.ADMIN.value in (roles if roles is not None else user.roles).split()
    if stays_admin or not (user.active and Role.ADMIN in user.role_set):
        return
    if all(u.id == user.id for u in _active_admins(session)):
        raise ConflictError(
            "This is the practice's only active administrator; make another account an administrator first."
        )


def set_roles(session: Session, user_id: int, roles: Iterable[Role | str], *, actor: str | None) -> UserInfo:
    """Replace an account's roles (refused if it would leave no active administrator)."""
    user = _load(session, user_id)
    role_text = _roles(roles)
    _keep_an_admin(session, user, roles=role_text, active=user.active)
    if role_text != user.roles:
        user.roles = role_text
        session.flush()
        audit.record(
            session, actor, "update", "user", user.id, {"fields": ["roles"], "roles": role_text.split()}
        )
    return _info(user)


def set_active(session: Session, user_id: int, active: bool, *, actor: str | None) -> UserInfo:
    """Switch an account on or off (history stays; refused for the last active administrator)."""
    user = _load(session, user_id)
    _keep_an_admin(session, user, roles=None, active=active)
    if user.active != active:
        user.active = active
        if active:
            user.failed_attempts = 0
            user.locked_until = None
        session.flush()
        audit.record(session, actor, "update", "user", user.id, {"fields": ["active"], "active": active})
    return _info(user)


def set_requires_cosign(session: Session, user_id: int, required: bool, *, actor: str | None) -> UserInfo:
    """Set whether this clinician's notes need a supervisor's co-signature."""
    user = _load(session, user_id)
    if user.requires_cosign != required:
        user.requires_cosign = required
        session.flush()
        audit.record(
            session, actor, "update", "user", user.id, {"fields": ["requires_cosign"], "value": required}
        )
    return _info(user)


# --------------------------------------------------------------------------------------------------------
# Sign-in


def lock_duration(failures: int) -> dt.timedelta | None:
    """How long an account is locked after ``failures`` consecutive wrong passwords (None: not locked).

    5 → 1 minute, 6 → 2, 7 → 4, 8 → 8, 9 → 16, 10 and more → 30 minutes.
    """
    if failures < LOCK_AFTER:
        return None
    lock: dt.timedelta = FIRST_LOCK * 2 ** min(failures - LOCK_AFTER, 10)
    return min(lock, MAX_LOCK)


def _wait_text(remaining: dt.timedelta) -> str:
    seconds = max(1, int(remaining.total_seconds() + 0.999))
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = (seconds + 59) // 60
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def _dummy_verify(password: str) -> None:
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(HASHER.hash("stagewise-timing-equaliser"))
    with contextlib.suppress(VerificationError):
        HASHER.verify(_DUMMY_HASH[0], password)


def _fail(session: Session, message: str, actor: str | None, user_id: int | None, reason: str) -> NoReturn:
    """Commit the failure bookkeeping (see the module docstring), then raise."""
    audit.record(session, actor, "sign_in_failed", "user", user_id, {"reason": reason})
    session.commit()
    raise AuthenticationError(message)


def authenticate(
    session: Session, username: str, password: str, *, now: dt.datetime | None = None
) -> UserInfo:
    """Check a user name and password; the signed-in account on success.

    On failure this **commits** ``session`` (attempt counter, lock, audit event) before raising, so the
    throttle survives the exception: call it alone in its own transaction.

    Args:
        session: a transaction used for nothing else.
        username: as typed.
        password: as typed.
        now: the current time (tests inject it); defaults to the clock.

    Raises:
        AuthenticationError: wrong user name or password (without saying which), account locked (saying
            how long to wait), or account switched off.
    """
    now = utcnow() if now is None else _aware(now)
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        _dummy_verify(password)
        _fail(session, WRONG_CREDENTIALS, None, None, "unknown_user")
    if user.locked_until is not None and user.locked_until > now:
        _fail(
            session,
            f"Too many wrong passwords: this account is locked; wait {_wait_text(user.locked_until - now)} "
            "and try again.",
            user.username,
            user.id,
            "locked",
        )
    try:
        HASHER.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        user.failed_attempts += 1
        lock = lock_duration(user.failed_attempts)
        message = WRONG_CREDENTIALS
        if lock is not None:
            user.locked_until = now + lock
            message += f" Too many wrong passwords: wait {_wait_text(lock)} before trying again."
        session.flush()
        log.info("failed sign-in for user %s (%d in a row)", user.id, user.failed_attempts)
        _fail(session, message, user.username, user.id, "wrong_password")
    if not user.active:
        _fail(
            session,
            "This account is switched off; ask a practice administrator.",
            user.username,
            user.id,
            "inactive",
        )
    user.failed_attempts = 0
    user.locked_until = None
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    session.flush()
    audit.record(session, user.username, "sign_in", "user", user.id)
    return _info(user)


# -- signing in and out: one operation each -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: UserInfo
    settings: PracticeSettings  # what the signed-in session needs at once (idle lock, practice name)


def sign_in(session: Session, username: str, password: str) -> Done[SignedIn]:
    """The "Sign in" action: check the password (see :func:`authenticate`) and read the settings.

    Call it alone in its own transaction: a wrong password commits the throttle before raising.
    """
    user = authenticate(session, username, password)
    return Done(SignedIn(user, load_settings(session)), OpChanges(audit=True))


def sign_out(session: Session, user: UserInfo, *, reason: str = "lock") -> Done[None]:
    """Record that ``user`` locked the app (``lock``: Ctrl+L or idle) or quit (``sign_out``)."""
    if reason not in ("lock", "sign_out"):
        raise ValueError(f"not a way to leave: {reason}")
    audit.record(session, user.username, reason, "user", user.id)
    return Done(None, OpChanges(audit=True))
