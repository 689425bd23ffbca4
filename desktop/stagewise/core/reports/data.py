"""The reports' input values, and the gatherers that read them from the practice file.

Reports render from these frozen dataclasses only, so a report can be built from any source (the
database, a fixture, a future import preview) and the renderers never touch the ORM.  The gatherers read
the ORM models directly and read only; the caller owns the session (one user action = one transaction).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stagewise.core.administrations import form_versions
from stagewise.core.errors import NotFoundError, StagewiseError, UserInputError
from stagewise.core.instruments.loader import load_library
from stagewise.core.models import (
    Addendum,
    Administration,
    AdministrationStatus,
    Client,
    DecisionKind,
    Focus,
    InterventionDecision,
    Note,
    NoteStatus,
    Setting,
    Stage,
    StageBasis,
    StageRecord,
    parse_utc,
)
from stagewise.core.notes.templates import Template, TemplateLibrary, default_templates
from stagewise.core.users import people

log = logging.getLogger(__name__)

Number = int | float


@dataclass(frozen=True, slots=True)
class ClientIdentity:
    """Who the report is about (printed on every page of a clinician summary)."""

    chart_number: str
    given_name: str
    family_name: str
    date_of_birth: dt.date | None

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


@dataclass(frozen=True, slots=True)
class StageEntry:
    """One stage decision.  ``stage`` None means "not staged for now"."""

    effective: dt.date
    stage: Stage | None
    proposed: Stage | None = None
    basis: StageBasis = StageBasis.CLINICAL_JUDGEMENT
    reason: str | None = None  # clinician-only (override or pause reason)

    @property
    def differs_from_proposed(self) -> bool:
        return self.proposed is not None and self.proposed != self.stage


@dataclass(frozen=True, slots=True)
class InterventionEntry:
    """An accepted (or clinician-added) intervention.

    ``client_wording`` is the library entry's plain wording for the client (None: the entry has none or
    is no longer in the library); a clinician-added one (``intervention_id`` None) has only its title.
    """

    decided_at: dt.datetime
    title: str
    stage: Stage | None
    model: str | None
    focus_key: str
    intervention_id: str | None = None
    client_wording: str | None = None


@dataclass(frozen=True, slots=True)
class FocusSummary:
    """One focus in the report: its stage history (oldest first) and interventions."""

    key: str
    label: str
    history: tuple[StageEntry, ...]
    interventions: tuple[InterventionEntry, ...] = ()
    behaviour_phrase: str | None = None

    @property
    def current(self) -> StageEntry | None:
        """The latest stage decision (the one in force at the report's end)."""
        return self.history[-1] if self.history else None


@dataclass(frozen=True, slots=True)
class AdministrationEntry:
    """One completed administration's result (the scoring contract's ``result`` JSON, unpacked)."""

    id: int
    form_id: str
    form_version: str
    completed_at: dt.datetime
    focus_key: str | None
    scores: Mapping[str, Number | None]
    bands: Mapping[str, str] = field(default_factory=dict)
    stage: Stage | None = None
    complete: bool = True
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AddendumEntry:
    written_at: dt.datetime
    author: str
    text: str
    hash: str


@dataclass(frozen=True, slots=True)
class NoteEntry:
    """A signed note as the report shows it: a short summary and its hash."""

    id: int
    template_id: str
    template_title: str
    written_at: dt.datetime
    signed_at: dt.datetime
    signed_by: str
    fields: tuple[tuple[str, str], ...]  # (field label, text) in the template's order
    hash: str
    addenda: tuple[AddendumEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class InstrumentCaveats:
    """What is unverified about one instrument version in the report (clinician version only)."""

    short_title: str
    citation_short: str
    caveats: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ClientReportData:
    """Everything a client progress summary shows."""

    practice_name: str
    client: ClientIdentity
    start: dt.date
    end: dt.date
    focuses: tuple[FocusSummary, ...]
    administrations: tuple[AdministrationEntry, ...]
    notes: tuple[NoteEntry, ...] | None = None  # None: notes not included in this report
    clinician_name: str | None = None
    client_stage_labels: Mapping[str, str] = field(default_factory=dict)
    generated_at: dt.datetime | None = None
    caveats: tuple[InstrumentCaveats, ...] = ()  # footnote of the clinician version, never the client's


# --------------------------------------------------------------------------------------------------------
# Gathering from the practice file


def practice_name(session: Session) -> str:
    """The practice's display name (``practice_name`` setting)."""
    row = session.get(Setting, "practice_name")
    return str(row.value) if row is not None and row.value else "Practice"


def _setting_map(session: Session, key: str) -> dict[str, str]:
    row = session.get(Setting, key)
    if row is None or not isinstance(row.value, dict):
        return {}
    return {str(k): str(v) for k, v in row.value.items() if v}


def _stage(value: str | None) -> Stage | None:
    return Stage(value) if value else None


def _user_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """The people with these ids as printed (``users.person_label``: the user name only to tell two apart)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    person = people(session)
    return {i: person[i] for i in wanted if i in person}


def _num(value: Any) -> Number | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    return None


def administration_entry(adm: Administration, focus_keys: Mapping[int, str]) -> AdministrationEntry | None:
    """An :class:`AdministrationEntry` from a stored administration (None if it has no result)."""
    result = adm.result
    if not isinstance(result, dict):
        return None
    scores_raw = result.get("scores") or {}
    bands_raw = result.get("bands") or {}
    stage_raw = result.get("stage")
    try:
        stage = Stage(stage_raw) if isinstance(stage_raw, str) and stage_raw else None
    except ValueError:
        stage = None
    flags_raw = result.get("flags") or []
    flags = tuple(str(f if not isinstance(f, dict) else f.get("name", "flag")) for f in flags_raw)
    when = adm.completed_at or adm.started_at
    return AdministrationEntry(
        id=adm.id,
        form_id=adm.form_id,
        form_version=str(result.get("form_version") or adm.form_version),
        completed_at=when,
        focus_key=focus_keys.get(adm.focus_id) if adm.focus_id is not None else None,
        scores={str(k): _num(v) for k, v in scores_raw.items()},
        bands={str(k): str(v) for k, v in bands_raw.items() if v is not None},
        stage=stage,
        complete=bool(result.get("complete", True)),
        flags=flags,
    )


def _first_day(session: Session, client: Client) -> dt.date:
    """The client's earliest date on record (history imported from elsewhere may predate the chart)."""
    first_stage = session.execute(
        select(func.min(StageRecord.effective)).where(StageRecord.client_id == client.id)
    ).scalar()
    first_adm = session.execute(
        select(func.min(Administration.completed_at)).where(Administration.client_id == client.id)
    ).scalar()
    days = [client.created_at.date()]
    if isinstance(first_stage, dt.date):
        days.append(first_stage)
    if isinstance(first_adm, str):  # func.min over the ISO text column returns the raw text
        days.append(parse_utc(first_adm).date())
    elif isinstance(first_adm, dt.datetime):
        days.append(first_adm.date())
    return min(days)


def _day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    return lo, hi


def _note_fields(fields: Mapping[str, Any], template: Template | None) -> tuple[tuple[str, str], ...]:
    """(label, text) pairs in the template's order (fields it does not know follow, by their ids)."""
    labels: dict[str, str] = {}
    order: list[str] = []
    if template is not None:
        labels = {f.id: f.label for f in template.fields}
        order = [f.id for f in template.fields if f.id in fields]
    order += [k for k in fields if k not in labels]
    out: list[tuple[str, str]] = []
    for name in order:
        value = fields[name]
        if value is None or value == "" or value == [] or value == {}:
            continue
        if isinstance(value, list):
            text = "; ".join(str(v) for v in value)
        elif isinstance(value, dict):
            text = "; ".join(f"{k}: {v}" for k, v in value.items())
        else:
            text = str(value)
        out.append((labels.get(name) or str(name).replace("_", " ").capitalize(), text))
    return tuple(out)


def gather_client_report(
    session: Session,
    client_id: int,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    focus_keys: Sequence[str] | None = None,
    include_notes: bool = False,
    templates: TemplateLibrary | None = None,
) -> ClientReportData:
    """Read one client's report data from the practice file.

    Args:
        session: the caller's session (read only).
        client_id: the client's id.
        start: first day included (default: the client's first record).
        end: last day included (default: today).
        focus_keys: the focuses to include (default: every focus, removed ones too if they have history).
        include_notes: also gather signed notes and their addenda written in the range.
        templates: note templates for field labels and titles (default: shipped plus the practice's own;
            a template that cannot be loaded only costs its labels).

    Returns:
        The report data; administrations are completed ones only (voided and in-progress excluded),
        interventions are accepted or clinician-added ones, notes are signed ones only.

    Raises:
        NotFoundError: no such client, or a named focus does not exist for this client.
        UserInputError: ``start`` is after ``end``.
    """
    client = session.get(Client, client_id)
    if client is None:
        raise NotFoundError(f"There is no client with id {client_id}.")
    end = end or dt.date.today()
    start = start or min(_first_day(session, client), end)
    if start > end:
        raise UserInputError("The report's start date is after its end date.")
    lo, hi = _day_bounds(start, end)

    all_focuses = list(
        session.execute(select(Focus).where(Focus.client_id == client_id).order_by(Focus.id)).scalars()
    )
    if focus_keys:
        known = {f.key: f for f in all_focuses}
        missing = [k for k in focus_keys if k not in known]
        if missing:
            raise NotFoundError(
                f"This client has no focus {missing[0]!r}; focuses are: {', '.join(known) or 'none'}."
            )
        focuses = [known[k] for k in dict.fromkeys(focus_keys)]
    else:
        focuses = all_focuses
    focus_ids = [f.id for f in focuses]
    keys_by_id = {f.id: f.key for f in all_focuses}

    # Stage records up to the end; the last one before the start gives the stage in force at the start.
    records = session.execute(
        select(StageRecord)
        .where(StageRecord.client_id == client_id, StageRecord.effective <= end)
        .order_by(StageRecord.focus_id, StageRecord.effective, StageRecord.id)
    ).scalars()
    by_focus: dict[int, list[StageEntry]] = {fid: [] for fid in focus_ids}
    for rec in records:
        if rec.focus_id not in by_focus:
            continue
        entry = StageEntry(
            effective=rec.effective,
            stage=_stage(rec.stage),
            proposed=_stage(rec.proposed),
            basis=StageBasis(rec.basis),
            reason=rec.reason,
        )
        entries = by_focus[rec.focus_id]
        if rec.effective < start:
            # only the latest earlier decision matters; it starts the report's timeline
            entries[:] = [entry]
        else:
            entries.append(entry)

    decisions = session.execute(
        select(InterventionDecision)
        .where(
            InterventionDecision.client_id == client_id,
            InterventionDecision.decision.in_([DecisionKind.ACCEPTED.value, DecisionKind.ADDED.value]),
            InterventionDecision.decided_at >= lo,
            InterventionDecision.decided_at < hi,
        )
        .order_by(InterventionDecision.decided_at, InterventionDecision.id)
    ).scalars()
    interventions: dict[int, list[InterventionEntry]] = {fid: [] for fid in focus_ids}
    wordings: dict[str, str] | None = None
    for d in decisions:
        if d.focus_id in interventions:
            if wordings is None:
                wordings = _client_wordings()
            interventions[d.focus_id].append(
                InterventionEntry(
                    d.decided_at,
                    d.title,
                    _stage(d.stage),
                    d.model,
                    keys_by_id[d.focus_id],
                    d.intervention_id,
                    wordings.get(d.intervention_id or ""),
                )
            )

    summaries = tuple(
        FocusSummary(
            key=f.key,
            label=f.label,
            history=tuple(by_focus[f.id]),
            interventions=tuple(interventions[f.id]),
            behaviour_phrase=f.behaviour_phrase,
        )
        for f in focuses
    )

    completed_at = Administration.completed_at
    adm_rows = session.execute(
        select(Administration)
        .where(
            Administration.client_id == client_id,
            Administration.status == AdministrationStatus.COMPLETE.value,
            completed_at >= lo,
            completed_at < hi,
        )
        .order_by(completed_at, Administration.id)
    ).scalars()
    wanted_focus = set(focus_ids)
    administrations: list[AdministrationEntry] = []
    caveats: dict[object, InstrumentCaveats | None] = {}  # per stored instrument version
    for adm in adm_rows:
        # Focus-less instruments (PHQ-9, GAD-7 …) are about the person, so they are always included.
        if adm.focus_id is not None and adm.focus_id not in wanted_focus:
            continue
        entry_a = administration_entry(adm, keys_by_id)
        if entry_a is not None:
            administrations.append(entry_a)
            version = adm.form_version_id or (adm.form_id, adm.form_version)
            if version not in caveats:
                caveats[version] = _caveats(session, adm)

    notes: tuple[NoteEntry, ...] | None = None
    if include_notes:
        notes = _gather_notes(session, client_id, lo, hi, templates)

    clinician = _user_names(session, [client.clinician_id]).get(client.clinician_id or -1)
    return ClientReportData(
        practice_name=practice_name(session),
        client=ClientIdentity(
            client.chart_number, client.given_name, client.family_name, client.date_of_birth
        ),
        start=start,
        end=end,
        focuses=summaries,
        administrations=tuple(administrations),
        notes=notes,
        clinician_name=clinician,
        client_stage_labels=_setting_map(session, "client_stage_labels"),
        caveats=tuple(dict.fromkeys(c for c in caveats.values() if c is not None)),
    )


def _client_wordings() -> dict[str, str]:
    """Library id -> the entry's plain wording for the client (shipped and the practice's own)."""
    from stagewise.core.stages.interventions import load_interventions

    try:
        library = load_interventions()
    except StagewiseError:  # a broken practice library must not stop a printout
        log.warning("the intervention library could not be loaded; printing generic wording")
        return {}
    return {e.id: e.client_wording for e in library.entries if e.client_wording}


def _caveats(session: Session, adm: Administration) -> InstrumentCaveats | None:
    """The unverified facts of the instrument version an administration used (None: nothing to say)."""
    try:
        form = form_versions.row_form(session, adm)
    except StagewiseError:  # no readable stored version: the instrument's current file, if any
        try:
            form = load_library().get(adm.form_id)
        except StagewiseError:  # an instrument no longer installed must not stop a printout
            return None
    found = form.caveats()
    return InstrumentCaveats(form.short_title, form.citation_short, found) if found else None


def _templates() -> TemplateLibrary | None:
    try:
        return default_templates()
    except StagewiseError:  # a broken practice template must not stop a printout
        log.warning("note templates could not be loaded; printing field ids instead of labels")
        return None


def _gather_notes(
    session: Session, client_id: int, lo: dt.datetime, hi: dt.datetime, templates: TemplateLibrary | None
) -> tuple[NoteEntry, ...]:
    rows = list(
        session.execute(
            select(Note)
            .where(
                Note.client_id == client_id,
                Note.status == NoteStatus.SIGNED.value,
                Note.written_at >= lo,
                Note.written_at < hi,
            )
            .order_by(Note.written_at, Note.id)
        ).scalars()
    )
    addenda: dict[int, list[Addendum]] = {}
    ids = [n.id for n in rows]
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        for add in session.execute(
            select(Addendum).where(Addendum.note_id.in_(chunk)).order_by(Addendum.written_at, Addendum.id)
        ).scalars():
            addenda.setdefault(add.note_id, []).append(add)
    names = _user_names(
        session,
        [n.signed_by_id or n.author_id for n in rows]
        + [a.author_id for lst in addenda.values() for a in lst],
    )
    library = templates if templates is not None else (_templates() if rows else None)
    out: list[NoteEntry] = []
    for n in rows:
        if n.signed_at is None or n.hash is None:
            continue
        template = library.find(n.template_id) if library is not None else None
        signer = n.signed_by_id or n.author_id
        out.append(
            NoteEntry(
                id=n.id,
                template_id=n.template_id,
                template_title=template.title if template is not None else n.template_id,
                written_at=n.written_at,
                signed_at=n.signed_at,
                signed_by=names.get(signer, f"user {signer}"),
                fields=_note_fields(n.fields or {}, template),
                hash=n.hash,
                addenda=tuple(
                    AddendumEntry(a.written_at, names.get(a.author_id, f"user {a.author_id}"), a.text, a.hash)
                    for a in addenda.get(n.id, [])
                ),
            )
        )
    return tuple(out)


def find_client_id(session: Session, chart_number: str) -> int:
    """The id of the client with ``chart_number``.

    Raises:
        NotFoundError: no client has that chart number.
    """
    found = session.execute(select(Client.id).where(Client.chart_number == chart_number)).scalar()
    if found is None:
        raise NotFoundError(f"There is no client with chart number {chart_number}.")
    return int(found)
