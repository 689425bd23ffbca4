"""The client progress summary: a clinician version and a plain-language version for the client.

Clinician version: focuses with the clinician's current stage (and the questionnaire's, if different),
a stage timeline per focus, score trends with their bands, the stage decisions with their reasons, a table
of administrations, accepted interventions, optionally signed notes (excerpts, or in full) and a
signature block, then an appendix of the notes' hashes.

Client version ("Your progress summary"): plain all the way through, at about a 6th–8th grade reading
level: the same timelines with the practice's plain-language stage labels, what was agreed in each
intervention's client wording (never a model's or process's name), the questionnaires filled in (names and
dates: no scores, bands, subscales or citations); no override reasons, no note content, no hashes, no
risk-flag wording, no questionnaire stage suggestions.

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

from reportlab.lib.units import cm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer, Table
from sqlalchemy.orm import Session

from stagewise.core.instruments.loader import charts_for, short_title
from stagewise.core.instruments.model import ChartSpec
from stagewise.core.models import Stage, StageBasis
from stagewise.core.reports import charts
from stagewise.core.reports.charts import Series
from stagewise.core.reports.data import (
    AdministrationEntry,
    ClientReportData,
    FocusSummary,
    InterventionEntry,
    StageEntry,
    gather_client_report,
)
from stagewise.core.reports.layout import (
    RULE_GREY,
    PageDecor,
    PageSizeName,
    Rendered,
    data_table,
    fmt_date,
    frame_width,
    made_line,
    markup,
    para,
    render,
    styles,
    table_style,
)
from stagewise.core.reports.note_summaries import NoteText, hash_appendix, notes_section
from stagewise.core.reports.output import Output, ReportEvent, output_of, record_output
from stagewise.core.reports.trend_charts import score_trend
from stagewise.core.stages.labels import CLINICIAN_NAMES, NOT_STAGED_WORDING, client_label, clinician_label
from stagewise.core.users import require_clinical


def _unknown_instrument_charts(form_id: str, entries: Sequence[AdministrationEntry]) -> tuple[ChartSpec, ...]:
    """One plain chart (no bands, axis fitted to the data) for an instrument whose file is not available."""
    names = sorted({n for a in entries for n, v in a.scores.items() if v is not None})
    values = [float(v) for a in entries for v in a.scores.values() if v is not None]
    if not names:
        return ()
    lo, hi = min(values), max(values)
    pad = max((hi - lo) * 0.1, 1.0)
    lo = min(0.0, lo) if lo >= 0 else lo - pad
    scores = tuple((n, n.replace("_", " ").capitalize()) for n in names)
    return (ChartSpec(f"{form_id} scores", scores, ((lo, hi + pad),)),)


class Audience(enum.StrEnum):
    """Who the summary is written for (chosen at print time)."""

    CLINICIAN = "clinician"
    CLIENT = "client"


BASIS_WORDS = {
    StageBasis.INSTRUMENT: "questionnaire, accepted",
    StageBasis.OVERRIDE: "clinician's judgement over questionnaire",
    StageBasis.CLINICAL_JUDGEMENT: "clinical judgement",
    StageBasis.NOT_STAGED: NOT_STAGED_WORDING.lower(),
}


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


GENERIC_CLIENT_WORDING = "Something we agreed to work on together"


def client_wording(entry: InterventionEntry) -> str:
    """How the client's summary names an intervention: the library's plain wording, the clinician's own
    title for one they added, else a generic phrase (never a model's or a process's name)."""
    if entry.client_wording:
        return entry.client_wording
    return entry.title if entry.intervention_id is None else GENERIC_CLIENT_WORDING


class _Builder:
    def __init__(
        self, data: ClientReportData, audience: Audience, page_size: PageSizeName, note_text: NoteText
    ) -> None:
        self.data = data
        self.note_text = note_text
        self.audience = audience
        self.clinician = audience is Audience.CLINICIAN
        self.width = frame_width(page_size)
        self.st = styles()
        self.story: list[Flowable] = []
        if self.clinician:
            self.names: dict[Stage, str] = dict(CLINICIAN_NAMES)
        else:
            self.names = {s: client_label(s, data.client_stage_labels) for s in Stage}
        self.focus_labels = {f.key: f.label for f in data.focuses}

    # -- helpers ------------------------------------------------------------------------------------
    def stage_text(self, stage: Stage | None) -> str:
        if stage is None:
            return NOT_STAGED_WORDING if self.clinician else client_label(None, self.data.client_stage_labels)
        if self.clinician:
            plain = client_label(stage, self.data.client_stage_labels)
            return f"{CLINICIAN_NAMES[stage]} — “{plain}”"
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
                    "This summary shows how things have gone over the time we have worked together. It "
                    "shows where you are now with each thing we are working on, and how that has changed. "
                    "Moving back and forth between stages is a normal part of change. Every step, in "
                    "either direction, is something we can learn from together."
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
                    CLINICIAN_NAMES[cur.proposed]
                    if cur is not None and cur.differs_from_proposed and cur.proposed is not None
                    else "–"
                )
                stage = clinician_label(cur.stage) if cur else "No stage recorded yet"
                plain = client_label(cur.stage, d.client_stage_labels) if cur and cur.stage else "–"
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
                {}
                if self.clinician
                else {
                    "gap_label": "pause",
                    "gap_legend": "a pause from stage check-ins",
                    "back_legend": "moved back a stage",
                }
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
                        clinician_label(e.stage),
                        CLINICIAN_NAMES[e.proposed] if e.proposed else "–",
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
                            CLINICIAN_NAMES[i.stage] if i.stage else "–",
                            i.model or "–",
                        ]
                        for i in f.interventions
                    ],
                    [0.14 * w, 0.5 * w, 0.18 * w, 0.18 * w],
                )
            else:
                table = data_table(
                    ["Date", "What we agreed to try"],
                    [[fmt_date(i.decided_at), client_wording(i)] for i in f.interventions],
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
                "a stage. Moving back and forth between stages is a normal part of change."
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
        self.add(para("Score trends", st.h1))
        for (form_id, focus_key), entries in sorted(
            groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
        ):
            where = f" — {self.focus_labels.get(focus_key, focus_key)}" if focus_key else ""
            for spec in charts_for(form_id) or _unknown_instrument_charts(form_id, entries):
                series = [
                    Series(
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
                drawing = score_trend(
                    series,
                    d.start,
                    d.end,
                    y_range=spec.axis_for(values),
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
        self.add(para("Questionnaires you filled in" if not self.clinician else "Administrations", st.h1))
        if not d.administrations:
            self.add(para("No questionnaire was completed in this period."))
            return
        w = self.width
        if not self.clinician:
            self.add(
                para(
                    "These are the questionnaires you filled in. We use your answers to talk about how "
                    "things are going. Your clinician can go through your answers with you at any time."
                ),
                data_table(
                    ["Date", "Questionnaire", "About"],
                    [
                        [
                            fmt_date(a.completed_at),
                            short_title(a.form_id),
                            self.focus_labels.get(a.focus_key, a.focus_key) if a.focus_key else "you",
                        ]
                        for a in d.administrations
                    ],
                    [0.2 * w, 0.35 * w, 0.45 * w],
                ),
            )
            return
        rows: list[Sequence[str | Flowable]] = []
        for a in d.administrations:
            parts = []
            for name, value in a.scores.items():
                text = f"{name.replace('_', ' ')} {fmt_score(value)}"
                band = a.bands.get(name)
                if band:
                    text += f" ({band})"
                parts.append(text)
            scores = "; ".join(parts) or "–"
            if not a.complete:
                scores += " [incomplete]"
            focus = self.focus_labels.get(a.focus_key, a.focus_key) if a.focus_key else "–"
            extra = CLINICIAN_NAMES[a.stage] if a.stage else ""
            if a.flags:
                flags = ", ".join(f.replace("_", " ") for f in a.flags)
                extra = f"{extra}; flagged: {flags}" if extra else f"Flagged: {flags}"
            rows.append([fmt_date(a.completed_at), short_title(a.form_id), focus, scores, extra or "–"])
        self.add(
            data_table(
                ["Date", "Questionnaire", "Focus", "Scores", "Stage suggested"],
                rows,
                [0.13 * w, 0.16 * w, 0.12 * w, 0.41 * w, 0.18 * w],
            )
        )

    def caveats_footnote(self) -> None:
        """What is not verified about the questionnaires above, in each instrument file's own words."""
        parts = ["<b>Not verified (for the clinician)</b>"]
        for c in self.data.caveats:
            parts.append(
                f"<b>{escape(c.short_title)} ({escape(c.citation_short)}):</b> "
                + " ".join(map(escape, c.caveats))
            )
        self.add(Spacer(1, 8), markup("<br/>".join(parts), self.st.small))

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
        if self.clinician:  # the client's version names the questionnaires, without numbers or bands
            self.score_charts()
        self.administrations_table()
        notes = self.data.notes if self.clinician else None
        if notes is not None:
            self.add(*notes_section(notes, self.note_text))
        if self.clinician and self.data.caveats:  # never in the client's version
            self.caveats_footnote()
        self.signature_block()
        if notes is not None:
            self.add(*hash_appendix(notes, self.width))
        return self.story


def build_client_summary(
    data: ClientReportData,
    out: str | os.PathLike[str] | IO[bytes],
    *,
    audience: Audience = Audience.CLINICIAN,
    page_size: PageSizeName = PageSizeName.A4,
    password: str | None = None,
    confidentiality: str | None = None,
    note_text: NoteText = NoteText.EXCERPT,
) -> Rendered:
    """Render a progress summary from ``data`` (no database, no audit; see :func:`write_client_summary`).

    Args:
        data: the gathered report data.
        out: file name or binary file object for the PDF.
        audience: clinician (full) or client (plain language, no clinician-only content).
        page_size: A4 or Letter.
        password: optional PDF password.
        confidentiality: footer sentence (default: the standard confidentiality notice).
        note_text: signed notes (when ``data`` has them) as short excerpts (default) or in full.

    Returns:
        The page count and whether the PDF is encrypted.
    """
    story = _Builder(data, audience, page_size, note_text).build()
    decor = PageDecor(
        practice_name=data.practice_name,
        title="Progress summary" if audience is Audience.CLINICIAN else "Your progress summary",
        identifiers=identifiers_line(data),
        generated=made_line(data.generated_at),
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
    note_text: NoteText = NoteText.EXCERPT,
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
        include_notes: include signed notes (clinician version only; off by default), with their hashes
            in an appendix.
        page_size: A4 or Letter.
        password: optional PDF password.
        action: what is happening to it (``view``, ``print``, ``export``: recorded in the audit log
            in this transaction), or None to render only (the caller records the print when it
            happens, with :func:`~stagewise.core.reports.output.record_output` and ``Rendered.event``).
        confidentiality: footer sentence (default: the standard confidentiality notice).
        note_text: each note as a short excerpt (default) or in full.

    Returns:
        The page count and whether the PDF is encrypted.
    """
    output = output_of(action)
    require_clinical(session, actor)
    notes = include_notes and audience is Audience.CLINICIAN
    data = gather_client_report(
        session, client_id, start=start, end=end, focus_keys=focus_keys, include_notes=notes
    )
    rendered = build_client_summary(
        data,
        out,
        audience=audience,
        page_size=page_size,
        password=password,
        confidentiality=confidentiality,
        note_text=note_text,
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
            "note_text": note_text.value if data.notes is not None else None,
            "from": data.start.isoformat(),
            "to": data.end.isoformat(),
            "encrypted": rendered.encrypted,
        },
    )
    if output is not None:
        record_output(session, actor, output, event)
    return replace(rendered, event=event)
