"""Turning a demo plan into rows, written with ``executemany`` in large batches.

Administrations are scored with :func:`stagewise.core.instruments.scoring.score` (the stored result is the
engine's);
signed notes and addenda are hashed and chained per client in signing order with
:mod:`stagewise.core.notes.chain`'s own functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from stagewise.core.demo.answers import level_answers, urica_answers
from stagewise.core.demo.plan import (
    BANK,
    BATCH,
    DAY_MS,
    PAIRED,
    PLAIN_OPTIONS,
    STAGES,
    TEMPLATES,
    URICA,
    URICA_OPTIONS,
    Builder,
    ClientPlan,
    FocusPlan,
    clamp,
    dumps,
    iso_ms,
    walk,
)
from stagewise.core.demo.words import sentence_count
from stagewise.core.instruments.scoring import score
from stagewise.core.models import Stage
from stagewise.core.notes.chain import GENESIS, addendum_content, content_hash, note_content

# Writing


def insert_rows(conn: Connection, table: str, columns: str, rows: Sequence[tuple[Any, ...]]) -> None:
    if not rows:
        return
    marks = ", ".join("?" for _ in columns.split(","))
    conn.exec_driver_sql(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', list(rows))


USER_COLS = (
    "id, username, display_name, roles, password_hash, active, failed_attempts, locked_until, created_at, "
    "requires_cosign"
)
CLIENT_COLS = (
    "id, chart_number, given_name, family_name, given_name_key, family_name_key, date_of_birth, status, "
    "clinician_id, created_at, updated_at, discharged_at"
)
FOCUS_COLS = "id, client_id, key, label, behaviour_phrase, reassessment_days, active, created_at, removed_at"
FORM_VERSION_COLS = "id, form_id, version, sha256, source, first_used_at"
ADM_COLS = (
    "id, client_id, focus_id, form_id, form_version, form_version_id, scoring_version, mode, by_user_id, "
    "started_at, completed_at, status, void_reason, voided_at, answers, current_item, result, "
    "behaviour_text, edit_seconds"
)
SCORE_COLS = "id, administration_id, form_version, scoring_version, result, computed_at, current"
ALERT_COLS = (
    "id, client_id, administration_id, flag, raised_at, acknowledged_by_id, acknowledged_at, action_taken, "
    "addressed_at, item_id, addressed_by_id, addressed_note"
)
STAGE_COLS = (
    "id, client_id, focus_id, proposed, stage, basis, reason, administration_id, by_user_id, recorded_at, "
    "effective"
)
DECISION_COLS = (
    "id, client_id, focus_id, stage_record_id, intervention_id, title, model, stage, decision, reason, "
    "by_user_id, decided_at"
)
NOTE_COLS = (
    "id, client_id, template_id, template_version, author_id, written_at, updated_at, status, fields, "
    "signed_at, signed_by_id, hash, prev_hash, cosigned_by_id, cosigned_at"
)
ADDENDUM_COLS = "id, note_id, author_id, written_at, text, signed_at, hash, prev_hash"


@dataclass(slots=True)
class _Buffers:
    adm: list[tuple[Any, ...]] = field(default_factory=list)
    score: list[tuple[Any, ...]] = field(default_factory=list)
    alert: list[tuple[Any, ...]] = field(default_factory=list)
    stage: list[tuple[Any, ...]] = field(default_factory=list)
    decision: list[tuple[Any, ...]] = field(default_factory=list)

    def size(self) -> int:
        return len(self.adm) + len(self.stage)

    def flush(self, conn: Connection, counts: dict[str, int]) -> None:
        for table, cols, rows in (
            ("administration", ADM_COLS, self.adm),
            ("score_result", SCORE_COLS, self.score),
            ("risk_alert", ALERT_COLS, self.alert),
            ("stage_record", STAGE_COLS, self.stage),
            ("intervention_decision", DECISION_COLS, self.decision),
        ):
            insert_rows(conn, table, cols, rows)
            counts[table] = counts.get(table, 0) + len(rows)
            rows.clear()


@dataclass(slots=True)
class _NotePlan:
    written: int  # epoch ms
    client: int
    author: int
    template: str
    status: str
    word: str
    focus: FocusPlan


class Writer:
    """Turns the plan into rows: administrations, stage records, decisions, alerts, then notes."""

    def __init__(self, b: Builder, conn: Connection) -> None:
        self.b = b
        self.conn = conn
        self.rng = b.rng
        self.buf = _Buffers()
        self.adm_id = 0
        self.score_id = 0
        self.alert_id = 0
        self.stage_id = 0
        self.decision_id = 0
        self.notes: list[_NotePlan] = []

    def administration(
        self,
        c: ClientPlan,
        f: FocusPlan,
        form_id: str,
        day: int,
        answers: dict[str, Any],
        *,
        complete: bool = True,
    ) -> tuple[int, Stage | None]:
        b, rng = self.b, self.rng
        form = b.forms[form_id]
        self.adm_id += 1
        aid = self.adm_id
        started = b.session_ms(day)
        mode = "client" if rng.random() < 0.4 else "clinician"
        behaviour = f.kind.phrase if form.behaviour_default and not form.client_level else None
        focus_id = None if form.client_level else f.id  # PHQ-9, GAD-7: about the client, not the focus
        if not complete:
            keep = dict(list(answers.items())[: max(1, len(answers) // 2)])
            nxt = next((it.id for it in form.items if it.id not in keep), None)
            version_id = b.form_version_id[form_id]
            self.buf.adm.append(
                (aid, c.id, focus_id, form_id, form.version, version_id, None, mode, c.clinician,
                 iso_ms(started), None, "in_progress", None, None, dumps(keep), nxt, None, behaviour, None)
            )  # fmt: skip
            return aid, None
        result = score(form, answers, URICA_OPTIONS if form_id == URICA else PLAIN_OPTIONS)
        data = dumps(result.to_json())
        done = started + rng.randrange(3, 15) * 60_000 + rng.randrange(60_000)
        status, reason, voided = "complete", None, None
        if rng.random() < 0.004:
            status, reason = "voided", "Entered in the wrong client's chart; given again."
            voided = iso_ms(done + 3_600_000)
        version_id = b.form_version_id[form_id]
        self.buf.adm.append(
            (aid, c.id, focus_id, form_id, form.version, version_id, form.scoring_version, mode, c.clinician,
             iso_ms(started), iso_ms(done), status, reason, voided, dumps(answers), None, data, behaviour,
             None)
        )  # fmt: skip
        self.score_id += 1
        self.buf.score.append((self.score_id, aid, form.version, form.scoring_version, data, iso_ms(done), 1))
        for item in form.items:
            flag = item.flag
            if flag is None:
                continue
            value = answers.get(item.id)
            if (value is not None and value >= flag.at_least) or flag.name in result.flags:
                self.alert(c, aid, flag.name, item.id, done, day)
        return aid, result.stage

    def alert(self, c: ClientPlan, aid: int, flag: str, item_id: str, raised: int, day: int) -> None:
        self.alert_id += 1
        recent = c.active and day > self.b.days - 21
        if recent and self.rng.random() < 0.6:
            self.buf.alert.append(
                (self.alert_id, c.id, aid, flag, iso_ms(raised), None, None, None, None, item_id, None, None)
            )
            return
        ack = raised + self.rng.randrange(1, 30) * 60_000
        self.buf.alert.append(
            (self.alert_id, c.id, aid, flag, iso_ms(raised), c.clinician, iso_ms(ack),
             "Safety reviewed in session; safety plan updated.", iso_ms(ack), item_id, c.clinician,
             "Reviewed with the client; no immediate risk.")
        )  # fmt: skip

    def stage_record(
        self,
        c: ClientPlan,
        f: FocusPlan,
        day: int,
        stage: int | None,
        proposed: Stage | None,
        aid: int | None,
    ) -> None:
        rng, phrases = self.rng, self.b.phrases
        self.stage_id += 1
        value = None if stage is None else STAGES[stage]
        if value is None:
            basis, reason = "not_staged", rng.choice(phrases.not_staged_reasons)
            proposed = None
            aid = None
        elif proposed is None:
            basis, reason = "clinical_judgement", None
        elif proposed == value:
            basis, reason = "instrument", None
        else:
            basis, reason = "override", rng.choice(phrases.override_reasons)
        recorded = self.b.session_ms(day)
        effective = (self.b.first_day + dt.timedelta(days=day)).isoformat()
        self.buf.stage.append(
            (self.stage_id, c.id, f.id, None if proposed is None else proposed.value,
             None if value is None else value.value, basis, reason, aid, c.clinician, iso_ms(recorded),
             effective)
        )  # fmt: skip
        if value is not None and rng.random() < 0.35:
            self.decisions(c, f, value, recorded)

    def decisions(self, c: ClientPlan, f: FocusPlan, stage: Stage, at: int) -> None:
        rng = self.rng
        entries = self.b.interventions[stage]
        for k in range(rng.choice((1, 1, 2))):
            self.decision_id += 1
            when = iso_ms(at + (k + 1) * 60_000)
            r = rng.random()
            if r < 0.1 or not entries:
                self.buf.decision.append(
                    (self.decision_id, c.id, f.id, self.stage_id, None, "Weekly walk-and-talk check-in", None,
                     stage.value, "added", None, c.clinician, when)
                )  # fmt: skip
                continue
            entry = rng.choice(entries)
            decision, reason = (
                ("accepted", None) if r < 0.8 else ("declined", "Client preferred another option.")
            )
            self.buf.decision.append(
                (self.decision_id, c.id, f.id, self.stage_id, entry.id, entry.title[:200], entry.model.value,
                 stage.value, decision, reason, c.clinician, when)
            )  # fmt: skip

    def level(self, c: ClientPlan, f: FocusPlan, form_id: str, day: int) -> float:
        progress = f.stage_on(day) / 4
        noise = self.rng.gauss(0.0, 0.07)
        if form_id == "phq-9":
            return clamp(c.dep * (1 - 0.45 * progress) + noise)
        if form_id == "gad-7":
            return clamp(c.anx * (1 - 0.4 * progress) + noise)
        if form_id in ("audit", "dast-10"):
            return clamp(c.use * (1 - 0.7 * progress) + noise)
        if form_id == "barc-10":
            return clamp(0.25 + 0.55 * progress - 0.2 * c.use + noise)
        return clamp(0.1 + 0.8 * progress + noise)  # readiness ruler, contemplation ladder

    def client(self, c: ClientPlan, n_notes: int, n_adm: int, n_sr: int) -> None:
        b, rng = self.b, self.rng
        span = range(c.start, c.end + 1)
        note_days = sorted(rng.sample(span, n_notes))
        sr_days = sorted(rng.sample(note_days, n_sr))
        # Stage records: split over the focuses, each a non-linear walk.
        per_focus: list[list[int]] = [[] for _ in c.focuses]
        for i, day in enumerate(sr_days):
            per_focus[i % len(c.focuses)].append(day)
        for k, (f, days) in enumerate(zip(c.focuses, per_focus, strict=True)):
            f.days = days
            f.stages = walk(rng, len(days), force_backward=c.id == 1 and k == 0)
        staged = [(f, i) for f in c.focuses for i, s in enumerate(f.stages) if s is not None]
        n_urica = min(len(staged), round(0.3 * n_adm))
        with_urica = set(rng.sample(range(len(staged)), n_urica))
        urica_at: dict[tuple[int, int], tuple[int, Stage | None]] = {}
        for j, (f, i) in enumerate(staged):
            if j in with_urica:
                stage = f.stages[i]
                assert stage is not None
                answers = urica_answers(rng, b.forms[URICA], stage)
                urica_at[(f.id, i)] = self.administration(c, f, URICA, f.days[i], answers)
        for f in c.focuses:
            for i, (day, stage) in enumerate(zip(f.days, f.stages, strict=True)):
                aid, proposed = urica_at.get((f.id, i), (None, None))
                self.stage_record(c, f, day, stage, proposed, aid)
        # Other instruments on session days, their answers following the stage and the client's levels.
        left = n_adm - n_urica
        while left > 0:
            f = rng.choice(c.focuses)
            form_id = rng.choices([x for x, _ in f.kind.forms], weights=[w for _, w in f.kind.forms])[0]
            day = rng.choice(note_days)
            # PHQ-9 and GAD-7 are usually given together at the same visit.
            given = [form_id]
            if form_id in PAIRED and left > 1 and rng.random() < 0.7:
                given.append(PAIRED[form_id])
            for form_id in given:
                answers = level_answers(rng, b.forms[form_id], self.level(c, f, form_id, day))
                self.administration(c, f, form_id, day, answers)
                left -= 1
        if c.active and rng.random() < 0.02:
            f = c.focuses[0]
            self.administration(
                c, f, "phq-9", c.end, level_answers(rng, b.forms["phq-9"], c.dep), complete=False
            )
        # Notes: one per session day; statuses decided here, text and hashes later in signing order.
        template_ids, template_weights = [t for t, _ in TEMPLATES], [w for _, w in TEMPLATES]
        trainee = c.clinician in b.trainees
        last_day = b.days - 1
        for k, day in enumerate(note_days):
            f = c.focuses[k % len(c.focuses)]
            status = "signed"
            if k == len(note_days) - 1 and c.active and day > last_day - 10 and rng.random() < 0.15:
                status = "draft"
            elif trainee and day > last_day - 6 and rng.random() < 0.7:
                status = "awaiting_cosign"
            template = rng.choices(template_ids, weights=template_weights)[0]
            self.notes.append(
                _NotePlan(b.session_ms(day), c.id, c.clinician, template, status, f.kind.word, f)
            )
        if self.buf.size() >= BATCH:
            self.buf.flush(self.conn, b.counts)

    # ----------------------------------------------------------------------------------------------------
    # Notes and addenda, hashed and chained in signing order per client

    def note_fields(self, plan: _NotePlan) -> dict[str, str]:
        b, rng = self.b, self.rng
        template = b.templates.get(plan.template)
        day = (plan.written - b.first_ms) // DAY_MS
        stage = STAGES[plan.focus.stage_on(day)].value
        form = rng.choice(("PHQ-9", "GAD-7", "URICA", "AUDIT", "BARC-10"))
        return {
            fld.id: b.phrases.paragraph(
                rng,
                BANK.get(fld.id, fld.id),
                sentence_count(rng),
                behaviour=plan.word,
                stage=stage,
                form=form,
            )
            for fld in template.fields
        }

    def write_notes(self) -> None:
        b, rng, conn = self.b, self.rng, self.conn
        self.notes.sort(key=lambda p: (p.written, p.client))
        limit = b.day_ms(b.days - 1) + 23 * 3_600_000
        # Signing events: (signed_at ms, 0 note / 1 addendum, note id, addendum number).
        events: list[tuple[int, int, int, int]] = []
        signed_ms: list[int] = []
        for nid, plan in enumerate(self.notes, start=1):
            signed = plan.written + rng.randrange(10, 180) * 60_000 + rng.randrange(60_000)
            signed_ms.append(signed)
            if plan.status == "draft":
                continue
            events.append((signed, 0, nid, 0))
            if plan.status == "signed" and rng.random() < 0.012:
                later = min(limit, signed + rng.randrange(1, 5 * 24) * 3_600_000)
                if later > signed:
                    events.append((later, 1, nid, len(events)))
        events.sort()
        tails: dict[int, str] = {}
        note_hash: dict[int, str] = {}
        rows: list[tuple[Any, ...]] = []
        addenda: list[tuple[Any, ...]] = []
        names = b.usernames
        supervisors = b.supervisors or b.clinicians
        drafts = [nid for nid, p in enumerate(self.notes, start=1) if p.status == "draft"]
        for signed, kind, nid, _ in events:
            plan = self.notes[nid - 1]
            prev = tails.get(plan.client, GENESIS)
            at = iso_ms(signed)
            if kind == 1:
                body = b.phrases.paragraph(rng, "addendum", 1, behaviour=plan.word, stage="", form="URICA")
                digest = content_hash(
                    addendum_content(
                        note_hash=note_hash[nid], author=names[plan.author], written_at=at, text=body,
                        signed_at=at, prev_hash=prev,
                    )
                )  # fmt: skip
                addenda.append((len(addenda) + 1, nid, plan.author, at, body, at, digest, prev))
                tails[plan.client] = digest
                continue
            fields = self.note_fields(plan)
            template = b.templates.get(plan.template)
            written = iso_ms(plan.written)
            digest = content_hash(
                note_content(
                    template_id=template.id, template_version=template.version, fields=fields,
                    author=names[plan.author], written_at=written, signed_by=names[plan.author],
                    signed_at=at, prev_hash=prev,
                )
            )  # fmt: skip
            note_hash[nid] = digest
            tails[plan.client] = digest
            cosigner, cosigned = None, None
            if plan.author in b.trainees and plan.status == "signed":
                cosigner = rng.choice(supervisors)
                cosigned = iso_ms(min(limit + 3_600_000, signed + rng.randrange(2, 48) * 3_600_000))
            rows.append(
                (nid, plan.client, template.id, template.version, plan.author, written, cosigned or at,
                 plan.status, dumps(fields), at, plan.author, digest, prev, cosigner, cosigned)
            )  # fmt: skip
            if len(rows) >= BATCH:
                insert_rows(conn, "note", NOTE_COLS, rows)
                b.counts["note"] = b.counts.get("note", 0) + len(rows)
                rows.clear()
        for nid in drafts:
            plan = self.notes[nid - 1]
            template = b.templates.get(plan.template)
            at = iso_ms(plan.written + rng.randrange(5, 60) * 60_000)
            rows.append(
                (nid, plan.client, template.id, template.version, plan.author, iso_ms(plan.written), at,
                 "draft",
                 dumps(self.note_fields(plan)), None, None, None, None, None, None)
            )  # fmt: skip
        insert_rows(conn, "note", NOTE_COLS, rows)
        b.counts["note"] = b.counts.get("note", 0) + len(rows)
        insert_rows(conn, "addendum", ADDENDUM_COLS, addenda)
        b.counts["addendum"] = len(addenda)
