"""The client progress summary: a clinician version and a plain-language version for the client.

Clinician version: focuses with the clinician's current stage (and the questionnaire's, if different),
a stage timeline per focus, score trends with their bands, the stage decisions with their reasons, a table
of administrations, accepted interventions, optionally signed-note summaries with each note's hash, and a
signature block.

Client version ("Your progress summary"): the same timeline and score charts with the practice's
plain-language stage labels and friendly explanations; no override reasons, no note content, no hashes,
no risk-flag wording, no questionnaire stage suggestions.

Every view, print or save is audited (ids and counts only): see :mod:`stagewise.core.reports.output`.
"""

from __future__ import annotations

import datetime as dt
import enum
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import IO
from xml.sax.saxutils import escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer, Table
from sqlalchemy.orm import Session

from stagewise.core.models import Stage, StageBasis
from stagewise.core.reports import charts, specs
from stagewise.core.reports.data import (
    CLINICAL_STAGE_NAMES,
    AdministrationEntry,
    ClientReportData,
    FocusSummary,
    NoteEntry,
    StageEntry,
    client_stage_label,
    gather_client_report,
)
from stagewise.core.reports.layout import (
    RULE_GREY,
    PageDecor,
    PageSizeName,
    Rendered,
    data_table,
    frame_width,
    markup,
    para,
    render,
    styles,
    table_style,
)
from stagewise.core.reports.output import Output, ReportEvent, output_of, record_output

NOTE_FIELD_LIMIT = 400  # characters of each note field shown in a summary (the full note stays in the app)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= NOTE_FIELD_LIMIT else text[: NOTE_FIELD_LIMIT - 1].rstrip() + "…"


class Audience(enum.StrEnum):
    """Who the summary is written for (chosen at print time)."""

    CLINICIAN = "clinician"
    CLIENT = "client"


BASIS_WORDS = {
    StageBasis.INSTRUMENT: "questionnaire, accepted",
    StageBasis.OVERRIDE: "clinician's judgement over questionnaire",
    StageBasis.CLINICAL_JUDGEMENT: "clinical judgement",
    StageBasis.NOT_STAGED: "not staged",
}


def fmt_date(day: dt.date | dt.datetime) -> str:
    """``2 Mar 2024`` (unambiguous in every English locale)."""
    return f"{day.day} {day:%b %Y}"


def fmt_score(value: float | None) -> str:
    """A score as printed: integers plain, others to at most two decimals."""
    if value is None:
        return "–"
    if abs(value - round(value)) < 1e-9:
        return str(round(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def identifiers_line(data: ClientReportData) -> str:
    """The identifiers printed on every page: name, chart number, date of birth."""
    parts = [data.client.full_name, f"Chart {data.client.chart_number}"]
    if data.client.date_of_birth is not None:
        parts.append(f"born {fmt_date(data.client.date_of_birth)}")
    return " · ".join(parts)


class _Builder:
    def __init__(self, data: ClientReportData, audience: Audience, page_size: PageSizeName) -> None:
        self.data = data
        self.audience = audience
        self.clinician = audience is Audience.CLINICIAN
        self.width = frame_width(page_size)
        self.st = styles()
        self.story: list[Flowable] = []
        if self.clinician:
            self.names: dict[Stage, str] = dict(CLINICAL_STAGE_NAMES)
        else:
            self.names = {s: client_stage_label(s, data.client_stage_labels) for s in Stage}
        self.focus_labels = {f.key: f.label for f in data.focuses}
        self.note_style = ParagraphStyle("note", parent=self.st.body, spaceBefore=4, spaceAfter=4)

    # -- helpers ------------------------------------------------------------------------------------
    def stage_text(self, stage: Stage | None) -> str:
        if stage is None:
            return (
                "Not staged for now"
                if self.clinician
                else client_stage_label(None, self.data.client_stage_labels)
            )
        if self.clinician:
            plain = client_stage_label(stage, self.data.client_stage_labels)
            return f"{CLINICAL_STAGE_NAMES[stage]} — “{plain}”"
        return self.names[stage]

    def add(self, *flowables: Flowable) -> None:
        self.story.extend(flowables)

    # -- sections -----------------------------------------------------------------------------------
    def opening(self) -> None:
        d = self.data
        title = "Progress summary" if self.clinician else "Your progress summary"
        self.add(para(title, self.st.title))
        rows = [
            ("Name", d.client.full_name),
            ("Chart number", d.client.chart_number),
        ]
        if d.client.date_of_birth is not None:
            rows.append(("Date of birth", fmt_date(d.client.date_of_birth)))
        rows.append(("Period", f"{fmt_date(d.start)} to {fmt_date(d.end)}"))
        if d.clinician_name:
            rows.append(("Clinician", d.clinician_name))
        table = Table(
            [[para(k, self.st.cell_bold), para(v, self.st.cell)] for k, v in rows],
            colWidths=[3.2 * cm, self.width - 3.2 * cm],
            hAlign="LEFT",
        )
        table.setStyle(
            table_style(
                [
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ]
            )
        )
        self.add(table, Spacer(1, 6))
        if not self.clinician:
            self.add(
                para(
                    "This summary shows how things have moved over the time we have worked together: "
                    "where you are now with each thing we are working on, how that has changed, and what "
                    "the questionnaires you filled in showed. Moving back and forth between stages is a "
                    "normal part of change; every step, in either direction, is something we can learn "
                    "from together."
                )
            )

    def focuses_overview(self) -> None:
        d = self.data
        st = self.st
        self.add(para("Where things stand now" if not self.clinician else "Focuses and current stage", st.h1))
        if not d.focuses:
            self.add(para("No focus of change is recorded yet."))
            return
        rows: list[list[str | Flowable]] = []
        for f in d.focuses:
            cur = f.current
            since = fmt_date(max(cur.effective, d.start)) if cur else "–"
            if self.clinician:
                proposed = (
                    CLINICAL_STAGE_NAMES[cur.proposed]
                    if cur is not None and cur.differs_from_proposed and cur.proposed is not None
                    else "–"
                )
                stage = CLINICAL_STAGE_NAMES[cur.stage] if cur and cur.stage else "Not staged"
                plain = client_stage_label(cur.stage, d.client_stage_labels) if cur and cur.stage else "–"
                rows.append([f.label, stage, proposed, plain, since])
            else:
                rows.append([f.label, self.stage_text(cur.stage) if cur else "No stage recorded yet", since])
        if self.clinician:
            w = self.width
            self.add(
                data_table(
                    ["Focus", "Clinician's stage", "Questionnaire suggested", "Client's words", "Since"],
                    rows,
                    [0.18 * w, 0.19 * w, 0.19 * w, 0.28 * w, 0.16 * w],
                )
            )
        else:
            w = self.width
            self.add(
                data_table(
                    ["What we are working on", "Where you are now", "Since"],
                    rows,
                    [0.32 * w, 0.48 * w, 0.20 * w],
                )
            )

    def focus_section(self, f: FocusSummary) -> None:
        d = self.data
        st = self.st
        heading = para(f.label if self.clinician else f"{f.label}: how things have moved", st.h2)
        chart = charts.stage_timeline(
            f.history,
            d.start,
            d.end,
            stage_names=self.names,
            width=self.width,
            height=6 * cm,
            show_proposed=self.clinician,
            **(
                {} if self.clinician else {"gap_label": "pause", "gap_legend": "a pause from stage check-ins"}
            ),
        )
        explain = self.timeline_sentence(f.history)
        self.add(CondPageBreak(8.5 * cm), KeepTogether([heading, chart, para(explain, st.small)]))
        in_range = [e for e in f.history if e.effective >= d.start]
        if self.clinician and in_range:
            rows: list[Sequence[str | Flowable]] = []
            for e in in_range:
                rows.append(
                    [
                        fmt_date(e.effective),
                        CLINICAL_STAGE_NAMES[e.stage] if e.stage else "Not staged",
                        CLINICAL_STAGE_NAMES[e.proposed] if e.proposed else "–",
                        BASIS_WORDS.get(e.basis, e.basis.value),
                        e.reason or "",
                    ]
                )
            w = self.width
            self.add(
                para("Stage decisions", st.h3),
                data_table(
                    ["Effective", "Stage", "Questionnaire", "Basis", "Reason"],
                    rows,
                    [0.13 * w, 0.18 * w, 0.18 * w, 0.2 * w, 0.31 * w],
                ),
            )
        if f.interventions:
            title = "Accepted interventions" if self.clinician else "Things we agreed to try"
            w = self.width
            if self.clinician:
                table = data_table(
                    ["Date", "Intervention", "For stage", "Model"],
                    [
                        [
                            fmt_date(i.decided_at),
                            i.title,
                            CLINICAL_STAGE_NAMES[i.stage] if i.stage else "–",
                            i.model or "–",
                        ]
                        for i in f.interventions
                    ],
                    [0.14 * w, 0.5 * w, 0.18 * w, 0.18 * w],
                )
            else:
                table = data_table(
                    ["Date", "What we agreed to try"],
                    [[fmt_date(i.decided_at), i.title] for i in f.interventions],
                    [0.18 * w, 0.82 * w],
                )
            self.add(para(title, st.h3), table)

    def timeline_sentence(self, history: Sequence[StageEntry]) -> str:
        staged = [e for e in history if e.effective >= self.data.start]
        backs = 0
        last: Stage | None = None
        for e in history:
            if e.stage is None:
                continue
            if last is not None and e.stage.order < last.order and e.effective >= self.data.start:
                backs += 1
            last = e.stage
        if self.clinician:
            pauses = sum(1 for e in staged if e.stage is None)
            return (
                f"{len(staged)} stage decision(s) in the period; {backs} move(s) back a stage (recycling); "
                f"{pauses} pause(s) in staging. Each decision holds until the next one."
            )
        if backs:
            return (
                "The line shows where you were at each point. The triangles mark times you moved back "
                "a stage, which is called recycling. Moving back and forth between stages is a normal "
                "part of change."
            )
        return (
            "The line shows where you were at each point. Moving back and forth between stages is a "
            "normal part of change."
        )

    def score_charts(self) -> None:
        d = self.data
        st = self.st
        groups: dict[tuple[str, str | None], list[AdministrationEntry]] = defaultdict(list)
        for a in d.administrations:
            groups[(a.form_id, a.focus_key)].append(a)
        if not groups:
            return
        # Never leave the section heading alone at the foot of a page: it needs room for its first chart.
        self.add(CondPageBreak(8.5 * cm))
        self.add(para("Score trends" if self.clinician else "Your questionnaire scores over time", st.h1))
        if not self.clinician:
            self.add(
                para(
                    "Each chart shows one questionnaire. The shaded areas show the ranges the "
                    "questionnaire's authors describe; they help us talk about the scores, they are not "
                    "labels for you."
                )
            )
        for (form_id, focus_key), entries in sorted(
            groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
        ):
            where = f" — {self.focus_labels.get(focus_key, focus_key)}" if focus_key else ""
            spec_list = specs.SPECS.get(form_id)
            if spec_list is None:
                names = sorted({n for a in entries for n, v in a.scores.items() if v is not None})
                values = [float(v) for a in entries for v in a.scores.values() if v is not None]
                if not names:
                    continue
                spec_list = (specs.generic_spec(form_id, names, values),)
            for spec in spec_list:
                series = [
                    charts.Series(
                        label,
                        tuple(
                            (
                                a.completed_at.date(),
                                None if a.scores.get(name) is None else float(a.scores[name] or 0),
                            )
                            for a in entries
                            if name in a.scores
                        ),
                    )
                    for name, label in spec.scores
                ]
                series = [s for s in series if s.points]
                if not series:
                    continue
                values = [v for s in series for _, v in s.points if v is not None]
                drawing = charts.score_trend(
                    series,
                    d.start,
                    d.end,
                    y_range=specs.pick_range(spec, values),
                    bands=spec.bands,
                    references=spec.references,
                    width=self.width,
                    height=5.6 * cm,
                )
                block: list[Flowable] = [para(spec.title + where, st.h3), drawing]
                if spec.note:
                    block.append(para(spec.note, st.small))
                self.add(KeepTogether(block))

    def administrations_table(self) -> None:
        d = self.data
        st = self.st
        self.add(CondPageBreak(4 * cm))
        self.add(para("Questionnaires completed" if not self.clinician else "Administrations", st.h1))
        if not d.administrations:
            self.add(para("No questionnaire was completed in this period."))
            return
        w = self.width
        rows: list[Sequence[str | Flowable]] = []
        for a in d.administrations:
            parts = []
            for name, value in a.scores.items():
                if value is None and not self.clinician:
                    continue
                text = f"{name.replace('_', ' ')} {fmt_score(value)}"
                band = a.bands.get(name)
                if band and self.clinician:
                    text += f" ({band})"
                parts.append(text)
            scores = "; ".join(parts) or "–"
            if not a.complete and self.clinician:
                scores += " [incomplete]"
            focus = self.focus_labels.get(a.focus_key, a.focus_key) if a.focus_key else "–"
            if self.clinician:
                extra = CLINICAL_STAGE_NAMES[a.stage] if a.stage else ""
                if a.flags:
                    flags = ", ".join(f.replace("_", " ") for f in a.flags)
                    extra = f"{extra}; flagged: {flags}" if extra else f"Flagged: {flags}"
                extra = extra or "–"
                rows.append([fmt_date(a.completed_at), specs.short_title(a.form_id), focus, scores, extra])
            else:
                rows.append([fmt_date(a.completed_at), specs.short_title(a.form_id), focus, scores])
        if self.clinician:
            self.add(
                data_table(
                    ["Date", "Questionnaire", "Focus", "Scores", "Stage suggested"],
                    rows,
                    [0.13 * w, 0.16 * w, 0.12 * w, 0.41 * w, 0.18 * w],
                )
            )
        else:
            self.add(
                data_table(
                    ["Date", "Questionnaire", "About", "Scores"],
                    rows,
                    [0.15 * w, 0.18 * w, 0.17 * w, 0.5 * w],
                )
            )

    def notes_section(self, notes: Sequence[NoteEntry]) -> None:
        st = self.st
        self.add(CondPageBreak(4 * cm), para("Signed notes (summaries)", st.h1))
        self.add(
            para(
                "Each signed note is summarised; its SHA-256 hash identifies the exact signed text kept in "
                "the practice file (verify with “stagewise verify”).",
                st.small,
            )
        )
        if not notes:
            self.add(para("No signed note in this period."))
        for n in notes:
            # One paragraph per note (heading, fields, hash): far fewer flowables to lay out on ten years
            # of notes, and a note may still split across a page break.
            parts = [
                f"<b>{escape(fmt_date(n.written_at))} · {escape(n.template_title)}</b> · signed by "
                f"{escape(n.signed_by)} on {escape(fmt_date(n.signed_at))}"
            ]
            for name, text in n.fields:
                parts.append(f"<b>{escape(name)}:</b> {escape(_clip(text))}")
            parts.append(f'<font size="7">Note {n.id} hash {n.hash}</font>')
            for add in n.addenda:
                parts.append(
                    f"<i>Addendum {escape(fmt_date(add.written_at))} by {escape(add.author)}:</i> "
                    f"{escape(_clip(add.text))}"
                )
                parts.append(f'<font size="7">Addendum hash {add.hash}</font>')
            self.add(markup("<br/>".join(parts), self.note_style))

    def signature_block(self) -> None:
        st = self.st
        name = self.data.clinician_name or ""
        w = self.width
        line = "_" * 34
        rows = [
            [para("Clinician" if self.clinician else "Prepared by", st.cell_bold), para(name, st.cell)],
            [para("Signature", st.cell_bold), para(line, st.cell)],
            [para("Date", st.cell_bold), para(line, st.cell)],
        ]
        table = Table(rows, colWidths=[3.2 * cm, w - 3.2 * cm], hAlign="LEFT")
        table.setStyle(
            table_style(
                [
                    ("TOPPADDING", (0, 0), (-1, -1), 6),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("LINEABOVE", (0, 0), (-1, 0), 0.5, RULE_GREY),
                ]
            )
        )
        self.add(Spacer(1, 12), KeepTogether([para("Signature", st.h2), table]))

    def build(self) -> list[Flowable]:
        self.opening()
        self.focuses_overview()
        for f in self.data.focuses:
            self.focus_section(f)
        self.score_charts()
        self.administrations_table()
        if self.clinician and self.data.notes is not None:
            self.notes_section(self.data.notes)
        self.signature_block()
        return self.story


def build_client_summary(
    data: ClientReportData,
    out: str | os.PathLike[str] | IO[bytes],
    *,
    audience: Audience = Audience.CLINICIAN,
    page_size: PageSizeName = PageSizeName.A4,
    password: str | None = None,
    confidentiality: str | None = None,
) -> Rendered:
    """Render a progress summary from ``data`` (no database, no audit; see :func:`write_client_summary`).

    Args:
        data: the gathered report data.
        out: file name or binary file object for the PDF.
        audience: clinician (full) or client (plain language, no clinician-only content).
        page_size: A4 or Letter.
        password: optional PDF password.
        confidentiality: footer sentence (default: the standard confidentiality notice).

    Returns:
        The page count and whether the PDF is encrypted.
    """
    story = _Builder(data, audience, page_size).build()
    generated = data.generated_at or dt.datetime.now(dt.UTC)
    decor = PageDecor(
        practice_name=data.practice_name,
        title="Progress summary" if audience is Audience.CLINICIAN else "Your progress summary",
        identifiers=identifiers_line(data),
        generated=f"Made with Stagewise on {fmt_date(generated)} {generated:%H:%M} UTC",
        **({"confidentiality": confidentiality} if confidentiality else {}),
    )
    return render(story, out, decor, page_size=page_size, password=password, subject="Progress summary")


def write_client_summary(
    session: Session,
    client_id: int,
    out: str | os.PathLike[str] | IO[bytes],
    *,
    actor: str | None,
    audience: Audience = Audience.CLINICIAN,
    start: dt.date | None = None,
    end: dt.date | None = None,
    focus_keys: Sequence[str] | None = None,
    include_notes: bool = False,
    page_size: PageSizeName = PageSizeName.A4,
    password: str | None = None,
    action: Output | str | None = Output.EXPORT,
    confidentiality: str | None = None,
) -> Rendered:
    """Gather, render and audit one client's progress summary.

    Args:
        session: the caller's SQLAlchemy session (the audit event joins its transaction).
        client_id: the client.
        out: file name or binary file object for the PDF.
        actor: user name recorded in the audit log.
        audience: clinician or client version.
        start: first day (default: the client's first record).
        end: last day (default: today).
        focus_keys: focuses to include (default: all).
        include_notes: include signed-note summaries (clinician version only; off by default).
        page_size: A4 or Letter.
        password: optional PDF password.
        action: what is happening to it (``view``, ``print``, ``export``: recorded in the audit log
            in this transaction), or None to render only (the caller records the print when it
            happens, with :func:`~stagewise.core.reports.output.record_output` and ``Rendered.event``).
        confidentiality: footer sentence (default: the standard confidentiality notice).

    Returns:
        The page count and whether the PDF is encrypted.
    """
    output = output_of(action)
    notes = include_notes and audience is Audience.CLINICIAN
    data = gather_client_report(
        session, client_id, start=start, end=end, focus_keys=focus_keys, include_notes=notes
    )
    rendered = build_client_summary(
        data, out, audience=audience, page_size=page_size, password=password, confidentiality=confidentiality
    )
    event = ReportEvent(
        "client",
        client_id,
        {
            "report": "client_summary",
            "audience": audience.value,
            "pages": rendered.pages,
            "focuses": len(data.focuses),
            "administrations": len(data.administrations),
            "notes": len(data.notes) if data.notes is not None else None,
            "from": data.start.isoformat(),
            "to": data.end.isoformat(),
            "encrypted": rendered.encrypted,
        },
    )
    if output is not None:
        record_output(session, actor, output, event)
    return replace(rendered, event=event)
