"""Build an instrument's trend charts from its ``[presentation]`` table (part of the second loading pass).

A chart names the scores it draws (one line each, labelled with the score's own label), optional candidate
axes, optional shading and reference lines.  Shading never repeats numbers: ``shade`` names a score whose
``[[bands]]`` are drawn, or a normed score (``[[norms]]`` output) whose rows are drawn in ``shade_groups``.
Whole-number scores are shaded at half points (0–4 is drawn from −0.5 to 4.5), so a score on a cut-off
sits plainly inside its band, not on a line.  Without a ``[presentation]`` table an instrument gets one
chart of its derived scores (or, if it has none, its subscales) on their possible range.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from stagewise.core.instruments import model as m
from stagewise.core.instruments.schema import ChartModel, FormModel

Problems = list[tuple[str, str]]

RANGE_PLACEHOLDER = "{range}"


def _num(value: float) -> str:
    return f"{value:g}".replace("-", "−")


def range_text(low: float, high: float) -> str:
    """``0–4``, or ``0`` for a one-value range (the ``{range}`` of a shade label)."""
    return _num(low) if low == high else f"{_num(low)}–{_num(high)}"


def _covering_axis(axes: Sequence[tuple[float, float]], lo: float, hi: float) -> bool:
    return any(a <= lo and hi <= b for a, b in axes)


def _shades(
    chart: ChartModel,
    where: str,
    charted: Sequence[str],
    integer_valued: Mapping[str, bool],
    bands: Sequence[m.BandSet],
    norms: Sequence[m.NormTable],
    problems: Problems,
) -> list[tuple[float, float, float, float, str]]:
    """(drawn low, drawn high, first raw value, last raw value, default label) per shade, lowest first."""
    name = chart.shade
    if name is None:
        if chart.shade_groups or chart.shade_labels:
            problems.append((f"{where}.shade", "shade_groups and shade_labels need a 'shade' score"))
        return []
    table = next((n for n in norms if n.output == name), None)
    if table is not None:
        if table.score not in charted:
            problems.append((f"{where}.shade", f"{name!r} norms score {table.score!r}, which is not charted"))
            return []
        values = [r.value for r in table.rows]
        flat = [v for group in chart.shade_groups for v in group]
        if not chart.shade_groups or flat != sorted(set(values)) or any(not g for g in chart.shade_groups):
            problems.append(
                (f"{where}.shade_groups", f"list every value of {name!r} once, lowest first, in groups")
            )
            return []
        whole = integer_valued.get(table.score, False)
        out = []
        for group in chart.shade_groups:
            rows = [r for r in table.rows if r.value in group]
            lo, hi = rows[0].min, rows[-1].max
            label = " / ".join(r.label for r in rows)
            out.append((lo - 0.5 if whole else lo, hi + 0.5 if whole else hi, lo, hi, label))
        return out
    if chart.shade_groups:
        problems.append((f"{where}.shade_groups", "only for shading by a normed score"))
        return []
    sets = [b for b in bands if b.score == name]
    if not sets:
        problems.append((f"{where}.shade", f"no [[bands]] or [[norms]] output for {name!r}"))
        return []
    if len(sets) > 1 or sets[0].variant is not None:
        problems.append((f"{where}.shade", f"the bands of {name!r} differ by sex; draw reference lines"))
        return []
    if name not in charted:
        problems.append((f"{where}.shade", f"{name!r} is not one of this chart's scores"))
        return []
    whole = integer_valued.get(name, False)
    ordered = sets[0].bands
    out = []
    for i, band in enumerate(ordered):
        if whole:
            lo, hi = band.min - 0.5, band.max + 0.5
        else:  # fractional scores: [min, next min)
            lo, hi = band.min, ordered[i + 1].min if i + 1 < len(ordered) else band.max
        out.append((float(lo), float(hi), band.min, band.max, band.label))
    return out


def _chart(
    chart: ChartModel,
    where: str,
    fm: FormModel,
    labels: Mapping[str, str],
    ranges: Mapping[str, tuple[float, float]],
    integer_valued: Mapping[str, bool],
    bands: Sequence[m.BandSet],
    norms: Sequence[m.NormTable],
    problems: Problems,
) -> m.ChartSpec | None:
    unknown = [s for s in chart.scores if s not in ranges]
    if unknown:
        known = ", ".join(ranges)
        problems.append((f"{where}.scores", f"no score(s) {', '.join(unknown)}; scores are {known}"))
        return None
    if len(set(chart.scores)) != len(chart.scores):
        problems.append((f"{where}.scores", "a score is listed twice"))
    lo = min(ranges[s][0] for s in chart.scores)
    hi = max(ranges[s][1] for s in chart.scores)
    axes = [(float(a), float(b)) for a, b in chart.axes] or [(lo, hi)]
    if any(a >= b for a, b in axes):
        problems.append((f"{where}.axes", "each axis is [lowest, highest] with lowest below highest"))
    elif not _covering_axis(axes, lo, hi):
        problems.append((f"{where}.axes", f"no axis holds the scores' whole range {_num(lo)} to {_num(hi)}"))
    shades = _shades(chart, where, chart.scores, integer_valued, bands, norms, problems)
    if chart.shade_labels and len(chart.shade_labels) != len(shades) and shades:
        problems.append((f"{where}.shade_labels", f"give one label per shade ({len(shades)})"))
    built = []
    for i, (d_lo, d_hi, raw_lo, raw_hi, default) in enumerate(shades):
        text = chart.shade_labels[i] if i < len(chart.shade_labels) else default
        built.append(m.ShadedBand(d_lo, d_hi, text.replace(RANGE_PLACEHOLDER, range_text(raw_lo, raw_hi))))
    refs = []
    for j, ref in enumerate(chart.references, 1):
        if not axes[0][0] <= ref.value <= axes[0][1]:
            problems.append((f"{where}.references[{j}].value", "must lie on the chart's first axis"))
        refs.append(m.ReferenceLine(float(ref.value), ref.label))
    return m.ChartSpec(
        title=chart.title or fm.short_title,
        scores=tuple((s, labels[s]) for s in chart.scores),
        axes=tuple(axes),
        bands=tuple(built),
        references=tuple(refs),
        note=chart.note or "",
    )


def build_charts(
    fm: FormModel,
    ranges: Mapping[str, tuple[float, float]],
    integer_valued: Mapping[str, bool],
    bands: Sequence[m.BandSet],
    norms: Sequence[m.NormTable],
    problems: Problems,
) -> tuple[m.ChartSpec, ...]:
    """The instrument's trend charts, checked against its scores, bands and norms."""
    labels = {s.name: s.label for s in fm.scores}
    labels.update({d.name: d.label for d in fm.derived})
    labels.update({n.output: n.label for n in fm.norms})
    if fm.presentation is None:
        derived = [d.name for d in fm.derived if d.name in ranges]
        names = derived or [s.name for s in fm.scores if s.name in ranges][:6]
        charts = [ChartModel(scores=names)] if names else []
    else:
        charts = list(fm.presentation.charts)
    out = []
    for i, chart in enumerate(charts, 1):
        built = _chart(
            chart, f"presentation.charts[{i}]", fm, labels, ranges, integer_valued, bands, norms, problems
        )
        if built is not None:
            out.append(built)
    return tuple(out)
