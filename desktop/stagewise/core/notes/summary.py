"""The "insert today's session summary" action of the note editor.

Builds a plain-language summary of one day's completed questionnaires (form, key scores and bands, the
stage the instrument proposed), the risk alerts they raised and whether each was acknowledged and
addressed (by whom and when; the clinician's own words about the action taken are not copied), stage
decisions and intervention decisions for the note's client, appends
it to a field of a draft, and links the note to the administrations and stage records it summarises.
The summary names the focus of change ("Alcohol") but never the client, and never copies reasons.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stagewise.core.audit import trail as audit
from stagewise.core.errors import ConflictError, UserInputError
from stagewise.core.models import (
    Administration,
    AdministrationStatus,
    Focus,
    InterventionDecision,
    Note,
    NoteLink,
    NoteStatus,
    RiskAlert,
    Stage,
    StageBasis,
    StageRecord,
)
from stagewise.core.notes.drafts import save_draft
from stagewise.core.notes.templates import FieldKind, TemplateLibrary, default_templates
from stagewise.core.notes.values import NoteInfo, load_note, note_info
from stagewise.core.stages.labels import NOT_STAGED_WORDING, clinician_label
from stagewise.core.users import people

DECISION_WORDS = {"accepted": "accepted", "declined": "declined", "added": "added by the clinician"}


def _number(value: Any) -> str:
    if value is None:
        return "not scored"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def _day_bounds(on_date: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The local day ``on_date`` as a UTC half-open interval (DST-aware through the system time zone)."""
    start = dt.datetime.combine(on_date, dt.time.min).astimezone()
    end = dt.datetime.combine(on_date + dt.timedelta(days=1), dt.time.min).astimezone()
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def _clock(moment: dt.datetime) -> str:
    """A stored instant as the local time of day (``14:05``)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return f"{aware.astimezone():%H:%M}"


def _stage_word(stage: str | None) -> str:
    return clinician_label(Stage(stage) if stage else None).lower()


def build_summary(
    session: Session,
    client_id: int,
    on_date: dt.date,
    *,
    form_titles: Mapping[str, str] | None = None,
) -> tuple[str, list[int], list[int]]:
    """The summary text plus the ids of the administrations and stage records it covers."""
    titles = dict(form_titles or {})
    start, end = _day_bounds(on_date)
    focus = {
        f.id: f.label for f in session.execute(select(Focus).where(Focus.client_id == client_id)).scalars()
    }
    admins = (
        session.execute(
            select(Administration)
            .where(
                Administration.client_id == client_id,
                Administration.status == AdministrationStatus.COMPLETE.value,
                Administration.completed_at >= start,
                Administration.completed_at < end,
            )
            .order_by(Administration.completed_at, Administration.id)
        )
        .scalars()
        .all()
    )
    records = (
        session.execute(
            select(StageRecord)
            .where(StageRecord.client_id == client_id, StageRecord.effective == on_date)
            .order_by(StageRecord.recorded_at, StageRecord.id)
        )
        .scalars()
        .all()
    )
    decisions = (
        session.execute(
            select(InterventionDecision)
            .where(
                InterventionDecision.client_id == client_id,
                InterventionDecision.decided_at >= start,
                InterventionDecision.decided_at < end,
            )
            .order_by(InterventionDecision.decided_at, InterventionDecision.id)
        )
        .scalars()
        .all()
    )

    alerts = (
        session.execute(
            select(RiskAlert)
            .where(RiskAlert.client_id == client_id, RiskAlert.raised_at >= start, RiskAlert.raised_at < end)
            .order_by(RiskAlert.raised_at, RiskAlert.id)
        )
        .scalars()
        .all()
    )

    lines = [f"Session summary, {on_date.isoformat()}"]
    if not (admins or records or decisions or alerts):
        lines.append("No questionnaires, stage decisions or intervention decisions were recorded that day.")
    if admins:
        lines.append("Questionnaires:")
        for a in admins:
            result: dict[str, Any] = dict(a.result or {})
            title = titles.get(a.form_id) or a.form_id.upper()
            about = f" ({focus[a.focus_id]})" if a.focus_id in focus else ""
            scores = dict(result.get("scores") or {})
            bands = dict(result.get("bands") or {})
            parts = []
            for name, value in scores.items():
                band = bands.get(name)
                parts.append(f"{name} {_number(value)}" + (f" ({band})" if band else ""))
            text = f"- {title}{about}: " + ("; ".join(parts) if parts else "no scores")
            if result.get("stage"):
                text += f"; proposed stage: {_stage_word(str(result['stage']))}"
            lines.append(text)
    if alerts:
        lines.append("Risk alerts:")
        names = people(session)
        form_of = {a.id: a.form_id for a in admins}
        missing = {alert.administration_id for alert in alerts} - form_of.keys()
        if missing:  # raised by a questionnaire completed on another day
            rows = session.execute(
                select(Administration.id, Administration.form_id).where(Administration.id.in_(missing))
            )
            form_of.update({int(i): str(f) for i, f in rows})
        for alert in alerts:
            form = form_of.get(alert.administration_id, "")
            title = titles.get(form) or form.upper()
            item = f" item {alert.item_id}" if alert.item_id else ""
            text = f"- {title}{item} flagged at {_clock(alert.raised_at)}"
            if alert.acknowledged_at is not None:
                who = names.get(alert.acknowledged_by_id, "") if alert.acknowledged_by_id is not None else ""
                text += f"; acknowledged at {_clock(alert.acknowledged_at)}" + (f" by {who}" if who else "")
            else:
                text += "; NOT YET ACKNOWLEDGED"
            if alert.addressed_at is not None:
                who = names.get(alert.addressed_by_id, "") if alert.addressed_by_id is not None else ""
                text += f"; action recorded at {_clock(alert.addressed_at)}" + (f" by {who}" if who else "")
            lines.append(text)
    if records:
        lines.append("Stage decisions:")
        for r in records:
            label = focus.get(r.focus_id, "Focus")
            if r.basis == StageBasis.NOT_STAGED.value:
                how = f"{NOT_STAGED_WORDING.lower()} (reason recorded)"
            elif r.basis == StageBasis.OVERRIDE.value or (r.proposed and r.proposed != r.stage):
                how = (
                    f"{_stage_word(r.stage)} (proposed {_stage_word(r.proposed)}; "
                    "changed by the clinician, reason recorded)"
                )
            elif r.basis == StageBasis.CLINICAL_JUDGEMENT.value:
                how = f"{_stage_word(r.stage)} (clinical judgement)"
            else:
                how = f"{_stage_word(r.stage)} (proposed stage accepted)"
            lines.append(f"- {label}: {how}")
    if decisions:
        lines.append("Interventions:")
        for d in decisions:
            stage = f" ({_stage_word(d.stage)})" if d.stage else ""
            lines.append(f"- {d.title}{stage}: {DECISION_WORDS.get(d.decision, d.decision)}")
    return "\n".join(lines), [a.id for a in admins], [r.id for r in records]


def insert_session_summary(
    session: Session,
    note_id: int,
    *,
    on_date: dt.date,
    field_id: str | None = None,
    actor: str | None = None,
    form_titles: Mapping[str, str] | None = None,
    templates: TemplateLibrary | None = None,
    now: dt.datetime | None = None,
) -> NoteInfo:
    """Append the day's summary to a draft and link the note to what it summarises (audited).

    Args:
        session: the caller's transaction.
        note_id: a draft.
        on_date: the local day to summarise.
        field_id: the field to append to (default: the template's first multi-line field).
        actor: user name for the audit log.
        form_titles: form id → title for the summary (default: the form id in capitals).
        templates: the installed templates (default: shipped plus the practice's own).
        now: the save time (default: now).

    Raises:
        ConflictError: the note is signed.  UserInputError: ``field_id`` is not one of the note's fields.
    """
    note: Note = load_note(session, note_id)
    if note.status != NoteStatus.DRAFT.value:
        raise ConflictError(f"Note {note_id} is signed; add an addendum instead.")
    fields = {str(k): str(v) for k, v in note.fields.items()}
    if field_id is None:
        library = templates if templates is not None else default_templates()
        template = library.find(note.template_id)
        multiline = [f.id for f in (template.fields if template else ()) if f.kind is FieldKind.MULTILINE]
        field_id = next((f for f in multiline if f in fields), next(iter(fields), None))
    if field_id is None or field_id not in fields:
        raise UserInputError(f"This note has no field {field_id!r} to put the summary in.")
    summary, admin_ids, record_ids = build_summary(session, note.client_id, on_date, form_titles=form_titles)
    existing = fields[field_id].rstrip()
    save_draft(session, note_id, {field_id: f"{existing}\n\n{summary}" if existing else summary}, now=now)
    linked = session.execute(
        select(NoteLink.administration_id, NoteLink.stage_record_id).where(NoteLink.note_id == note_id)
    ).all()
    have_a = {a for a, _ in linked if a is not None}
    have_r = {r for _, r in linked if r is not None}
    new_a = [a for a in admin_ids if a not in have_a]
    new_r = [r for r in record_ids if r not in have_r]
    session.add_all([NoteLink(note_id=note_id, administration_id=a) for a in new_a])
    session.add_all([NoteLink(note_id=note_id, stage_record_id=r) for r in new_r])
    session.flush()
    audit.record(
        session,
        actor,
        "update",
        "note",
        note_id,
        {
            "client_id": note.client_id,
            "linked_administrations": len(new_a),
            "linked_stage_records": len(new_r),
        },
    )
    session.refresh(note)
    return note_info(session, note)
