"""The instruments' ``[presentation]`` tables: charts, axes, shading from the file's own bands and norms.

The cut-offs checked here are the published ones: PHQ-9 0–4/5–9/10–14/15–19/20–27 (Kroenke, Spitzer &
Williams 2001), GAD-7 15–21 severe (Spitzer et al. 2006), AUDIT zone II 8–15 (Babor et al. 2001), SOCRATES 8A
Taking Steps decile 10 = 8–25 (Miller & Tonigan 1996, 8A profile sheet), URICA readiness −2 to 14.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from stagewise.core.instruments import FormFileError, load_library, parse_form
from stagewise.core.reports.client_summary import Audience, build_client_summary
from stagewise.core.reports.data import AdministrationEntry, ClientIdentity, ClientReportData
from tests.core.instruments.test_forms_corpus import VALID
from tests.core.reports.report_pdf import flat, pdf_pages


def charts(form_id: str) -> dict[str, object]:
    return {c.title: c for c in load_library().get(form_id).charts}


def test_every_shipped_instrument_says_how_it_is_charted() -> None:
    for form in load_library().forms:
        assert "[presentation]" in form.source_text, form.id
        assert form.charts, form.id
        for chart in form.charts:
            assert set(chart.score_names) <= set(form.score_names())
            lo, hi = form.score_range(chart.score_names[0])
            assert any(a <= lo and hi <= b for a, b in chart.axes)


def test_shading_comes_from_the_published_bands_at_half_points() -> None:
    (phq,) = load_library().get("phq-9").charts
    edges = [(b.low, b.high) for b in phq.bands]
    assert edges == [(-0.5, 4.5), (4.5, 9.5), (9.5, 14.5), (14.5, 19.5), (19.5, 27.5)]
    assert phq.bands[0].label == "0–4 none"
    (gad,) = load_library().get("gad-7").charts
    assert (gad.bands[-1].low, gad.bands[-1].high) == (14.5, 21.5)
    (audit,) = load_library().get("audit").charts
    assert (audit.bands[1].low, audit.bands[1].high) == (7.5, 15.5)
    (dast,) = load_library().get("dast-10").charts
    assert dast.bands[0].label == "0 none"  # a one-value band prints one number


def test_socrates_8a_is_shaded_by_its_decile_norms() -> None:
    steps = charts("socrates-8a")["SOCRATES taking steps"]
    assert (steps.bands[0].low, steps.bands[0].high) == (7.5, 25.5)  # decile 10 = 8–25
    assert [b.label for b in steps.bands] == [
        "very low (decile 10)", "low (20–30)", "medium (40–60)", "high (70–80)", "very high (90)"
    ]  # fmt: skip
    recognition = charts("socrates-8a")["SOCRATES recognition"]
    assert recognition.bands[-1].label == "high (70)"  # 35 is decile 70: no higher band


def test_socrates_8d_has_no_decile_bands() -> None:
    """#16.14: the 8D charts were drawn with the 8A alcohol deciles; 8D norms do not apply."""
    for chart in load_library().get("socrates-8d").charts:
        assert chart.bands == ()
        assert "do not apply" in chart.note


def test_socrates_8d_summary_prints_no_alcohol_deciles(tmp_path: Path) -> None:
    day = dt.datetime(2024, 5, 2, 10, tzinfo=dt.UTC)
    entries = tuple(
        AdministrationEntry(
            i, form_id, "1.0.0", day + dt.timedelta(days=40 * i), None,
            {"recognition": 30 + i, "ambivalence": 12, "taking_steps": 31},
        )
        for i, form_id in enumerate(("socrates-8d", "socrates-8d", "socrates-8a"))
    )  # fmt: skip
    data = ClientReportData(
        "Synthetic practice",
        ClientIdentity("T-1", "Test", "Client", None),
        dt.date(2024, 1, 1),
        dt.date(2024, 12, 31),
        (),
        entries,
    )
    out = tmp_path / "summary.pdf"
    build_client_summary(data, out, audience=Audience.CLINICIAN)
    text = flat(" ".join(pdf_pages(out)))
    assert text.count("no bands are drawn") == 3  # one note under each 8D chart
    # Only the one 8A administration's three charts carry the decile words and the Project MATCH note.
    assert text.count("very low (decile 10)") == 3
    assert text.count("Project MATCH") == 3


def test_urica_subscales_use_the_axis_that_holds_the_values() -> None:
    readiness = charts("urica-32")["URICA readiness score"]
    assert readiness.axes == ((-2, 14),)
    subscales = charts("urica-32")["URICA subscales"]
    assert subscales.axis_for([2.5, 4.0]) == (1, 5)
    assert subscales.axis_for([21, 30]) == (7, 35)


def test_short_title_is_the_only_title_of_an_instrument() -> None:
    from stagewise.core.instruments import short_title

    assert short_title("contemplation-ladder") == load_library().get("contemplation-ladder").short_title
    assert short_title("no-such-instrument") == "no-such-instrument"


def test_a_form_without_presentation_charts_its_scores() -> None:
    form = parse_form(VALID, Path("mini.toml"))
    (chart,) = form.charts
    assert chart.title == "Mini"
    assert chart.scores == (("total", "Total"),)
    assert chart.axes == ((0, 6),)
    assert chart.bands == ()


def _with(presentation: str) -> str:
    return VALID + "\n[presentation]\n[[presentation.charts]]\n" + presentation


def test_a_chart_may_shade_its_score_with_its_own_labels() -> None:
    body = 'scores = ["total"]\nshade = "total"\nshade_labels = ["{range} lo", "{range} hi"]\n'
    form = parse_form(_with(body), Path("m.toml"))
    (chart,) = form.charts
    assert [(b.low, b.high, b.label) for b in chart.bands] == [(-0.5, 2.5, "0–2 lo"), (2.5, 6.5, "3–6 hi")]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('scores = ["totl"]\n', "presentation.charts[1].scores: no score(s) totl"),
        ('scores = ["total"]\naxes = [[0, 3]]\n', "no axis holds the scores' whole range 0 to 6"),
        ('scores = ["total"]\naxes = [[4, 1]]\n', "lowest below highest"),
        ('scores = ["total"]\nshade = "nope"\n', "no [[bands]] or [[norms]] output for 'nope'"),
        ('scores = ["total"]\nshade = "total"\nshade_labels = ["one"]\n', "one label per shade (2)"),
        ('scores = ["total"]\nshade_labels = ["one"]\n', "need a 'shade' score"),
        ('scores = ["total"]\nshade = "total"\nshade_groups = [[1]]\n', "only for shading by a normed score"),
        ('scores = ["total"]\nreferences = [{ value = 9, label = "x" }]\n', "must lie on the chart's first"),
        ('scores = ["total"]\ncolour = "red"\n', "unknown field"),
    ],
)
def test_presentation_mistakes_are_named(body: str, fragment: str) -> None:
    with pytest.raises(FormFileError) as info:
        parse_form(_with(body), Path("m.toml"))
    assert fragment in info.value.details()


def test_shade_groups_must_cover_every_normed_value() -> None:
    text = load_library().get("socrates-8a").source_text
    groups = "shade_groups = [[10], [20, 30], [40, 50, 60], [70]]"
    broken = text.replace(groups, "shade_groups = [[10], [40]]")
    assert broken != text
    with pytest.raises(FormFileError) as info:
        parse_form(broken, Path("socrates-8a.toml"))
    assert re.search(r"presentation\.charts\[1\]\.shade_groups: list every value", info.value.details())


def test_bands_split_by_sex_cannot_shade_a_chart() -> None:
    text = load_library().get("audit-c").source_text
    broken = text.replace('scores = ["total"]\nreferences', 'scores = ["total"]\nshade = "total"\nreferences')
    assert broken != text
    with pytest.raises(FormFileError) as info:
        parse_form(broken, Path("audit-c.toml"))
    assert "differ by sex" in info.value.details()
