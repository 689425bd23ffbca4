"""The practice file's tables, as SQLAlchemy 2 typed ORM classes.

Conventions:
* Integer surrogate keys; natural keys (chart number, focus key, user name) are unique where they apply.
* Every timestamp is UTC, stored as ISO-8601 text with milliseconds (``2026-01-05T09:30:00.000Z``) so it
  sorts as text, reads the same in any SQLite tool and hashes deterministically.
* Categories are ``StrEnum``s; each column that holds one has a CHECK constraint so that the database
  refuses values the code would never write, even from raw SQL.
* Triggers that make signed notes immutable and the audit log append-only live in ``ddl.py`` and are
  created by the migrations, not here.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from stagewise.core.enums import (  # re-exported: the enums and timestamp helpers live there
    AdministrationMode as AdministrationMode,
    AdministrationStatus as AdministrationStatus,
    ClientStatus as ClientStatus,
    DecisionKind as DecisionKind,
    NoteStatus as NoteStatus,
    Role as Role,
    Stage as Stage,
    StageBasis as StageBasis,
    iso_utc as iso_utc,
    parse_utc as parse_utc,
    utcnow as utcnow,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetime stored as fixed-width ISO-8601 text with milliseconds."""

    impl = String(24)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> str | None:
        return None if value is None else iso_utc(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> dt.datetime | None:
        return None if value is None else parse_utc(value)


def _in(column: str, enum_cls: type[enum.StrEnum], *, nullable: bool = False) -> str:
    values = ", ".join(f"'{m.value}'" for m in enum_cls)
    check = f"{column} IN ({values})"
    return f"{column} IS NULL OR {check}" if nullable else check


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


class Setting(Base):
    """Practice-wide settings, one JSON value per key (see ``settings.py`` for the keys and defaults)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class User(Base):
    __tablename__ = "user"
    __table_args__ = (CheckConstraint("length(username) >= 2", name="username_length"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    # Space-separated sorted subset of Role values, e.g. "admin clinician".
    roles: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(200))  # Argon2id, PHC string
    active: Mapped[bool] = mapped_column(default=True)
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Notes by this clinician need a supervisor's co-signature (practice policy, set by an admin).
    requires_cosign: Mapped[bool] = mapped_column(default=False)

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(Role(r) for r in self.roles.split())


class Client(Base):
    __tablename__ = "client"
    __table_args__ = (
        CheckConstraint(_in("status", ClientStatus), name="status"),
        CheckConstraint("length(chart_number) >= 1", name="chart_number_nonempty"),
        Index("ix_client_status_family", "status", "family_name_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chart_number: Mapped[str] = mapped_column(String(40), unique=True)
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    # casefolded, accent-stripped copies for fast indexed type-ahead search
    given_name_key: Mapped[str] = mapped_column(String(200), index=True)
    family_name_key: Mapped[str] = mapped_column(String(200), index=True)
    date_of_birth: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=ClientStatus.ACTIVE.value)
    clinician_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    discharged_at: Mapped[dt.datetime | None]

    focuses: Mapped[list[Focus]] = relationship(
        back_populates="client", order_by="Focus.id", cascade="all, delete-orphan"
    )


class Focus(Base):
    """The behaviour or concern a stage refers to (alcohol, smoking, depression …) for one client."""

    __tablename__ = "focus"
    __table_args__ = (
        UniqueConstraint("client_id", "key", name="uq_focus_client_key"),
        CheckConstraint("reassessment_days IS NULL OR reassessment_days > 0", name="reassessment_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="RESTRICT"), index=True)
    key: Mapped[str] = mapped_column(String(64))  # "alcohol"; the interchange format's focus "id"
    label: Mapped[str] = mapped_column(String(200))  # "Alcohol", used to fill "[the behaviour]"
    behaviour_phrase: Mapped[str | None] = mapped_column(String(200))  # "my drinking" (optional)
    reassessment_days: Mapped[int | None]  # per-client override of the practice default
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[dt.datetime | None]

    client: Mapped[Client] = relationship(back_populates="focuses")


class FormVersion(Base):
    """The exact source text of every instrument version an administration used (provenance)."""

    __tablename__ = "form_version"
    __table_args__ = (UniqueConstraint("form_id", "version", "sha256", name="uq_form_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    first_used_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Administration(Base):
    """One giving of one instrument to one client, for one focus."""

    __tablename__ = "administration"
    __table_args__ = (
        CheckConstraint(_in("mode", AdministrationMode), name="mode"),
        CheckConstraint(_in("status", AdministrationStatus), name="status"),
        CheckConstraint("status != 'voided' OR length(void_reason) > 0", name="void_needs_reason"),
        Index("ix_administration_client_form", "client_id", "form_id", "started_at"),
        Index("ix_administration_focus_started", "focus_id", "started_at"),
        # Covering for "latest completed administration per focus" (reassessment status, the due list and
        # the client list's next-due sort): read from the index alone, no row lookups (160 -> 47 ms for
        # every active client's status on the large demo practice).
        Index("ix_administration_focus_completed", "focus_id", "completed_at", "status"),
        # Partial: only the few in-progress rows.  A full index on status misleads SQLite's planner into
        # walking every completed administration for a chart (measured: 193 ms -> 21 ms, docs/performance.md).
        Index("ix_administration_in_progress", "status", sqlite_where=text("status = 'in_progress'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="RESTRICT"))
    focus_id: Mapped[int | None] = mapped_column(ForeignKey("focus.id", ondelete="RESTRICT"))
    form_id: Mapped[str] = mapped_column(String(64))
    form_version: Mapped[str] = mapped_column(String(32))
    form_version_id: Mapped[int | None] = mapped_column(ForeignKey("form_version.id"))
    scoring_version: Mapped[str | None] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(16))
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(String(16), default=AdministrationStatus.IN_PROGRESS.value)
    void_reason: Mapped[str | None] = mapped_column(Text)
    voided_at: Mapped[dt.datetime | None]
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)  # item id -> printed value
    current_item: Mapped[str | None] = mapped_column(String(16))  # where a resumed administration re-opens
    result: Mapped[dict[str, Any] | None]  # the current result, in the scoring contract's shape
    # Behaviour placeholder text used when it was given ("my drinking").
    behaviour_text: Mapped[str | None] = mapped_column(String(200))
    edit_seconds: Mapped[float | None]


class ScoreResult(Base):
    """Every result ever computed for an administration; re-scoring keeps the old one (provenance)."""

    __tablename__ = "score_result"

    id: Mapped[int] = mapped_column(primary_key=True)
    administration_id: Mapped[int] = mapped_column(
        ForeignKey("administration.id", ondelete="RESTRICT"), index=True
    )
    form_version: Mapped[str] = mapped_column(String(32))
    scoring_version: Mapped[str] = mapped_column(String(32))
    result: Mapped[dict[str, Any]]
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Written True and never changed since revision 0002 (rows are immutable): the current result is the
    # newest row.  Files from before kept False on superseded rows.
    current: Mapped[bool] = mapped_column(default=True)


class RiskAlert(Base):
    """A flagged answer (e.g. PHQ-9 item 9 > 0) and the clinician's acknowledgement."""

    __tablename__ = "risk_alert"
    __table_args__ = (
        UniqueConstraint("administration_id", "flag", name="uq_risk_alert_administration_flag"),
        Index("ix_risk_alert_open", "addressed_at", "client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="RESTRICT"), index=True)
    administration_id: Mapped[int] = mapped_column(ForeignKey("administration.id", ondelete="RESTRICT"))
    flag: Mapped[str] = mapped_column(String(64))
    raised_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    acknowledged_at: Mapped[dt.datetime | None]
    action_taken: Mapped[str | None] = mapped_column(Text)
    addressed_at: Mapped[dt.datetime | None]
    # The printed item whose answer raised the flag (None for a flag from the scores), and who closed it.
    item_id: Mapped[str | None] = mapped_column(String(16))
    addressed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    addressed_note: Mapped[str | None] = mapped_column(Text)


class StageRecord(Base):
    """A stage decision for one client and focus: what an instrument proposed, what the clinician chose.

    ``stage`` NULL means "not staged for now" (basis ``not_staged``).  A reason is required whenever the
    clinician's stage differs from the proposed one and for "not staged".
    """

    __tablename__ = "stage_record"
    __table_args__ = (
        CheckConstraint(_in("proposed", Stage, nullable=True), name="proposed"),
        CheckConstraint(_in("stage", Stage, nullable=True), name="stage"),
        CheckConstraint(_in("basis", StageBasis), name="basis"),
        CheckConstraint("(basis = 'not_staged') = (stage IS NULL)", name="not_staged_has_no_stage"),
        CheckConstraint(
            "NOT (proposed IS NOT NULL AND (stage IS NULL OR stage != proposed))"
            " OR length(trim(coalesce(reason, ''))) > 0",
            name="override_needs_reason",
        ),
        CheckConstraint(
            "basis != 'not_staged' OR length(trim(coalesce(reason, ''))) > 0", name="pause_needs_reason"
        ),
        # ``basis`` makes "latest record per focus" (is staging paused?) a covering read.
        Index("ix_stage_record_focus_effective", "focus_id", "effective", "id", "basis"),
        Index("ix_stage_record_client", "client_id", "effective"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="RESTRICT"))
    focus_id: Mapped[int] = mapped_column(ForeignKey("focus.id", ondelete="RESTRICT"))
    proposed: Mapped[str | None] = mapped_column(String(20))
    stage: Mapped[str | None] = mapped_column(String(20))
    basis: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    administration_id: Mapped[int | None] = mapped_column(ForeignKey("administration.id"))
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    effective: Mapped[dt.date] = mapped_column(Date)


class InterventionDecision(Base):
    __tablename__ = "intervention_decision"
    __table_args__ = (
        CheckConstraint(_in("decision", DecisionKind), name="decision"),
        Index("ix_intervention_decision_focus", "focus_id", "decided_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="RESTRICT"), index=True)
    focus_id: Mapped[int] = mapped_column(ForeignKey("focus.id", ondelete="RESTRICT"))
    stage_record_id: Mapped[int | None] = mapped_column(ForeignKey("stage_record.id"))
    intervention_id: Mapped[str | None] = mapped_column(String(64))  # library id; NULL for "added"
    title: Mapped[str] = mapped_column(String(200))  # snapshot, so a later library edit changes nothing
    model: Mapped[str | None] = mapped_column(String(32))
    stage: Mapped[str | None] = mapped_column(String(20))
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Note(Base):
    """A clinical note.  Once signed, triggers (``ddl.py``) refuse any UPDATE or DELETE of the row.

    ``fields`` maps the template's field ids to text.  ``hash`` covers the signed content and ``prev_hash``
    (the client's hash chain, see ``docs/notes.md``); both are stamped when the author signs and never
    change.  ``status`` goes draft → signed, or draft → awaiting_cosign → signed when the author's notes
    need a supervisor's co-signature.
    """

    __tablename__ = "note"
    __table_args__ = (
        CheckConstraint(_in("status", NoteStatus), name="status"),
        CheckConstraint(
            "status = 'draft' OR (signed_at IS NOT NULL AND hash IS NOT NULL)", name="signed_has_hash"
        ),
        CheckConstraint(
            "status != 'signed' OR cosigned_by_id IS NULL OR cosigned_at IS NOT NULL", name="cosign_has_time"
        ),
        # Indexes for every list the notes tab, the to-do view and search filters run.
        Index("ix_note_client_written", "client_id", "written_at"),
        Index("ix_note_status_author", "status", "author_id"),
        Index("ix_note_author_written", "author_id", "written_at"),
        Index("ix_note_written", "written_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="RESTRICT"))
    template_id: Mapped[str] = mapped_column(String(64))
    template_version: Mapped[str] = mapped_column(String(32))
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    written_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=NoteStatus.DRAFT.value)
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    signed_at: Mapped[dt.datetime | None]
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    hash: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str | None] = mapped_column(String(64))  # client's hash chain
    cosigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    cosigned_at: Mapped[dt.datetime | None]


class NoteVersion(Base):
    """Draft history: a snapshot of a draft's fields when its content changed (at most one a minute while
    typing; policy in ``stagewise.core.notes.drafts``), until it is signed.  Frozen with the note once
    signed."""

    __tablename__ = "note_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("note.id", ondelete="CASCADE"), index=True)
    saved_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    fields: Mapped[dict[str, Any]]


class Addendum(Base):
    """A signed correction or late entry attached to a signed note; immutable once written."""

    __tablename__ = "addendum"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("note.id", ondelete="RESTRICT"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    written_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    text: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[dt.datetime]
    hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str | None] = mapped_column(String(64))


class NoteLink(Base):
    """A note's links to the administrations and stage decisions it summarises."""

    __tablename__ = "note_link"
    __table_args__ = (
        CheckConstraint(
            "(administration_id IS NULL) != (stage_record_id IS NULL)", name="exactly_one_target"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("note.id", ondelete="CASCADE"), index=True)
    administration_id: Mapped[int | None] = mapped_column(ForeignKey("administration.id"))
    stage_record_id: Mapped[int | None] = mapped_column(ForeignKey("stage_record.id"))


class AuditEvent(Base):
    """Append-only, hash-chained log of every create, update, view, sign, print, export, backup …

    ``details`` holds ids and counts only, never names or note text.  Triggers refuse UPDATE and DELETE.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[str] = mapped_column(String(24))  # UTC ISO-8601 with milliseconds, as hashed
    username: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32), index=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON, as hashed
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class MaintenanceLog(Base):
    """Backups, restore drills and migrations: when they ran and whether they succeeded."""

    __tablename__ = "maintenance_log"
    __table_args__ = (
        CheckConstraint("kind IN ('backup', 'drill', 'migration', 'custodian')", name="kind"),
        Index("ix_maintenance_kind_at", "kind", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ok: Mapped[bool]
    target: Mapped[str | None] = mapped_column(Text)  # a folder or file name, never client data
    message: Mapped[str | None] = mapped_column(Text)
