"""The synthetic demo practice: it verifies, its content is plausible, and it is reproducible."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import statistics
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from stagewise.cli import main as cli_main
from stagewise.core.demo import DEMO_PASSPHRASE, DEMO_SETTING, DemoSummary, generate_demo, is_demo
from stagewise.core.instruments import load_library
from stagewise.core.instruments.scoring import ScoringOptions, score
from stagewise.core.models import Setting
from stagewise.core.settings import load_settings
from stagewise.core.storage import store
from stagewise.core.storage.verify import verify_practice

TODAY = dt.date(2026, 3, 2)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DemoSummary, store.Practice]]:
    # Module-scoped (built once): nothing here touches the keyring (save_to_keyring and use_keyring off).
    path = tmp_path_factory.mktemp("demo") / "demo.stagewise"
    summary = generate_demo(path, "small", 11, today=TODAY)
    key = store.unlock_key(path, passphrase=DEMO_PASSPHRASE, use_keyring=False).key
    practice = store.open_practice(path, key)
    try:
        yield summary, practice
    finally:
        practice.close()


def _clinician(summary: DemoSummary) -> str:
    """A demo account with a clinical role (demo.admin runs the practice and is refused reports)."""
    return next(u for u in summary.usernames if u != "demo.admin")


def _rows(practice: store.Practice, sql: str) -> list[tuple[object, ...]]:
    with practice.session_factory() as s:
        return [tuple(r) for r in s.execute(text(sql)).all()]


def test_small_demo_passes_verify(demo: tuple[DemoSummary, store.Practice]) -> None:
    summary, practice = demo
    report = verify_practice(practice)
    assert report.ok, report.problems
    assert report.counts["note"] == summary.counts["note"] > 300
    assert report.counts["addendum"] > 0
    assert report.counts["administration"] > 200
    assert report.counts["stage_record"] > 100
    assert report.counts["user"] == 5


def test_demo_is_marked_and_named(demo: tuple[DemoSummary, store.Practice]) -> None:
    _, practice = demo
    with practice.session_factory() as s:
        assert is_demo(s)
        assert s.get(Setting, DEMO_SETTING) is not None
        assert "DEMO" in load_settings(s).practice_name
    roles = {r[0] for r in _rows(practice, "SELECT roles FROM user")}
    assert {"admin", "clinician", "clinician supervisor"} <= roles


def test_histories_are_non_linear(demo: tuple[DemoSummary, store.Practice]) -> None:
    _, practice = demo
    order = {"precontemplation": 0, "contemplation": 1, "preparation": 2, "action": 3, "maintenance": 4}
    records = _rows(
        practice, "SELECT focus_id, stage, basis FROM stage_record ORDER BY focus_id, effective, id"
    )
    backward = forward = 0
    last: dict[object, int] = {}
    for focus, stage, _ in records:
        if stage is None:
            continue
        value = order[str(stage)]
        if focus in last:
            backward += value < last[focus]
            forward += value > last[focus]
        last[focus] = value
    bases = {str(r[2]) for r in records}
    assert backward >= 1
    assert forward > backward
    assert {"instrument", "override", "clinical_judgement", "not_staged"} <= bases


def test_stored_results_are_what_the_engine_computes(demo: tuple[DemoSummary, store.Practice]) -> None:
    _, practice = demo
    library = load_library()
    rows = _rows(
        practice,
        "SELECT form_id, form_version, answers, result FROM administration WHERE status != 'in_progress'",
    )
    assert {str(r[0]) for r in rows} >= {"urica-32", "phq-9", "gad-7"}
    for form_id, version, answers, result in rows:
        form = library.get(str(form_id), str(version))
        options = ScoringOptions(urica_stage_rule="nearest_group_mean")
        assert json.loads(str(result)) == score(form, json.loads(str(answers)), options).to_json()
    scores = _rows(
        practice,
        "SELECT count(*) FROM score_result s JOIN administration a ON a.id = s.administration_id"
        " WHERE s.result = a.result AND s.current",
    )
    assert scores[0][0] == len(rows)


def test_urica_mostly_proposes_the_clinicians_stage(demo: tuple[DemoSummary, store.Practice]) -> None:
    _, practice = demo
    rows = _rows(practice, "SELECT proposed, stage FROM stage_record WHERE administration_id IS NOT NULL")
    assert rows
    # URICA proposes only precontemplation, contemplation or action; on those stages it should mostly agree.
    comparable = [(p, s) for p, s in rows if s in ("precontemplation", "contemplation", "action")]
    agree = sum(p == s for p, s in comparable)
    assert agree / len(comparable) > 0.5


def test_phq9_and_gad7_are_correlated(demo: tuple[DemoSummary, store.Practice]) -> None:
    _, practice = demo
    # PHQ-9 and GAD-7 given to the same client on the same day share the client's symptom level.
    rows = _rows(
        practice,
        "SELECT json_extract(p.result, '$.scores.total'), json_extract(g.result, '$.scores.total')"
        " FROM administration p JOIN administration g ON g.client_id = p.client_id"
        " AND substr(g.started_at, 1, 10) = substr(p.started_at, 1, 10)"
        " WHERE p.form_id = 'phq-9' AND g.form_id = 'gad-7'",
    )
    pairs = [(float(str(p)), float(str(g))) for p, g in rows]
    assert len(pairs) >= 20
    assert statistics.correlation([p for p, _ in pairs], [g for _, g in pairs]) > 0.3


def test_symptom_measures_are_filed_for_the_client(demo: tuple[DemoSummary, store.Practice]) -> None:
    _, practice = demo
    rows = _rows(practice, "SELECT form_id, focus_id IS NULL, count(*) FROM administration GROUP BY 1, 2")
    filed = {(str(form), bool(no_focus)): int(str(n)) for form, no_focus, n in rows}
    assert filed[("phq-9", True)] > 0
    assert filed[("gad-7", True)] > 0
    assert ("phq-9", False) not in filed
    assert ("gad-7", False) not in filed
    assert ("urica-32", True) not in filed  # behaviour measures keep their focus


def test_notes_are_searchable_and_varied(demo: tuple[DemoSummary, store.Practice]) -> None:
    summary, practice = demo
    from stagewise.core.notes.drafts import list_notes, search_notes

    with practice.session_factory() as s:
        assert search_notes(s, "cravings evening", limit=5)
        heavy = list_notes(s, client_id=summary.heaviest_client_id, limit=1000)
    assert len(heavy) >= 100
    templates = {r[0] for r in _rows(practice, "SELECT template_id FROM note")}
    assert templates == {"soap", "dap", "birp", "free_text"}
    lengths = [int(str(r[0])) for r in _rows(practice, "SELECT length(fields) FROM note")]
    assert max(lengths) > 4 * min(lengths)
    assert _rows(practice, "SELECT count(*) FROM note_fts")[0][0] == summary.counts["note"]


def _fingerprint(path: Path) -> list[tuple[object, ...]]:
    key = store.unlock_key(path, passphrase=DEMO_PASSPHRASE, use_keyring=False).key
    with store.open_practice(path, key) as practice:
        return _rows(
            practice,
            "SELECT 'c', chart_number || given_name || family_name || date_of_birth FROM client UNION ALL "
            "SELECT 'a', answers || coalesce(result, '') FROM administration UNION ALL "
            "SELECT 'n', hash FROM note WHERE hash IS NOT NULL UNION ALL "
            "SELECT 's', coalesce(stage, '-') || effective FROM stage_record",
        )


def test_same_seed_same_records(tmp_path: Path, demo: tuple[DemoSummary, store.Practice]) -> None:
    summary, _ = demo
    again = tmp_path / "again.stagewise"
    other = tmp_path / "other.stagewise"
    generate_demo(again, "small", 11, today=TODAY)
    generate_demo(other, "small", 12, today=TODAY)
    assert _fingerprint(again) == _fingerprint(summary.path)
    assert _fingerprint(other) != _fingerprint(summary.path)


def test_cli_demo_prints_the_secrets_and_passes_stagewise_verify(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cli.stagewise"
    assert cli_main(["demo", str(path), "--size", "small", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert DEMO_PASSPHRASE in out
    assert "demo.admin" in out
    assert path.exists()
    assert cli_main(["demo", str(path), "--size", "small"]) == 2  # never overwrites
    capsys.readouterr()
    # What an administrator would run: the generated practice verifies (audit chain, note chains, pages).
    monkeypatch.setattr("sys.stdin", io.StringIO(DEMO_PASSPHRASE + "\n"))
    assert cli_main(["verify", str(path), "--passphrase-stdin"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("Verification passed.")


def _plain_prose(text: str) -> str:
    """The summary's sentences: pdftotext lines rejoined where a sentence wraps; headings, table cells
    and chart labels (lines that are not sentences) are left out, so they neither help nor hurt."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    joined: list[str] = []
    for line in lines:
        if joined and not re.search(r"[.!?:]$", joined[-1]) and line[:1].islower():
            joined[-1] += " " + line
        else:
            joined.append(line)
    return " ".join(s for s in joined if s.endswith(".") and len(s.split()) >= 6)


def test_the_client_summary_is_plain_all_the_way_through(
    demo: tuple[DemoSummary, store.Practice], tmp_path: Path
) -> None:
    textstat = pytest.importorskip("textstat")
    from stagewise.core.instruments.loader import load_library
    from stagewise.core.reports.client_summary import Audience, write_client_summary
    from stagewise.core.stages.interventions import InterventionModel, load_interventions
    from tests.core.reports.report_pdf import flat, pdf_pages

    summary, practice = demo
    out = tmp_path / "client.pdf"
    with practice.session_factory.begin() as s:
        write_client_summary(
            s, summary.heaviest_client_id, out, actor=_clinician(summary), audience=Audience.CLIENT, end=TODAY
        )
    pages = pdf_pages(out)
    raw = "\n".join(pages)
    text = flat(raw)
    assert "Things we agreed to try" in text  # the heaviest chart has agreed interventions ...
    library = load_interventions()
    for entry in library.entries:  # ... named in plain words, never by a model's process names
        if entry.model is InterventionModel.TTM:
            assert entry.title not in text
    assert any(e.client_wording and e.client_wording in text for e in library.entries)
    charts = [chart for form in load_library().forms for chart in form.charts]
    for spec_list in (charts,):  # no subscale numbers, bands or published cut-offs
        for spec in spec_list:
            for _name, label in spec.scores:
                assert not re.search(rf"\b{re.escape(label)}\b\W{{0,3}}\d", text), label
            for band in spec.bands:
                assert band.label not in text
            if spec.note:
                assert spec.note not in text
    for word in ("cut-off", "cutoff", "et al", "doi", "http", "Precontemplation", "recycling)"):
        assert word.lower() not in text.lower(), word
    assert not re.search(r"\(\D*(19|20)\d\d\)|\b(19|20)\d\d\)", text)  # no citation "(Author 2001)"
    prose = _plain_prose(raw)
    assert len(prose.split()) > 60
    grade = textstat.flesch_kincaid_grade(prose)
    assert grade <= 8, f"Flesch–Kincaid grade {grade}"
    whole = textstat.flesch_kincaid_grade(" ".join(f"{line}." for line in raw.splitlines() if line.strip()))
    assert whole <= 8, f"Flesch–Kincaid grade {whole} (every line)"


def test_the_heaviest_chart_with_notes_prints_within_fifteen_pages(
    demo: tuple[DemoSummary, store.Practice],
) -> None:
    from stagewise.core.reports.client_summary import write_client_summary

    summary, practice = demo
    with practice.session_factory.begin() as s:
        rendered = write_client_summary(
            s,
            summary.heaviest_client_id,
            io.BytesIO(),
            actor=_clinician(summary),
            include_notes=True,
            end=TODAY,
        )
    assert rendered.pages <= 15
