"""Reading administrations: one or a client's history, item by item over time, the screen's model.

Read-only: nothing here writes or audits (:mod:`stagewise.core.administrations.lifecycle` changes
administrations
and re-exports everything here).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stagewise.core.administrations.form_versions import row_form
from stagewise.core.errors import NotFoundError
from stagewise.core.instruments.loader import Library
from stagewise.core.instruments.model import Form
from stagewise.core.instruments.scoring import Result
from stagewise.core.instruments.staging import StageComparison, side_by_side
from stagewise.core.models import (
    Administration,
    AdministrationMode,
    AdministrationStatus,
    Focus,
    FormVersion,
    ScoreResult,
    User,
)
from stagewise.core.users import people

Number = int | float

# --------------------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True, slots=True)
class AdministrationInfo:
    """One administration, as screens, reports and the CLI see it.

    ``answers`` is a copy (printed item id → printed value); ``item_ids`` lists the items of the
    administration's own instrument version in printed order.
    """

    id: int
    client_id: int
    focus_id: int | None
    focus_key: str | None
    form_id: str
    form_version: str
    scoring_version: str | None
    mode: AdministrationMode
    by_user_id: int | None
    by_username: str | None
    by_name: str | None  # the person, as shown (``users.person_label``)
    started_at: dt.datetime
    completed_at: dt.datetime | None
    status: AdministrationStatus
    void_reason: str | None
    voided_at: dt.datetime | None
    answers: dict[str, Number]
    current_item: str | None
    behaviour_text: str | None
    result: Result | None
    item_ids: tuple[str, ...]
    focus_removed: bool

    @property
    def unanswered(self) -> tuple[str, ...]:
        """Items without an answer, in printed order."""
        return tuple(i for i in self.item_ids if i not in self.answers)


@dataclass(frozen=True, slots=True)
class ItemColumn:
    administration_id: int
    completed_at: dt.datetime | None
    form_version: str


@dataclass(frozen=True, slots=True)
class ItemRow:
    """One item across administrations: ``values`` line up with :attr:`ItemHistory.columns`."""

    item_id: str
    text: str
    values: tuple[Number | None, ...]

    @property
    def moved(self) -> bool:
        """The answer differs between at least two administrations that answered it."""
        return len({v for v in self.values if v is not None}) > 1

    @property
    def change(self) -> Number | None:
        """Last answer minus first answer (None unless answered at least twice)."""
        given = [v for v in self.values if v is not None]
        return given[-1] - given[0] if len(given) > 1 else None


@dataclass(frozen=True, slots=True)
class ItemHistory:
    """A client's answers to one instrument over time, item by item ("which statements moved")."""

    form_id: str
    columns: tuple[ItemColumn, ...]
    rows: tuple[ItemRow, ...]


@dataclass(frozen=True, slots=True)
class OptionView:
    value: Number
    label: str


@dataclass(frozen=True, slots=True)
class ItemView:
    """One question as the screen shows it: wording with the behaviour filled in, options in display order."""

    id: str
    number: int
    text: str
    options: tuple[OptionView, ...]
    optional: bool
    answer: Number | None


@dataclass(frozen=True, slots=True)
class AdministrationScreen:
    """Everything a questionnaire screen needs, and nothing about the client or other records.

    Safe to show to the client in client mode: no name, chart number, scores or earlier answers; only
    this administration's questions and its own answers so far.  ``clinician_instructions`` and
    ``clinician_caveats`` (what is unverified about this instrument version) are for the clinician's view
    only, never the hand-over screen.
    """

    administration_id: int
    form_id: str
    title: str
    mode: AdministrationMode
    client_instructions: str
    short_title: str
    citation_short: str
    clinician_instructions: str
    items: tuple[ItemView, ...]
    resume_at: str | None
    clinician_caveats: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------------------
# Reading


def load_administration(session: Session, administration_id: int) -> Administration:
    """The administration row.

    Raises:
        NotFoundError: no such administration.
    """
    adm = session.get(Administration, administration_id)
    if adm is None:
        raise NotFoundError(f"There is no administration {administration_id}.")
    return adm


def _info(
    session: Session,
    adm: Administration,
    focus_key: str | None,
    focus_active: bool | None,
    username: str | None,
    sha256: str | None = None,
    names: Mapping[int, str] | None = None,
) -> AdministrationInfo:
    form = row_form(session, adm, sha256=sha256)
    return AdministrationInfo(
        id=adm.id,
        client_id=adm.client_id,
        focus_id=adm.focus_id,
        focus_key=focus_key,
        form_id=adm.form_id,
        form_version=adm.form_version,
        scoring_version=adm.scoring_version,
        mode=AdministrationMode(adm.mode),
        by_user_id=adm.by_user_id,
        by_username=username,
        by_name=None if adm.by_user_id is None or names is None else names.get(adm.by_user_id, username),
        started_at=adm.started_at,
        completed_at=adm.completed_at,
        status=AdministrationStatus(adm.status),
        void_reason=adm.void_reason,
        voided_at=adm.voided_at,
        answers=dict(adm.answers or {}),
        current_item=adm.current_item,
        behaviour_text=adm.behaviour_text,
        result=None if adm.result is None else Result.from_json(adm.result),
        item_ids=tuple(it.id for it in form.items),
        focus_removed=focus_active is False,
    )


def info_query() -> Any:
    """Administrations with their focus key, focus state, user name and instrument snapshot's SHA-256.

    The SHA-256 is joined in so that the parsed instrument comes from the cache without one query per row
    (docs/performance.md: a heavy chart went from 21 to 9 ms).
    """
    return (
        select(Administration, Focus.key, Focus.active, User.username, FormVersion.sha256)
        .outerjoin(Focus, Focus.id == Administration.focus_id)
        .outerjoin(User, User.id == Administration.by_user_id)
        .outerjoin(FormVersion, FormVersion.id == Administration.form_version_id)
    )


def _infos(session: Session, q: Any) -> list[AdministrationInfo]:
    rows = session.execute(q).all()
    names = people(session) if rows else {}
    return [_info(session, adm, key, active, user, sha, names) for adm, key, active, user, sha in rows]


def get(session: Session, administration_id: int) -> AdministrationInfo:
    """One administration.

    Raises:
        NotFoundError: no such administration.
    """
    found = _infos(session, info_query().where(Administration.id == administration_id))
    if not found:
        raise NotFoundError(f"There is no administration {administration_id}.")
    return found[0]


def form_for(session: Session, administration_id: int) -> Form:
    """The instrument version an administration uses (for item wording and scales on screen)."""
    return row_form(session, load_administration(session, administration_id))


def screen(session: Session, administration_id: int) -> AdministrationScreen:
    """The questions of an administration in its own instrument version, ready to display."""
    info = get(session, administration_id)
    form = form_for(session, administration_id)
    behaviour = info.behaviour_text
    items = tuple(
        ItemView(
            id=item.id,
            number=item.number,
            text=form.item_text(item.id, behaviour),
            options=tuple(
                OptionView(o.value, form.fill(o.label, behaviour))
                for o in form.scale(item.scale).display_options()
            ),
            optional=item.optional,
            answer=info.answers.get(item.id),
        )
        for item in form.items
    )
    return AdministrationScreen(
        administration_id=info.id,
        form_id=form.id,
        title=form.title,
        mode=info.mode,
        client_instructions=form.fill(form.client_instructions, behaviour),
        short_title=form.short_title,
        citation_short=form.citation_short,
        clinician_instructions=form.instructions,
        items=items,
        resume_at=resume_point(info),
        clinician_caveats=form.caveats(),
    )


def item_text(session: Session, info: AdministrationInfo, item_id: str) -> str:
    """Item wording with the behaviour placeholder filled from the administration's focus."""
    return form_for(session, info.id).item_text(item_id, info.behaviour_text)


def resume_point(info: AdministrationInfo) -> str | None:
    """The item to re-open at: the first unanswered item at or after ``current_item`` (wrapping round).

    When every item is answered it is ``current_item`` (or the last item), for review before completing;
    None only for an instrument without items.
    """
    order = info.item_ids
    if not order:
        return None
    start = order.index(info.current_item) if info.current_item in order else 0
    for item_id in order[start:] + order[:start]:
        if item_id not in info.answers:
            return item_id
    return info.current_item if info.current_item in order else order[-1]


def in_progress(session: Session, *, client_id: int | None = None) -> list[AdministrationInfo]:
    """Unfinished administrations, oldest first (for "resume?" after a crash, lock or closed window)."""
    q = info_query().where(Administration.status == AdministrationStatus.IN_PROGRESS.value)
    if client_id is not None:
        q = q.where(Administration.client_id == client_id)
    return _infos(session, q.order_by(Administration.started_at, Administration.id))


def history(
    session: Session,
    *,
    client_id: int,
    form_id: str | None = None,
    focus_id: int | None = None,
    include_voided: bool = False,
) -> list[AdministrationInfo]:
    """Completed administrations, oldest first (voided ones only with ``include_voided``)."""
    statuses = [AdministrationStatus.COMPLETE.value]
    if include_voided:
        statuses.append(AdministrationStatus.VOIDED.value)
    q = info_query().where(Administration.client_id == client_id, Administration.status.in_(statuses))
    if form_id is not None:
        q = q.where(Administration.form_id == form_id)
    if focus_id is not None:
        q = q.where(Administration.focus_id == focus_id)
    when = func.coalesce(Administration.completed_at, Administration.started_at)
    return _infos(session, q.order_by(when, Administration.id))


def previous(session: Session, administration_id: int) -> AdministrationInfo | None:
    """The completed administration of the same client, instrument and focus just before this one."""
    adm = load_administration(session, administration_id)
    when = adm.completed_at or adm.started_at
    q = info_query().where(
        Administration.client_id == adm.client_id,
        Administration.form_id == adm.form_id,
        Administration.status == AdministrationStatus.COMPLETE.value,
        Administration.id != adm.id,
        Administration.completed_at <= when,
    )
    q = q.where(
        Administration.focus_id.is_(None) if adm.focus_id is None else Administration.focus_id == adm.focus_id
    )
    found = _infos(session, q.order_by(Administration.completed_at.desc(), Administration.id.desc()))
    # Same completion instant: only an earlier id counts as "before".
    found = [f for f in found if f.completed_at != when or f.id < adm.id]
    return found[0] if found else None


def item_history(
    session: Session, *, client_id: int, form_id: str, focus_id: int | None = None
) -> ItemHistory:
    """A client's answers to one instrument, item by item over time (completed, not voided).

    Rows follow the newest administration's item order and wording (behaviour filled in); items only an
    older version had are added after them.
    """
    done = history(session, client_id=client_id, form_id=form_id, focus_id=focus_id)
    columns = tuple(ItemColumn(a.id, a.completed_at, a.form_version) for a in done)
    order: list[str] = []
    texts: dict[str, str] = {}
    for info in reversed(done):  # newest first, so the newest wording wins
        form = form_for(session, info.id)
        for item in form.items:
            if item.id not in texts:
                texts[item.id] = form.item_text(item.id, info.behaviour_text)
                order.append(item.id)
    rows = tuple(ItemRow(i, texts[i], tuple(a.answers.get(i) for a in done)) for i in order)
    return ItemHistory(form_id, columns, rows)


def latest_results_for_focus(session: Session, focus_id: int) -> list[Result]:
    """The latest completed result of each instrument given for the focus (instrument order by id)."""
    latest: dict[str, AdministrationInfo] = {}
    q = info_query().where(
        Administration.focus_id == focus_id,
        Administration.status == AdministrationStatus.COMPLETE.value,
    )
    for info in _infos(session, q.order_by(Administration.completed_at, Administration.id)):
        latest[info.form_id] = info
    return [latest[k].result for k in sorted(latest) if latest[k].result is not None]  # type: ignore[misc]


def stage_comparison(session: Session, focus_id: int) -> StageComparison:
    """Each instrument's stage for the focus side by side, with the disagreement indicator."""
    return side_by_side(latest_results_for_focus(session, focus_id))


def recent_forms(session: Session, *, user_id: int, limit: int = 5) -> list[str]:
    """Instrument ids this user gave most recently, newest first."""
    last = func.max(Administration.started_at)
    q = (
        select(Administration.form_id, last)
        .where(Administration.by_user_id == user_id)
        .group_by(Administration.form_id)
        .order_by(last.desc(), Administration.form_id)
        .limit(limit)
    )
    return [form_id for form_id, _ in session.execute(q)]


def ordered_form_choices(
    session: Session, *, user_id: int, library: Library, favourites: Sequence[str] = ()
) -> list[Form]:
    """The instrument picker's order: the practice's favourites, then this user's recent ones, then the rest.

    Ids not in the library are skipped.
    """
    known = {f.id: f for f in library.forms}
    ordered: list[str] = []
    for form_id in [*favourites, *recent_forms(session, user_id=user_id), *(f.id for f in library.forms)]:
        if form_id in known and form_id not in ordered:
            ordered.append(form_id)
    return [known[i] for i in ordered]


def results_history(session: Session, administration_id: int) -> list[tuple[dt.datetime, bool, Result]]:
    """Every result computed for an administration, oldest first: ``(computed_at, current, result)``.

    The current result is the newest row (a re-score adds a row and never edits an earlier one).
    """
    rows = (
        session.execute(
            select(ScoreResult)
            .where(ScoreResult.administration_id == administration_id)
            .order_by(ScoreResult.computed_at, ScoreResult.id)
        )
        .scalars()
        .all()
    )
    newest = max((r.id for r in rows), default=None)
    return [(r.computed_at, r.id == newest, Result.from_json(r.result)) for r in rows]
