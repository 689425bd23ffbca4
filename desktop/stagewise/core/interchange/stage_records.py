"""Stage records and intervention decisions as plain JSON values: export, validation and import for one
client (wired into the interchange file by :mod:`stagewise.core.interchange.stages`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stagewise.core.audit import trail as audit
from stagewise.core.errors import ImportValidationError, shorten
from stagewise.core.models import (
    DecisionKind,
    Focus,
    InterventionDecision,
    Stage,
    StageRecord,
    User,
    iso_utc,
    parse_utc,
    utcnow,
)
from stagewise.core.stages.interventions import (
    InterventionModel,
)
from stagewise.core.stages.records import (
    MAX_REASON,
    MAX_TITLE,
    _stage_or_none,
    decisions,
    derive_basis,
)

# --------------------------------------------------------------------------------------------------------
# Interchange (pure data in / data out; wired into interchange.py by its owner)

_RECORD_KEYS = {"focus", "effective", "proposed", "stage", "basis", "reason", "by", "recorded_at"}
_DECISION_KEYS = {
    "focus",
    "intervention",
    "title",
    "model",
    "stage",
    "decision",
    "reason",
    "by",
    "decided_at",
}


def export_client_sections(session: Session, client_id: int) -> dict[str, list[dict[str, Any]]]:
    """A client's ``stage_records`` and ``intervention_decisions`` for the interchange file.

    Deterministic order: stage records by (focus key, effective date, id), decisions by (decided_at, id).
    Dates are ISO (``2026-01-05``), times UTC ISO with milliseconds, ``by`` is the user name.
    """
    q = (
        select(StageRecord, Focus.key, User.username)
        .join(Focus, Focus.id == StageRecord.focus_id)
        .outerjoin(User, User.id == StageRecord.by_user_id)
        .where(StageRecord.client_id == client_id)
        .order_by(Focus.key, StageRecord.effective, StageRecord.id)
    )
    records = [
        {
            "focus": key,
            "effective": rec.effective.isoformat(),
            "proposed": rec.proposed,
            "stage": rec.stage,
            "basis": rec.basis,
            "reason": rec.reason,
            "by": username,
            "recorded_at": iso_utc(rec.recorded_at),
        }
        for rec, key, username in session.execute(q)
    ]
    chosen = [
        {
            "focus": d.focus_key,
            "intervention": d.intervention_id,
            "title": d.title,
            "model": None if d.model is None else d.model.value,
            "stage": None if d.stage is None else d.stage.value,
            "decision": d.decision.value,
            "reason": d.reason,
            "by": d.by_username,
            "decided_at": iso_utc(d.decided_at),
        }
        for d in decisions(session, client_id=client_id)
    ]
    return {"stage_records": records, "intervention_decisions": chosen}


def _enum_problem(
    value: object, enum_cls: type[Stage] | type[InterventionModel] | type[DecisionKind]
) -> str | None:
    if isinstance(value, str) and value in {m.value for m in enum_cls}:
        return None
    return f"{value!r} is not one of {', '.join(m.value for m in enum_cls)}"


def _text_problem(value: object, *, max_len: int, required: bool) -> str | None:
    if value is None:
        return "this field is required" if required else None
    if not isinstance(value, str):
        return "must be text"
    if required and not value.strip():
        return "must not be blank"
    if len(value) > max_len:
        return f"is longer than {max_len} characters"
    return None


def _date_problem(value: object) -> str | None:
    if not isinstance(value, str):
        return "must be a date like 2026-01-05"
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return f"{value!r} is not a date like 2026-01-05"
    return None


def _time_problem(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        return "must be a UTC time like 2026-01-05T09:30:00.000Z"
    try:
        parse_utc(value, strict=True)
    except ValueError:
        return f"{shorten(value)} is not a UTC time like 2026-01-05T09:30:00.000Z"
    return None


def _validate_record(
    item: object, where: str, focus_keys: set[str], usernames: set[str]
) -> list[tuple[str, str]]:
    if not isinstance(item, dict):
        return [(where, "must be an object")]
    problems: list[tuple[str, str]] = []
    for key in sorted(set(item) - _RECORD_KEYS):
        problems.append((f"{where}.{key}", "unknown field"))
    for key in ("focus", "effective", "stage"):
        if key not in item:
            problems.append((f"{where}.{key}", "this field is required"))
    if "focus" in item and item["focus"] not in focus_keys:
        problems.append((f"{where}.focus", f"{item['focus']!r} is not one of this client's focuses"))
    if "effective" in item and (p := _date_problem(item["effective"])):
        problems.append((f"{where}.effective", p))
    for key in ("stage", "proposed"):
        if item.get(key) is not None and (p := _enum_problem(item[key], Stage)):
            problems.append((f"{where}.{key}", p))
    if (p := _text_problem(item.get("reason"), max_len=MAX_REASON, required=False)) is not None:
        problems.append((f"{where}.reason", p))
    if item.get("by") is not None and item["by"] not in usernames:
        problems.append((f"{where}.by", f"{item['by']!r} is not a user of this practice"))
    if (p := _time_problem(item.get("recorded_at"))) is not None:
        problems.append((f"{where}.recorded_at", p))
    if problems:
        return problems
    stage, proposed = _stage_or_none(item["stage"]), _stage_or_none(item.get("proposed"))
    reason = item.get("reason")
    has_reason = isinstance(reason, str) and bool(reason.strip())
    basis = derive_basis(stage, proposed)
    if item.get("basis") is not None and item["basis"] != basis.value:
        problems.append((f"{where}.basis", f"must be {basis.value!r} for this stage and proposed stage"))
    if stage is None and not has_reason:
        problems.append((f"{where}.reason", "a reason is required for 'not staged for now'"))
    elif proposed is not None and proposed != stage and not has_reason:
        problems.append(
            (f"{where}.reason", "a reason is required when the stage differs from the proposed one")
        )
    return problems


def _validate_decision(
    item: object, where: str, focus_keys: set[str], usernames: set[str]
) -> list[tuple[str, str]]:
    if not isinstance(item, dict):
        return [(where, "must be an object")]
    problems: list[tuple[str, str]] = []
    for key in sorted(set(item) - _DECISION_KEYS):
        problems.append((f"{where}.{key}", "unknown field"))
    for key in ("focus", "title", "decision"):
        if key not in item:
            problems.append((f"{where}.{key}", "this field is required"))
    if "focus" in item and item["focus"] not in focus_keys:
        problems.append((f"{where}.focus", f"{item['focus']!r} is not one of this client's focuses"))
    if "title" in item and (p := _text_problem(item["title"], max_len=MAX_TITLE, required=True)):
        problems.append((f"{where}.title", p))
    if "decision" in item and (p := _enum_problem(item["decision"], DecisionKind)):
        problems.append((f"{where}.decision", p))
    if item.get("model") is not None and (p := _enum_problem(item["model"], InterventionModel)):
        problems.append((f"{where}.model", p))
    if item.get("stage") is not None and (p := _enum_problem(item["stage"], Stage)):
        problems.append((f"{where}.stage", p))
    intervention = item.get("intervention")
    if intervention is not None and (not isinstance(intervention, str) or not intervention.strip()):
        problems.append((f"{where}.intervention", "must be a library id or null"))
    if (p := _text_problem(item.get("reason"), max_len=MAX_REASON, required=False)) is not None:
        problems.append((f"{where}.reason", p))
    if item.get("by") is not None and item["by"] not in usernames:
        problems.append((f"{where}.by", f"{item['by']!r} is not a user of this practice"))
    if (p := _time_problem(item.get("decided_at"))) is not None:
        problems.append((f"{where}.decided_at", p))
    kind = item.get("decision")
    if kind == DecisionKind.ADDED.value and intervention is not None:
        problems.append((f"{where}.intervention", "an 'added' intervention is the clinician's own: use null"))
    if kind in (DecisionKind.ACCEPTED.value, DecisionKind.DECLINED.value) and intervention is None:
        problems.append((f"{where}.intervention", f"a {kind} intervention names its library id"))
    return problems


def validate_client_sections(
    data: Mapping[str, Any], path: str, *, focus_keys: set[str], usernames: set[str]
) -> list[tuple[str, str]]:
    """Check a client's ``stage_records`` and ``intervention_decisions`` (both optional).

    Args:
        data: the client object from the interchange file.
        path: its JSON path (``$.clients[3]``), prefixed to every problem.
        focus_keys: the focus keys the client has (after import).
        usernames: the practice's user names (after import).

    Returns:
        Every problem as ``(json_path, reason)``; empty when the sections are valid.
    """
    problems: list[tuple[str, str]] = []
    for section, check in (
        ("stage_records", _validate_record),
        ("intervention_decisions", _validate_decision),
    ):
        items = data.get(section)
        if items is None:
            continue
        if not isinstance(items, list):
            problems.append((f"{path}.{section}", "must be a list"))
            continue
        for n, item in enumerate(items):
            problems += check(item, f"{path}.{section}[{n}]", focus_keys, usernames)
    return problems


def import_client_sections(
    session: Session,
    client_id: int,
    data: Mapping[str, Any],
    *,
    focus_ids: Mapping[str, int],
    user_ids: Mapping[str, int],
    actor: str | None,
    now: dt.datetime | None = None,
) -> tuple[int, int]:
    """Write a validated client's stage records and intervention decisions.

    Records are inserted in file order within each (focus, effective date), so same-day supersession
    survives a round trip.  A decision is linked to the latest imported record of its focus effective on
    or before its day.  One audit event (``import``, ``client``) gives the counts.

    Raises:
        ImportValidationError: the sections are invalid (nothing is written).

    Returns:
        ``(stage records written, decisions written)``.
    """
    problems = validate_client_sections(data, "$", focus_keys=set(focus_ids), usernames=set(user_ids))
    if problems:
        raise ImportValidationError(problems)
    stamp = now or utcnow()
    items: Sequence[dict[str, Any]] = data.get("stage_records") or []
    ordered = sorted(enumerate(items), key=lambda p: (p[1]["focus"], p[1]["effective"], p[0]))
    written: dict[str, list[StageRecord]] = {}
    for _, item in ordered:
        stage, proposed = _stage_or_none(item["stage"]), _stage_or_none(item.get("proposed"))
        reason = item.get("reason")
        row = StageRecord(
            client_id=client_id,
            focus_id=focus_ids[item["focus"]],
            proposed=None if proposed is None else proposed.value,
            stage=None if stage is None else stage.value,
            basis=derive_basis(stage, proposed).value,
            reason=reason.strip() if isinstance(reason, str) and reason.strip() else None,
            by_user_id=None if item.get("by") is None else user_ids[item["by"]],
            recorded_at=parse_utc(item["recorded_at"]) if item.get("recorded_at") else stamp,
            effective=dt.date.fromisoformat(item["effective"]),
        )
        session.add(row)
        written.setdefault(item["focus"], []).append(row)
    session.flush()
    chosen: Sequence[dict[str, Any]] = data.get("intervention_decisions") or []
    for item in chosen:
        decided_at = parse_utc(item["decided_at"]) if item.get("decided_at") else stamp
        linked = [r for r in written.get(item["focus"], []) if r.effective <= decided_at.date()]
        if not linked:  # records imported earlier (a separate section call): look them up
            earlier = session.execute(
                select(StageRecord)
                .where(
                    StageRecord.focus_id == focus_ids[item["focus"]],
                    StageRecord.effective <= decided_at.date(),
                )
                .order_by(StageRecord.effective.desc(), StageRecord.id.desc())
                .limit(1)
            ).scalar()
            linked = [earlier] if earlier is not None else []
        reason = item.get("reason")
        session.add(
            InterventionDecision(
                client_id=client_id,
                focus_id=focus_ids[item["focus"]],
                stage_record_id=linked[-1].id if linked else None,
                intervention_id=item.get("intervention"),
                title=" ".join(item["title"].split()),
                model=item.get("model"),
                stage=item.get("stage"),
                decision=item["decision"],
                reason=reason.strip() if isinstance(reason, str) and reason.strip() else None,
                by_user_id=None if item.get("by") is None else user_ids[item["by"]],
                decided_at=decided_at,
            )
        )
    session.flush()
    audit.record(
        session,
        actor,
        "import",
        "client",
        client_id,
        {"stage_records": len(items), "intervention_decisions": len(chosen)},
    )
    return len(items), len(chosen)
