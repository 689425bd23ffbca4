"""Practice interchange format v1: JSON export and validated import (see ``docs/interchange.md``).

* **Export** is deterministic: clients sorted by chart number, keys in a fixed order, UTF-8 kept
  (``ensure_ascii=False``), two-space indent, trailing newline.  Export → import into an empty practice →
  export gives the same bytes.
* **Import** validates the *whole* document before writing anything and reports every problem with its
  JSON path (``$.clients[3].date_of_birth``) in one :class:`ImportValidationError`.
* **Sections.**  Later record kinds (administrations, stage records, notes …) travel as extra arrays on
  each client.  Each is a :class:`Section` (:mod:`stagewise.core.interchange.sections`) declared by its
  module in this package and listed once in :data:`SECTIONS`; tests may add one at run time with
  :func:`register_section`.  Every
  section's ``validate`` runs before anything is written; ``import_`` runs, in ``order``, after every
  client and focus of the file exists, with an :class:`ImportContext` that resolves user names and focus
  ids.

The export file is plaintext client data, a deliberate exception to encryption; the CLI warns about it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from stagewise.core import jsoninput
from stagewise.core.audit import trail as audit
from stagewise.core.clients.fields import (
    chart_number_problem,
    date_of_birth_problem,
    focus_key_problem,
    label_problem,
    name_problem,
    reassessment_days_problem,
)
from stagewise.core.errors import ImportValidationError, NotFoundError, UserInputError
from stagewise.core.interchange import (
    administrations as administrations_section,
    notes as notes_section,
    stages as stages_section,
)
from stagewise.core.interchange.sections import (
    CLIENT_FIELDS,
    ExportContext,
    ImportContext,
    Problem,
    Section,
    SectionRegistry,
    ValidationContext,
    register_section,
    runtime_sections,
    unregister_section,
)
from stagewise.core.models import Client, ClientStatus, Focus, Role, User, iso_utc, parse_utc, utcnow
from stagewise.core.text import clean_line, name_key

FORMAT = "stagewise-practice"
VERSION = 1


FOCUS_FIELDS = ("id", "label", "behaviour_phrase", "reassessment_days", "active", "created_at", "removed_at")
_REQUIRED_CLIENT = ("chart_number", "given_name", "family_name", "date_of_birth")
_REQUIRED_FOCUS = ("id", "label")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


# The shipped sections, in one fixed list (no discovery by importing modules).
SECTIONS: tuple[Section, ...] = (
    *administrations_section.INTERCHANGE_SECTIONS,
    *stages_section.INTERCHANGE_SECTIONS,
    *notes_section.INTERCHANGE_SECTIONS,
)

__all__ = [
    "SECTIONS",
    "ExportContext",
    "ImportContext",
    "Problem",
    "Section",
    "SectionRegistry",
    "ValidationContext",
    "default_registry",
    "register_section",
    "unregister_section",
]


def default_registry() -> SectionRegistry:
    """The shipped sections plus those added by :func:`register_section`."""
    return SectionRegistry([*SECTIONS, *runtime_sections()])


# --------------------------------------------------------------------------------------------------------
# Export


@dataclass(frozen=True, slots=True)
class ExportResult:
    text: str
    clients: int
    focuses: int
    sections: Mapping[str, int] = field(default_factory=dict)


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else iso_utc(value)


def build_document(
    session: Session, *, chart_number: str | None = None, registry: SectionRegistry | None = None
) -> dict[str, Any]:
    """The export document (a plain dict, keys in file order).  Writes nothing, records nothing.

    Raises:
        NotFoundError: ``chart_number`` is given and no client has it.
    """
    registry = registry if registry is not None else default_registry()
    q = select(Client).options(selectinload(Client.focuses))
    if chart_number is not None:
        q = q.where(Client.chart_number == chart_number.strip())
    rows = sorted(session.execute(q).scalars(), key=lambda c: c.chart_number)
    if chart_number is not None and not rows:
        raise NotFoundError(f"No client has chart number {chart_number.strip()}.")
    usernames = {uid: name for uid, name in session.execute(select(User.id, User.username))}
    clients: list[dict[str, Any]] = []
    for c in rows:
        focuses = sorted(c.focuses, key=lambda f: f.key)
        entry: dict[str, Any] = {
            "chart_number": c.chart_number,
            "given_name": c.given_name,
            "family_name": c.family_name,
            "date_of_birth": c.date_of_birth.isoformat(),
            "status": c.status,
            "clinician": None if c.clinician_id is None else usernames[c.clinician_id],
            "created_at": _iso(c.created_at),
            "discharged_at": _iso(c.discharged_at),
            "focuses": [
                {
                    "id": f.key,
                    "label": f.label,
                    "behaviour_phrase": f.behaviour_phrase,
                    "reassessment_days": f.reassessment_days,
                    "active": f.active,
                    "created_at": _iso(f.created_at),
                    "removed_at": _iso(f.removed_at),
                }
                for f in focuses
            ],
        }
        ctx = ExportContext(c.id, c.chart_number, usernames, {f.id: f.key for f in focuses})
        for section in registry.sections:
            entry[section.name] = section.export(session, ctx)
        clients.append(entry)
    return {"format": FORMAT, "version": VERSION, "clients": clients}


def dumps(document: Mapping[str, Any]) -> str:
    """The file text of a document: UTF-8 kept, two-space indent, trailing newline."""
    return json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def export_practice(
    session: Session,
    *,
    actor: str | None,
    chart_number: str | None = None,
    registry: SectionRegistry | None = None,
) -> ExportResult:
    """Export every client (or the one with ``chart_number``) and record an ``export`` audit event.

    Returns:
        The file text and the counts (clients, focuses, records per section).
    """
    registry = registry if registry is not None else default_registry()
    doc = build_document(session, chart_number=chart_number, registry=registry)
    clients = doc["clients"]
    focuses = sum(len(c["focuses"]) for c in clients)
    sections = {s.name: sum(len(c[s.name]) for c in clients) for s in registry.sections}
    details: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "clients": len(clients),
        "focuses": focuses,
    }
    details.update(sections)
    if chart_number is not None:
        client_id = session.execute(
            select(Client.id).where(Client.chart_number == chart_number.strip())
        ).scalar_one()
        audit.record(session, actor, "export", "client", client_id, details)
    else:
        audit.record(session, actor, "export", "practice", None, details)
    return ExportResult(dumps(doc), len(clients), focuses, sections)


def write_file(path: Path, text: str, *, overwrite: bool = False) -> None:
    """Write an export file readable by its owner only (mode 0600), atomically.

    Raises:
        UserInputError: ``path`` exists and ``overwrite`` is False, or its folder is missing.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise UserInputError(f"{path.name} already exists; choose another file name (or --force).")
    if not path.parent.is_dir():
        raise UserInputError(f"The folder {path.parent} does not exist.")
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


# --------------------------------------------------------------------------------------------------------
# Reading and validating


def read_document(path: Path) -> Any:
    """The parsed JSON of an import file.

    Raises:
        UserInputError: the file cannot be read.
        ImportValidationError: it is not UTF-8 JSON (the problem says where).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise UserInputError(f"There is no file at {path}.") from exc
    except OSError as exc:
        raise UserInputError(f"{path.name} cannot be read ({exc.strerror}).") from exc
    return parse_document(data)


def parse_document(data: bytes | str) -> Any:
    """Parse import file content (UTF-8, an optional byte-order mark is ignored)."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise ImportValidationError([("$", f"the file is not UTF-8 text (byte {exc.start})")]) from exc
    try:
        return jsoninput.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportValidationError(
            [("$", f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")]
        ) from exc
    except jsoninput.JSONInputError as exc:
        raise ImportValidationError([("$", str(exc))]) from exc


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _unknown_fields(obj: Mapping[str, Any], allowed: Iterable[str], path: str) -> list[Problem]:
    allowed_set = set(allowed)
    return [
        (f"{path}.{key}", "unknown field; this version of Stagewise cannot import it")
        for key in obj
        if key not in allowed_set
    ]


def _check_datetime(value: Any, path: str, problems: list[Problem]) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(
            (path, f"must be a date and time like 2026-01-05T09:30:00.000Z, not {_type_name(value)}")
        )
        return None
    try:
        return parse_utc(value, strict=True)
    except ValueError:
        problems.append((path, "must be a date and time like 2026-01-05T09:30:00.000Z"))
        return None


def _check_date_of_birth(value: Any, path: str, problems: list[Problem], today: dt.date) -> None:
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        problems.append((path, "must be a date written YYYY-MM-DD"))
        return
    try:
        born = dt.date.fromisoformat(value)
    except ValueError:
        problems.append((path, f"{value} is not a real date"))
        return
    reason = date_of_birth_problem(born, today=today)
    if reason:
        problems.append((path, reason))


def _check_focus(value: Any, path: str, problems: list[Problem]) -> str | None:
    if not isinstance(value, dict):
        problems.append((path, f"must be an object with an id and a label, not {_type_name(value)}"))
        return None
    problems.extend(_unknown_fields(value, FOCUS_FIELDS, path))
    for name in _REQUIRED_FOCUS:
        if name not in value:
            problems.append((f"{path}.{name}", "is missing"))
    checks = (
        ("id", focus_key_problem(value["id"]) if "id" in value else None),
        ("label", label_problem(value["label"]) if "label" in value else None),
        ("behaviour_phrase", label_problem(value.get("behaviour_phrase"), optional=True)),
        ("reassessment_days", reassessment_days_problem(value.get("reassessment_days"))),
    )
    problems.extend((f"{path}.{name}", reason) for name, reason in checks if reason)
    active = value.get("active", True)
    if not isinstance(active, bool):
        problems.append((f"{path}.active", "must be true or false"))
    _check_datetime(value.get("created_at"), f"{path}.created_at", problems)
    if value.get("removed_at") is not None:
        _check_datetime(value["removed_at"], f"{path}.removed_at", problems)
        if active is True:
            problems.append((f"{path}.removed_at", 'is only allowed on a focus with "active": false'))
    key = value.get("id")
    return key if isinstance(key, str) and focus_key_problem(key) is None else None


def validate_document(
    doc: Any,
    *,
    existing_chart_numbers: Iterable[str] = (),
    usernames: Iterable[str] = (),
    clinician_usernames: Iterable[str] | None = None,
    registry: SectionRegistry | None = None,
    today: dt.date | None = None,
) -> list[Problem]:
    """Every problem of an import document, each with its JSON path; empty if it can be imported.

    Args:
        doc: the parsed JSON.
        existing_chart_numbers: chart numbers already in the practice (a reuse is a problem).
        usernames: accounts in the practice (section references are checked against these).
        clinician_usernames: the accounts that may be a client's clinician (default: ``usernames``).
        registry: the sections to accept (default: :func:`default_registry`).
        today: for "date of birth in the future".
    """
    registry = registry if registry is not None else default_registry()
    today = today or dt.date.today()
    users = frozenset(usernames)
    clinicians = users if clinician_usernames is None else frozenset(clinician_usernames)
    problems: list[Problem] = []
    if not isinstance(doc, dict):
        return [("$", f'must be an object with "format": "{FORMAT}", not {_type_name(doc)}')]
    if doc.get("format") != FORMAT:
        return [("$.format", f'must be "{FORMAT}"; this is not a Stagewise practice file')]
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        return [("$.version", "must be a whole number")]
    if version > VERSION:
        return [
            (
                "$.version",
                f"this file is version {version}, written by a newer Stagewise; "
                f"this one reads version {VERSION}: update Stagewise to import it",
            )
        ]
    if version < 1:
        return [("$.version", f"must be {VERSION}")]
    problems.extend(_unknown_fields(doc, ("format", "version", "clients"), "$"))
    clients = doc.get("clients")
    if not isinstance(clients, list):
        problems.append(("$.clients", "must be a list of clients"))
        return problems
    existing = set(existing_chart_numbers)
    first_use: dict[str, int] = {}
    section_names = registry.names()
    sections = {s.name: s for s in registry.sections}  # in order
    for i, client in enumerate(clients):
        path = f"$.clients[{i}]"
        if not isinstance(client, dict):
            problems.append((path, f"must be an object, not {_type_name(client)}"))
            continue
        problems.extend(_unknown_fields(client, (*CLIENT_FIELDS, *section_names), path))
        for name in _REQUIRED_CLIENT:
            if name not in client:
                problems.append((f"{path}.{name}", "is missing"))
        chart: str | None = None
        if "chart_number" in client:
            reason = chart_number_problem(client["chart_number"])
            if reason:
                problems.append((f"{path}.chart_number", reason))
            else:
                chart = client["chart_number"].strip()
                if chart in first_use:
                    problems.append(
                        (
                            f"{path}.chart_number",
                            f"chart number {chart} is also used by $.clients[{first_use[chart]}]",
                        )
                    )
                elif chart in existing:
                    problems.append(
                        (f"{path}.chart_number", f"chart number {chart} is already in use in this practice")
                    )
                first_use.setdefault(chart, i)
        for name in ("given_name", "family_name"):
            if name in client:
                reason = name_problem(client[name])
                if reason:
                    problems.append((f"{path}.{name}", reason))
        if "date_of_birth" in client:
            _check_date_of_birth(client["date_of_birth"], f"{path}.date_of_birth", problems, today)
        status = client.get("status", ClientStatus.ACTIVE.value)
        if status not in {s.value for s in ClientStatus}:
            problems.append((f"{path}.status", 'must be "active" or "discharged"'))
        clinician = client.get("clinician")
        if clinician is not None:
            if not isinstance(clinician, str):
                problems.append((f"{path}.clinician", "must be a user name or null"))
            elif clinician not in clinicians:
                problems.append(
                    (
                        f"{path}.clinician",
                        f"no clinician with user name {clinician} in this practice; "
                        "add the account first (stagewise users add) or remove the field",
                    )
                )
        _check_datetime(client.get("created_at"), f"{path}.created_at", problems)
        if client.get("discharged_at") is not None:
            _check_datetime(client["discharged_at"], f"{path}.discharged_at", problems)
            if status != ClientStatus.DISCHARGED.value:
                problems.append((f"{path}.discharged_at", 'is only allowed when status is "discharged"'))
        focus_keys: set[str] = set()
        focuses = client.get("focuses", [])
        if not isinstance(focuses, list):
            problems.append((f"{path}.focuses", "must be a list of focuses"))
        else:
            for j, focus in enumerate(focuses):
                fpath = f"{path}.focuses[{j}]"
                key = _check_focus(focus, fpath, problems)
                if key is not None:
                    if key in focus_keys:
                        problems.append((f"{fpath}.id", f"focus id {key} appears twice for this client"))
                    focus_keys.add(key)
        ctx = ValidationContext(chart, frozenset(focus_keys), users, {})
        for name, section in sections.items():
            if name in client:
                problems.extend(section.validate(client[name], f"{path}.{name}", ctx))
    return problems


# --------------------------------------------------------------------------------------------------------
# Import


@dataclass(frozen=True, slots=True)
class ImportSummary:
    clients: int
    focuses: int
    sections: Mapping[str, int] = field(default_factory=dict)


def import_document(
    session: Session,
    doc: Any,
    *,
    actor: str | None,
    registry: SectionRegistry | None = None,
    today: dt.date | None = None,
) -> ImportSummary:
    """Validate ``doc`` completely, then add its clients, focuses and sections; one ``import`` audit event.

    Raises:
        ImportValidationError: with every problem; nothing has been written.
    """
    registry = registry if registry is not None else default_registry()
    user_ids = {name: uid for uid, name in session.execute(select(User.id, User.username))}
    clinicians = {u.username for u in session.execute(select(User)).scalars() if Role.CLINICIAN in u.role_set}
    existing = set(session.execute(select(Client.chart_number)).scalars())
    problems = validate_document(
        doc,
        existing_chart_numbers=existing,
        usernames=user_ids,
        clinician_usernames=clinicians,
        registry=registry,
        today=today,
    )
    if problems:
        raise ImportValidationError(problems)
    now = utcnow()
    created: list[tuple[Client, Mapping[str, Any]]] = []
    focus_count = 0
    for entry in doc["clients"]:
        client = _client_row(entry, user_ids, now)
        focus_count += len(client.focuses)
        session.add(client)
        created.append((client, entry))
    session.flush()
    contexts = [
        ImportContext(actor, client.id, client.chart_number, user_ids, {f.key: f.id for f in client.focuses})
        for client, _entry in created
    ]
    counts: dict[str, int] = {}
    for section in registry.sections:
        counts[section.name] = 0
        for ctx, (_client, entry) in zip(contexts, created, strict=True):
            if section.name in entry:
                counts[section.name] += section.import_(session, ctx, entry[section.name])
    session.flush()
    details: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "clients": len(created),
        "focuses": focus_count,
    }
    details.update(counts)
    audit.record(session, actor, "import", "practice", None, details)
    return ImportSummary(len(created), focus_count, counts)


def _client_row(entry: Mapping[str, Any], user_ids: Mapping[str, int], now: dt.datetime) -> Client:
    given, family = clean_line(entry["given_name"]), clean_line(entry["family_name"])
    created_at = parse_utc(entry["created_at"]) if entry.get("created_at") else now
    discharged_at = parse_utc(entry["discharged_at"]) if entry.get("discharged_at") else None
    clinician = entry.get("clinician")
    client = Client(
        chart_number=entry["chart_number"].strip(),
        given_name=given,
        family_name=family,
        given_name_key=name_key(given),
        family_name_key=name_key(family),
        date_of_birth=dt.date.fromisoformat(entry["date_of_birth"]),
        status=entry.get("status", ClientStatus.ACTIVE.value),
        clinician_id=None if clinician is None else user_ids[clinician],
        created_at=created_at,
        updated_at=now,
        discharged_at=discharged_at,
    )
    focuses: list[Focus] = []
    for f in entry.get("focuses", []):
        phrase = f.get("behaviour_phrase")
        active = f.get("active", True)
        focuses.append(
            Focus(
                key=f["id"],
                label=clean_line(f["label"]),
                behaviour_phrase=(clean_line(phrase) or None) if phrase is not None else None,
                reassessment_days=f.get("reassessment_days"),
                active=active,
                created_at=parse_utc(f["created_at"]) if f.get("created_at") else created_at,
                removed_at=(parse_utc(f["removed_at"]) if f.get("removed_at") else (None if active else now)),
            )
        )
    client.focuses = focuses
    return client
