"""Administrations in the interchange format: each client's ``administrations`` array.

Listed in :data:`stagewise.core.interchange.format.SECTIONS` through ``INTERCHANGE_SECTIONS``, so
``stagewise export`` / ``import`` carry them without further wiring.
The format is documented in ``docs/administrations.md``.  Scores are recomputed on import and compared
with the exported ones; a mismatch is reported as a problem, never silently overwritten.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stagewise.core.administrations.form_versions import row_form, snapshot
from stagewise.core.administrations.lifecycle import MAX_VOID_REASON
from stagewise.core.administrations.queries import Number, info_query
from stagewise.core.administrations.results import default_options, raise_risk_alerts, store_result
from stagewise.core.audit import trail as audit
from stagewise.core.errors import UserInputError
from stagewise.core.instruments.loader import Library, load_library
from stagewise.core.instruments.model import Form
from stagewise.core.instruments.scoring import Result, score, validate_answer
from stagewise.core.interchange.sections import ExportContext, ImportContext, Section, ValidationContext
from stagewise.core.models import (
    Administration,
    AdministrationMode,
    AdministrationStatus,
    RiskAlert,
    User,
    iso_utc,
    parse_utc,
    utcnow,
)

EXPORT_FIELDS = (
    "form",
    "form_version",
    "focus",
    "started_at",
    "completed_at",
    "mode",
    "by",
    "status",
    "answers",
    "current_item",
    "behaviour",
    "void_reason",
    "voided_at",
    "result",
    "risk_alerts",
)
_REQUIRED = ("form", "started_at", "mode", "status", "answers")
ALERT_FIELDS = (
    "flag",
    "item",
    "raised_at",
    "acknowledged_by",
    "acknowledged_at",
    "action_taken",
    "addressed_at",
    "addressed_by",
    "addressed_note",
)
Problem = tuple[str, str]


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else iso_utc(value)


def ordered_answers(form: Form, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Answers keyed in printed item order (keys the form does not know last, as given)."""
    order = [it.id for it in form.items if it.id in answers]
    return {**{k: answers[k] for k in order}, **{k: v for k, v in answers.items() if k not in order}}


def export_client_administrations(session: Session, client_id: int) -> list[dict[str, Any]]:
    """Every administration of a client (voided and in-progress ones too) as interchange JSON values.

    Deterministic: ordered by ``started_at`` then id; answers in printed item order; times ISO-8601 UTC
    with milliseconds and ``Z``; ``result`` is the stored result in the scoring contract's shape (null
    for an administration never completed); ``risk_alerts`` carries each alert and its acknowledgement.
    """
    users: dict[int, str] = {uid: name for uid, name in session.execute(select(User.id, User.username))}
    q = info_query().where(Administration.client_id == client_id)
    out: list[dict[str, Any]] = []
    for adm, key, _active, username, sha256 in session.execute(
        q.order_by(Administration.started_at, Administration.id)
    ):
        form = row_form(session, adm, sha256=sha256)
        alerts = session.execute(
            select(RiskAlert).where(RiskAlert.administration_id == adm.id).order_by(RiskAlert.id)
        ).scalars()
        out.append(
            {
                "form": adm.form_id,
                "form_version": adm.form_version,
                "focus": key,
                "started_at": _iso(adm.started_at),
                "completed_at": _iso(adm.completed_at),
                "mode": adm.mode,
                "by": username,
                "status": adm.status,
                "answers": ordered_answers(form, adm.answers or {}),
                "current_item": adm.current_item,
                "behaviour": adm.behaviour_text,
                "void_reason": adm.void_reason,
                "voided_at": _iso(adm.voided_at),
                "result": adm.result,
                "risk_alerts": [
                    {
                        "flag": a.flag,
                        "item": a.item_id,
                        "raised_at": _iso(a.raised_at),
                        "acknowledged_by": users.get(a.acknowledged_by_id) if a.acknowledged_by_id else None,
                        "acknowledged_at": _iso(a.acknowledged_at),
                        "action_taken": a.action_taken,
                        "addressed_at": _iso(a.addressed_at),
                        "addressed_by": users.get(a.addressed_by_id) if a.addressed_by_id else None,
                        "addressed_note": a.addressed_note,
                    }
                    for a in alerts
                ],
            }
        )
    return out


def _time(value: Any, path: str, problems: list[Problem], *, required: bool = False) -> dt.datetime | None:
    if value is None:
        if required:
            problems.append((path, "is missing"))
        return None
    if isinstance(value, str):
        try:
            return parse_utc(value, strict=True)
        except ValueError:
            pass
    problems.append((path, "must be a date and time like 2026-01-05T09:30:00.000Z"))
    return None


def _text_problem(value: Any, path: str, problems: list[Problem], *, limit: int = 4000) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip() or len(value) > limit):
        problems.append((path, f"must be text of 1 to {limit} characters"))


def _fmt(value: Number | None) -> str:
    return "none" if value is None else f"{value:g}"


def _compare_result(exported: Any, recomputed: Result, path: str, problems: list[Problem]) -> None:
    if not isinstance(exported, Mapping):
        problems.append((path, "must be an object in the scoring contract's shape"))
        return
    try:
        stored = Result.from_json(exported)
    except UserInputError as exc:
        problems.append((path, str(exc)))
        return
    differs = []
    for name in dict.fromkeys([*stored.scores, *recomputed.scores]):
        a, b = stored.scores.get(name), recomputed.scores.get(name)
        if (a is None) != (b is None) or (
            a is not None and b is not None and not math.isclose(a, b, rel_tol=0, abs_tol=1e-9)
        ):
            differs.append(f"{name} {_fmt(a)} vs {_fmt(b)}")
    if differs:
        problems.append((path, f"stored scores differ from the recomputed ones ({'; '.join(differs)})"))


def _validate_alerts(value: Any, path: str, usernames: frozenset[str], problems: list[Problem]) -> None:
    if not isinstance(value, list):
        problems.append((path, "must be a list"))
        return
    for j, alert in enumerate(value):
        where = f"{path}[{j}]"
        if not isinstance(alert, Mapping):
            problems.append((where, "must be an object"))
            continue
        problems.extend((f"{where}.{k}", "unknown field") for k in alert if k not in ALERT_FIELDS)
        if not isinstance(alert.get("flag"), str) or not alert["flag"]:
            problems.append((f"{where}.flag", "must be the flag's name"))
        _time(alert.get("raised_at"), f"{where}.raised_at", problems, required=True)
        for who in ("acknowledged_by", "addressed_by"):
            name = alert.get(who)
            if name is not None and name not in usernames:
                problems.append((f"{where}.{who}", f"there is no user {name!r} in this practice"))
        acked = _time(alert.get("acknowledged_at"), f"{where}.acknowledged_at", problems)
        addressed = _time(alert.get("addressed_at"), f"{where}.addressed_at", problems)
        _text_problem(alert.get("action_taken"), f"{where}.action_taken", problems)
        _text_problem(alert.get("addressed_note"), f"{where}.addressed_note", problems)
        if acked is not None and (alert.get("acknowledged_by") is None or alert.get("action_taken") is None):
            problems.append(
                (f"{where}.acknowledged_at", "an acknowledgement needs acknowledged_by and action_taken")
            )
        if addressed is not None and acked is None:
            problems.append((f"{where}.addressed_at", "an alert is acknowledged before it is addressed"))


def validate_client_administrations(
    data: Any,
    path: str,
    *,
    focus_keys: Iterable[str],
    usernames: Iterable[str],
    library: Library,
) -> list[Problem]:
    """Every problem of one client's ``administrations`` array, as ``(json_path, reason)``; writes nothing.

    Checks instrument and version, focus, user, mode, status, times, every answer against the item's
    scale, and re-scores each administration that carries a result: a difference from the exported
    scores is a problem ("stored scores differ from the recomputed ones (readiness 9.4 vs 9.3)"), never
    silently overwritten.  Only scores are compared (bands and stage may depend on practice options).
    """
    keys = frozenset(focus_keys)
    users = frozenset(usernames)
    problems: list[Problem] = []
    if not isinstance(data, list):
        return [(path, "must be a list of administrations")]
    for i, entry in enumerate(data):
        where = f"{path}[{i}]"
        if not isinstance(entry, Mapping):
            problems.append((where, "must be an object"))
            continue
        problems.extend(
            (f"{where}.{k}", "unknown field; this version of Stagewise cannot import it")
            for k in entry
            if k not in EXPORT_FIELDS
        )
        problems.extend((f"{where}.{k}", "is missing") for k in _REQUIRED if k not in entry)
        form: Form | None = None
        form_id, version = entry.get("form"), entry.get("form_version")
        if isinstance(form_id, str) and (version is None or isinstance(version, str)):
            try:
                form = library.get(form_id, version)
            except UserInputError as exc:
                problems.append((f"{where}.form", str(exc)))
        elif "form" in entry:
            problems.append((f"{where}.form", "must be an instrument id such as urica-32"))
        focus = entry.get("focus")
        if focus is not None and focus not in keys:
            problems.append((f"{where}.focus", f"this client has no focus {focus!r}"))
        by = entry.get("by")
        if by is not None and by not in users:
            problems.append((f"{where}.by", f"there is no user {by!r} in this practice"))
        if "mode" in entry and entry["mode"] not in {m.value for m in AdministrationMode}:
            problems.append((f"{where}.mode", 'must be "clinician" or "client"'))
        status = entry.get("status")
        if "status" in entry and status not in {s.value for s in AdministrationStatus}:
            problems.append((f"{where}.status", 'must be "complete", "in_progress" or "voided"'))
        started = _time(
            entry.get("started_at"), f"{where}.started_at", problems, required="started_at" in entry
        )
        completed = _time(
            entry.get("completed_at"),
            f"{where}.completed_at",
            problems,
            required=status == AdministrationStatus.COMPLETE.value,
        )
        if status == AdministrationStatus.IN_PROGRESS.value and entry.get("completed_at") is not None:
            problems.append((f"{where}.completed_at", "an administration in progress has no completion time"))
        if started is not None and completed is not None and completed < started:
            problems.append((f"{where}.completed_at", "is before started_at"))
        _time(entry.get("voided_at"), f"{where}.voided_at", problems)
        if status == AdministrationStatus.VOIDED.value:
            reason = entry.get("void_reason")
            if not isinstance(reason, str) or not reason.strip():
                problems.append((f"{where}.void_reason", "a voided administration needs its reason"))
        _text_problem(entry.get("void_reason"), f"{where}.void_reason", problems, limit=MAX_VOID_REASON)
        _text_problem(entry.get("behaviour"), f"{where}.behaviour", problems, limit=200)
        answers = entry.get("answers")
        clean: dict[str, Number] = {}
        if "answers" in entry and not isinstance(answers, Mapping):
            problems.append((f"{where}.answers", "must be an object mapping item numbers to values"))
        elif isinstance(answers, Mapping) and form is not None:
            for item_id, value in answers.items():
                try:
                    clean[item_id] = validate_answer(form, item_id, value)
                except UserInputError as exc:
                    problems.append((f"{where}.answers.{item_id}", str(exc)))
        current = entry.get("current_item")
        if current is not None and form is not None and current not in {it.id for it in form.items}:
            problems.append((f"{where}.current_item", f"{form.id} has no item {current!r}"))
        result = entry.get("result")
        if status == AdministrationStatus.COMPLETE.value and result is None and "result" in entry:
            problems.append((f"{where}.result", "a completed administration's result is missing"))
        if (
            result is not None
            and form is not None
            and isinstance(answers, Mapping)
            and len(clean) == len(answers)
        ):
            _compare_result(result, score(form, clean), f"{where}.result", problems)
        if "risk_alerts" in entry:
            _validate_alerts(entry["risk_alerts"], f"{where}.risk_alerts", users, problems)
    return problems


def import_client_administrations(
    session: Session,
    client_id: int,
    items: Sequence[Mapping[str, Any]],
    *,
    focus_ids: Mapping[str, int],
    user_ids: Mapping[str, int],
    actor: str | None,
    library: Library,
) -> list[int]:
    """Write a client's administrations from an array :func:`validate_client_administrations` passed.

    Results are recomputed here (with the practice's options) and stored; the exported result is never
    copied.  Risk alerts come from ``risk_alerts`` when the entry has it, otherwise every flagged answer
    raises a new, unacknowledged alert (a risk answer is never lost on the way in).

    Returns:
        The new administrations' ids, in the array's order.
    """
    ids: list[int] = []
    now = utcnow()
    for entry in items:
        form = library.get(entry["form"], entry.get("form_version"))
        version = snapshot(session, form)
        answers = {k: validate_answer(form, k, v) for k, v in dict(entry["answers"]).items()}
        focus = entry.get("focus")
        by = entry.get("by")
        adm = Administration(
            client_id=client_id,
            # A client-level measure (PHQ-9, GAD-7) is filed without a focus, even from an older file.
            focus_id=None if focus is None or form.client_level else focus_ids[focus],
            form_id=form.id,
            form_version=form.version,
            form_version_id=version.id,
            scoring_version=form.scoring_version,
            mode=entry["mode"],
            by_user_id=None if by is None else user_ids[by],
            started_at=parse_utc(entry["started_at"]),
            completed_at=None if entry.get("completed_at") is None else parse_utc(entry["completed_at"]),
            status=entry["status"],
            void_reason=(entry.get("void_reason") or "").strip() or None,
            voided_at=None if entry.get("voided_at") is None else parse_utc(entry["voided_at"]),
            answers=ordered_answers(form, answers),
            current_item=entry.get("current_item") or form.items[0].id,
            behaviour_text=entry.get("behaviour"),
        )
        session.add(adm)
        session.flush()
        result: Result | None = None
        if entry.get("result") is not None or entry["status"] == AdministrationStatus.COMPLETE.value:
            result = score(form, answers, default_options(session, form))
            store_result(session, adm, result, now)
        if "risk_alerts" in entry:
            for alert in entry["risk_alerts"]:
                session.add(
                    RiskAlert(
                        client_id=client_id,
                        administration_id=adm.id,
                        flag=alert["flag"],
                        item_id=alert.get("item"),
                        raised_at=parse_utc(alert["raised_at"]),
                        acknowledged_by_id=user_ids.get(alert.get("acknowledged_by") or ""),
                        acknowledged_at=None if alert.get("acknowledged_at") is None
                        else parse_utc(alert["acknowledged_at"]),
                        action_taken=alert.get("action_taken"),
                        addressed_at=None if alert.get("addressed_at") is None
                        else parse_utc(alert["addressed_at"]),
                        addressed_by_id=user_ids.get(alert.get("addressed_by") or ""),
                        addressed_note=alert.get("addressed_note"),
                    )
                )  # fmt: skip
        else:
            raise_risk_alerts(session, adm, form, result, actor, now)
        session.flush()
        ids.append(adm.id)
    if ids:
        audit.record(
            session, actor, "import", "administration", None, {"client_id": client_id, "count": len(ids)}
        )
    return ids


def _section_export(session: Session, ctx: ExportContext) -> list[Any]:
    return list(export_client_administrations(session, ctx.client_id))


def _section_validate(value: Any, path: str, ctx: ValidationContext) -> list[Problem]:
    return validate_client_administrations(
        value, path, focus_keys=ctx.focus_keys, usernames=ctx.usernames, library=load_library()
    )


def _section_import(session: Session, ctx: ImportContext, value: Any) -> int:
    ids = import_client_administrations(
        session,
        ctx.client_id,
        value,
        focus_ids=ctx.focus_ids,
        user_ids=ctx.user_ids,
        actor=ctx.actor,
        library=load_library(),
    )
    return len(ids)


# Stage records point at administrations, so administrations import first (order 20).
INTERCHANGE_SECTIONS = (
    Section("administrations", _section_export, _section_validate, _section_import, order=20),
)
