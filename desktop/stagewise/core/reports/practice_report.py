"""The practice report for a period: the dashboard's figures with charts, optionally de-identified.

The figures are the stage issue's metrics (``stagewise.core.stages.metrics``; definitions in
``docs/metrics.md``)
taken as their JSON dict, so this module does not depend on how they are computed.  The caseload table
lists each active client-focus pair with its current stage; de-identified, it shows sequence labels
("Client 001") instead of chart numbers, no names, and clinicians as "Clinician 1" … — for funders.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import IO, Any

from reportlab.lib.units import cm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether
from sqlalchemy import select
from sqlalchemy.orm import Session

from stagewise.core.models import Client, ClientStatus, Focus, Setting, Stage, StageRecord
from stagewise.core.reports import trend_charts
from stagewise.core.reports.data import practice_name
from stagewise.core.reports.layout import (
    PageDecor,
    PageSizeName,
    Rendered,
    data_table,
    fmt_date,
    frame_width,
    made_line,
    para,
    render,
    styles,
)
from stagewise.core.reports.output import Output, ReportEvent, output_of, record_output
from stagewise.core.stages.labels import CLINICIAN_NAMES, NOT_STAGED_WORDING, clinician_label
from stagewise.core.users import require_clinical

DEIDENTIFIED_CONFIDENTIALITY = (
    "De-identified: no client names or chart numbers. Small counts may still identify people."
)
PRACTICE_CONFIDENTIALITY = "Confidential: contains client identifiers. For the practice's own use."


@dataclass(frozen=True, slots=True)
class CaseloadRow:
    """One active client-focus pair at the end of the period."""

    chart_number: str
    name: str
    focus: str
    stage: Stage | None  # None: not staged for now
    stay_start: dt.date | None
    days_in_stage: int | None
    stalled: bool
    recycled_in_period: bool


@dataclass(frozen=True, slots=True)
class PracticeReportData:
    """Everything the practice report shows."""

    practice_name: str
    start: dt.date | None
    end: dt.date
    metrics: Mapping[str, Any]  # ``PracticeMetrics.to_json()`` shape
    caseload: tuple[CaseloadRow, ...]
    stalled_days: int = 90
    generated_at: dt.datetime | None = None


def _setting_int(session: Session, key: str, default: int) -> int:
    row = session.get(Setting, key)
    return int(row.value) if row is not None and isinstance(row.value, int) else default


def gather_practice_report(
    session: Session,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    metrics: Mapping[str, Any] | None = None,
) -> PracticeReportData:
    """Read the practice report's data.

    Args:
        session: the caller's session (read only).
        start: first day of the period (None: from the first record).
        end: last day (default: today).
        metrics: the metrics JSON if the caller already has it; else computed with
            ``stagewise.core.stages.metrics.compute_metrics`` over
            ``stagewise.core.stages.metric_records.load_metric_records``.
    """
    end = end or dt.date.today()
    stalled_days = _setting_int(session, "stalled_days", 90)
    if metrics is None:
        from stagewise.core.stages.metric_records import load_metric_records
        from stagewise.core.stages.metrics import compute_metrics

        metrics = compute_metrics(
            load_metric_records(session, until=end),
            period_start=start,
            period_end=end,
            stalled_days=stalled_days,
            reassessment_days=_setting_int(session, "reassessment_days", 30),
        ).to_json()
    return PracticeReportData(
        practice_name=practice_name(session),
        start=start,
        end=end,
        metrics=metrics,
        caseload=_caseload(session, start, end, stalled_days),
        stalled_days=stalled_days,
    )


def _caseload(
    session: Session, start: dt.date | None, end: dt.date, stalled_days: int
) -> tuple[CaseloadRow, ...]:
    end_dt = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    rows = session.execute(
        select(StageRecord.client_id, StageRecord.focus_id, StageRecord.stage, StageRecord.effective)
        .where(StageRecord.effective <= end)
        .order_by(StageRecord.client_id, StageRecord.focus_id, StageRecord.effective, StageRecord.id)
    ).all()
    courses: dict[tuple[int, int], list[tuple[Stage | None, dt.date]]] = {}
    for client_id, focus_id, stage, effective in rows:
        daily = courses.setdefault((client_id, focus_id), [])
        value = Stage(stage) if stage else None
        if daily and daily[-1][1] == effective:
            daily[-1] = (value, effective)  # the day's last record wins (as in the metrics)
        else:
            daily.append((value, effective))
    clients = {
        c.id: c
        for c in session.execute(select(Client).where(Client.id.in_({k[0] for k in courses}))).scalars()
    }
    focuses = {
        f.id: f for f in session.execute(select(Focus).where(Focus.id.in_({k[1] for k in courses}))).scalars()
    }
    out: list[CaseloadRow] = []
    for (client_id, focus_id), daily in courses.items():
        client = clients[client_id]
        if client.status == ClientStatus.DISCHARGED.value and (
            client.discharged_at is None or client.discharged_at < end_dt
        ):
            continue
        stage, _ = daily[-1]
        stay_start: dt.date | None = None
        if stage is not None:
            stay_start = daily[-1][1]
            for value, effective in reversed(daily):
                if value != stage:
                    break
                stay_start = effective
        staged = [(v, d) for v, d in daily if v is not None]
        recycled = any(
            b[0].order < a[0].order and (start is None or b[1] >= start)
            for a, b in itertools.pairwise(staged)
            if a[0] is not None and b[0] is not None
        )
        days = (end - stay_start).days if stay_start is not None else None
        out.append(
            CaseloadRow(
                chart_number=client.chart_number,
                name=f"{client.given_name} {client.family_name}",
                focus=focuses[focus_id].label,
                stage=stage,
                stay_start=stay_start,
                days_in_stage=days,
                stalled=bool(
                    stage is not None
                    and stage is not Stage.MAINTENANCE
                    and days is not None
                    and days > stalled_days
                ),
                recycled_in_period=recycled,
            )
        )
    out.sort(key=lambda r: (r.chart_number, r.focus))
    return tuple(out)


def deidentify(data: PracticeReportData) -> PracticeReportData:
    """The same report with clients as "Client 001" … (in stage order, not chart order), no names,
    and clinicians in the override table as "Clinician 1" …."""
    ordered = sorted(
        data.caseload,
        key=lambda r: (r.stage.order if r.stage else 9, -(r.days_in_stage or 0), r.focus),
    )
    labels: dict[str, str] = {}
    rows: list[CaseloadRow] = []
    for row in ordered:
        label = labels.setdefault(row.chart_number, f"Client {len(labels) + 1:03d}")
        rows.append(replace(row, chart_number=label, name="", stay_start=None))
    metrics = dict(data.metrics)
    fidelity = dict(metrics.get("fidelity") or {})
    rates = fidelity.get("override_rate") or {}
    fidelity["override_rate"] = {
        f"Clinician {i}": v for i, (_k, v) in enumerate(sorted(rates.items()), start=1)
    }
    metrics["fidelity"] = fidelity
    return replace(data, caseload=tuple(rows), metrics=metrics)


def _pct(value: Any) -> str:
    return "–" if not isinstance(value, int | float) else f"{value * 100:.0f} %"


def _days(value: Any) -> str:
    return "–" if not isinstance(value, int | float) else f"{value:.0f}"


def _story(data: PracticeReportData, deidentified: bool, page_size: PageSizeName) -> list[Flowable]:
    st = styles()
    w = frame_width(page_size)
    m = data.metrics
    story: list[Flowable] = []
    period = f"{fmt_date(data.start) if data.start else 'first record'} to {fmt_date(data.end)}"
    story.append(para("Practice report" + (" (de-identified)" if deidentified else ""), st.title))
    story.append(para(f"Period: {period}.", st.body))
    if deidentified:
        story.append(
            para(
                "Prepared for funders: clients appear as sequence labels, with no names, chart numbers or "
                "dates of birth; clinicians appear as numbers.",
                st.small,
            )
        )
    dist = m.get("distribution") or {}
    counts = m.get("counts") or {}
    fidelity = m.get("fidelity") or {}
    slowest = m.get("slowest_stage")
    figures = [
        ("Active client-focus pairs with a stage", str(sum(int(dist.get(s.value, 0) or 0) for s in Stage))),
        (f"Paused ({NOT_STAGED_WORDING.lower()})", str(counts.get("paused", "–"))),
        ("Moves between stages in the period", str(counts.get("moves", "–"))),
        ("Advancement rate (forward moves ÷ all moves)", _pct(m.get("advancement_rate"))),
        ("Recycling share (pairs with a move back ÷ pairs with a move)", _pct(m.get("recycling_share"))),
        (
            f"Stalled (same stage over {data.stalled_days} days, maintenance excepted)",
            str(m.get("stalled", "–")),
        ),
        ("Slowest stage (highest median days)", CLINICIAN_NAMES[Stage(slowest)] if slowest else "–"),
        (
            "Reassessments due / on time",
            f"{fidelity.get('reassessments_due', '–')} / "
            f"{fidelity.get('reassessments_on_time', '–')} ({_pct(fidelity.get('on_time_share'))})",
        ),
    ]
    story.append(para("Key figures", st.h1))
    story.append(
        data_table(["Figure", "Value"], [list(f) for f in figures], [0.72 * w, 0.28 * w], align_right=[1])
    )
    story.append(
        para(
            "Moving back a stage (recycling) is an ordinary part of change; the recycling share "
            "describes the caseload, it does not grade anyone.",
            st.small,
        )
    )
    names = [CLINICIAN_NAMES[s] for s in Stage] + ["Paused"]
    values: list[float | None] = [float(dist.get(s.value, 0) or 0) for s in Stage]
    values += [float(counts.get("paused", 0) or 0)]
    story.append(
        KeepTogether(
            [
                para("Current stage of active client-focus pairs", st.h2),
                trend_charts.bar_chart(names, [("Client-focus pairs", values)], width=w, height=5.5 * cm),
            ]
        )
    )
    tis = m.get("time_in_stage_days") or {}
    med = [tis.get(s.value, {}).get("median") for s in Stage]
    mean = [tis.get(s.value, {}).get("mean") for s in Stage]
    story.append(
        KeepTogether(
            [
                para("Time in stage (days)", st.h2),
                trend_charts.bar_chart(
                    [CLINICIAN_NAMES[s] for s in Stage],
                    [("Median days", med), ("Mean days", mean)],
                    width=w,
                    height=5.5 * cm,
                    value_format="{:.0f}",
                ),
            ]
        )
    )
    rates = fidelity.get("override_rate") or {}
    if rates:
        rows = [
            [str(name), str(r.get("with_proposal", "–")), str(r.get("overrides", "–")), _pct(r.get("rate"))]
            for name, r in rates.items()
        ]
        story.append(CondPageBreak(3 * cm))
        story.append(para("Questionnaire stage overridden, by clinician", st.h2))
        story.append(
            data_table(
                ["Clinician", "Decisions with a questionnaire stage", "Overridden", "Rate"],
                rows,
                [0.3 * w, 0.34 * w, 0.18 * w, 0.18 * w],
                align_right=[1, 2, 3],
            )
        )
    story.append(CondPageBreak(4 * cm))
    story.append(para("Caseload at the end of the period", st.h1))
    if not data.caseload:
        story.append(para("No active client has a stage record."))
    else:
        rows_c: list[Sequence[str | Flowable]] = []
        for r in data.caseload:
            stage = clinician_label(r.stage)
            notes = ", ".join(
                t for t, on in (("stalled", r.stalled), ("moved back", r.recycled_in_period)) if on
            )
            days = "–" if r.days_in_stage is None else str(r.days_in_stage)
            if deidentified:
                rows_c.append([r.chart_number, r.focus, stage, days, notes])
            else:
                rows_c.append([r.chart_number, r.name, r.focus, stage, days, notes])
        if deidentified:
            story.append(
                data_table(
                    ["Client", "Focus", "Stage", "Days in stage", "Notes"],
                    rows_c,
                    [0.16 * w, 0.22 * w, 0.2 * w, 0.16 * w, 0.26 * w],
                    align_right=[3],
                )
            )
        else:
            story.append(
                data_table(
                    ["Chart", "Name", "Focus", "Stage", "Days", "Notes"],
                    rows_c,
                    [0.12 * w, 0.26 * w, 0.16 * w, 0.16 * w, 0.09 * w, 0.21 * w],
                    align_right=[4],
                )
            )
    return story


def build_practice_report(
    data: PracticeReportData,
    out: str | os.PathLike[str] | IO[bytes],
    *,
    deidentified: bool = False,
    page_size: PageSizeName = PageSizeName.A4,
    password: str | None = None,
) -> Rendered:
    """Render the practice report (no database, no audit; see :func:`write_practice_report`).

    Args:
        data: gathered data (identified; this function de-identifies it when asked).
        out: file name or binary file object.
        deidentified: replace chart numbers with sequence labels and drop names (for funders).
        page_size: A4 or Letter.
        password: optional PDF password.
    """
    if deidentified:
        data = deidentify(data)
    decor = PageDecor(
        practice_name=data.practice_name,
        title="Practice report" + (" (de-identified)" if deidentified else ""),
        identifiers=None,
        confidentiality=DEIDENTIFIED_CONFIDENTIALITY if deidentified else PRACTICE_CONFIDENTIALITY,
        generated=made_line(data.generated_at),
    )
    return render(
        _story(data, deidentified, page_size),
        out,
        decor,
        page_size=page_size,
        password=password,
        subject="Practice report",
    )


def write_practice_report(
    session: Session,
    out: str | os.PathLike[str] | IO[bytes],
    *,
    actor: str | None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    deidentified: bool = False,
    page_size: PageSizeName = PageSizeName.A4,
    password: str | None = None,
    metrics: Mapping[str, Any] | None = None,
    action: Output | str | None = Output.EXPORT,
) -> Rendered:
    """Gather, render and audit the practice report.

    Args:
        session: the caller's session (the audit event joins its transaction).
        out: file name or binary file object.
        actor: user name for the audit log.
        start: first day of the period (None: from the first record).
        end: last day (default: today).
        deidentified: for funders: no names, chart numbers replaced.
        page_size: A4 or Letter.
        password: optional PDF password.
        metrics: precomputed metrics JSON (else computed here).
        action: ``view``, ``print`` or ``export`` (audited now), or None to render only (see
            :mod:`stagewise.core.reports.output`).
    """
    output = output_of(action)
    require_clinical(session, actor)
    if start is not None and end is not None and start > end:
        from stagewise.core.errors import UserInputError

        raise UserInputError("The report's start date is after its end date.")
    data = gather_practice_report(session, start=start, end=end, metrics=metrics)
    rendered = build_practice_report(
        data, out, deidentified=deidentified, page_size=page_size, password=password
    )
    event = ReportEvent(
        "practice",
        None,
        {
            "report": "practice",
            "deidentified": deidentified,
            "pages": rendered.pages,
            "rows": len(data.caseload),
            "from": None if start is None else start.isoformat(),
            "to": data.end.isoformat(),
            "encrypted": rendered.encrypted,
        },
    )
    if output is not None:
        record_output(session, actor, output, event)
    return replace(rendered, event=event)
