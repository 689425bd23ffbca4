"""The shipped forms library: contract checks over every file, and the Form / Library API."""

from __future__ import annotations

import hashlib
import itertools
import re
import shutil
from pathlib import Path

import pytest

from stagewise.core.errors import FormError, UserInputError
from stagewise.core.instruments import (
    Form,
    LicenceStatus,
    instrument_files,
    load_form,
    load_library,
    practice_forms_dir,
    shipped_instruments_dir,
)
from stagewise.core.paths import AppPaths

EXPECTED_IDS = (
    "urica-32",
    "socrates-8a",
    "socrates-8d",
    "rcq-12",
    "readiness-ruler",
    "contemplation-ladder",
    "barc-10",
    "phq-9",
    "gad-7",
    "audit",
    "audit-c",
    "dast-10",
)
SHIPPED = [load_form(p) for p in instrument_files([shipped_instruments_dir()])]


def test_library_ships_every_instrument_readiness_first() -> None:
    assert load_library().ids == EXPECTED_IDS


@pytest.mark.parametrize("form", SHIPPED, ids=[f.id for f in SHIPPED])
def test_bands_and_norms_cover_the_score_range_without_gaps_or_overlaps(form: Form) -> None:
    """Independent of the loader: enumerate every reachable whole-number score and count its bands."""
    for band_set in form.bands:
        lo, hi = form.score_range(band_set.score)
        assert lo.is_integer()
        assert hi.is_integer()
        for value in range(int(lo), int(hi) + 1):
            holders = [b for b in band_set.bands if b.min <= value <= b.max]
            assert len(holders) == 1, (form.id, band_set.score, band_set.variant, value, holders)
            assert band_set.lookup(value) == holders[0]
        assert min(b.min for b in band_set.bands) == lo
        assert max(b.max for b in band_set.bands) == hi
    for table in form.norms:
        lo, hi = form.score_range(table.score)
        for value in range(int(lo), int(hi) + 1):
            assert len([r for r in table.rows if r.min <= value <= r.max]) == 1, (
                form.id,
                table.output,
                value,
            )


@pytest.mark.parametrize("form", SHIPPED, ids=[f.id for f in SHIPPED])
def test_every_file_is_documented_and_traceable(form: Form) -> None:
    assert form.citation
    # Screens show only the author–year form, never a file name or a section sign.
    assert re.fullmatch(r"[A-Z][\w’'-]+( & [A-Z][\w’'-]+| et al\.)? (19|20)\d\d", form.citation_short)
    assert (Path(__file__).parents[3] / "docs" / "instruments" / f"{form.id}.md").is_file()
    assert form.licence.attribution
    assert form.licence.source
    assert form.sha256 == hashlib.sha256(form.path.read_bytes()).hexdigest()
    assert form.source_text == form.path.read_text(encoding="utf-8")
    assert [it.number for it in form.items] == list(range(1, len(form.items) + 1))
    if form.scoring_unverified:
        assert form.unverified
    for band_set in form.bands:
        assert band_set.source


@pytest.mark.parametrize(
    ("form_id", "n_items", "status", "commercial"),
    [
        ("urica-32", 32, LicenceStatus.PUBLIC_DOMAIN, True),
        ("socrates-8a", 19, LicenceStatus.PUBLIC_DOMAIN, None),
        ("socrates-8d", 19, LicenceStatus.PUBLIC_DOMAIN, None),
        ("rcq-12", 12, LicenceStatus.PERMISSION_UNVERIFIED, None),
        ("readiness-ruler", 3, LicenceStatus.PUBLIC_DOMAIN, True),
        ("contemplation-ladder", 1, LicenceStatus.PERMISSION_UNVERIFIED, None),
        ("barc-10", 10, LicenceStatus.FREE_WITH_ATTRIBUTION, None),
        ("phq-9", 10, LicenceStatus.PUBLIC_DOMAIN, True),
        ("gad-7", 7, LicenceStatus.PUBLIC_DOMAIN, True),
        ("audit", 10, LicenceStatus.NON_COMMERCIAL, False),
        ("audit-c", 3, LicenceStatus.PERMISSION_UNVERIFIED, None),
        ("dast-10", 10, LicenceStatus.NON_COMMERCIAL, False),
    ],
)
def test_items_and_licences_as_documented(  # docs/instruments/<id>.md, "Licence"
    form_id: str, n_items: int, status: LicenceStatus, commercial: bool | None
) -> None:
    form = load_library().get(form_id)
    assert len(form.items) == n_items
    assert form.licence.status is status
    assert form.licence.commercial_use_allowed is commercial


def test_verbatim_spot_checks() -> None:
    lib = load_library()
    assert lib.get("urica-32").item_text("11").startswith("Being here is pretty much a waste of time")
    assert lib.get("urica-32").item_text("15").endswith("I should work at it.")
    assert lib.get("socrates-8d").item_text("17") == "I am a drug addict."
    assert lib.get("rcq-12").item_text("12") == "Drinking less alcohol would be pointless for me."
    assert lib.get("barc-10").item_text("2") == "In general, I am happy with my life."
    assert lib.get("dast-10").item_text("3") == "Are you always able to stop using drugs when you want to?"
    assert lib.get("gad-7").item_text("7") == "Feeling afraid as if something awful might happen"
    assert any("Rhode Island" in note for note in lib.get("urica-32").wording_notes)


def test_scoring_keys_match_the_documented_key() -> None:
    urica = load_library().get("urica-32")
    keys = {s.name: s.items for s in urica.scores}
    assert keys["action"] == ("3", "7", "10", "14", "17", "25", "30")
    scored = set(itertools.chain.from_iterable(keys.values()))
    assert len(scored) == 28
    assert {it.id for it in urica.items if not it.scored} == {"4", "9", "20", "31"}
    dast = load_library().get("dast-10")
    assert dast.scores[0].reverse == frozenset({"3"})


def test_unverified_is_exposed_never_hidden() -> None:
    lib = load_library()
    assert lib.get("rcq-12").scoring_unverified
    assert any("UNVERIFIED" in n for n in lib.get("rcq-12").unverified)
    assert lib.get("barc-10").scoring_unverified
    habits = lib.get("urica-32").stage.rule("habits_lab_cutoffs")  # type: ignore[union-attr]
    assert habits.unverified
    assert not lib.get("phq-9").scoring_unverified


def test_loinc_codes_where_a_source_gives_them() -> None:
    lib = load_library()
    phq = lib.get("phq-9")
    assert (phq.loinc.panel, phq.loinc.total) == ("44249-1", "44261-6")
    assert phq.item("1").loinc == "44250-9"
    assert phq.item("9").loinc == "44260-8"
    assert lib.get("gad-7").loinc.panel == "69737-5"
    assert lib.get("audit-c").loinc.panel == "72109-2"
    assert lib.get("audit").loinc.panel == "72110-0"
    assert "72110-0" in lib.get("audit").loinc.third_party_only
    # 44261-6 (total) and LA6573-5 (item 10 answer) appear in official HL7 US Core examples.
    assert not {"44261-6", "LA6573-5"} & set(phq.loinc.third_party_only)
    assert "LA6571-9" in phq.loinc.third_party_only
    assert lib.get("dast-10").loinc.panel == "82666-9"
    assert lib.get("urica-32").loinc.panel is None


def test_item_text_fills_the_behaviour_placeholder() -> None:
    ruler = load_library().get("readiness-ruler")
    assert ruler.item_text("1", "your drinking") == "How important is it for you to change your drinking?"
    assert ruler.item_text("1") == "How important is it for you to change this behaviour?"
    assert ruler.item_text("1", "   ") == ruler.item_text("1")
    assert "{behaviour}" not in ruler.item_text("2", None)
    assert ruler.fill("change [the behaviour] now", "gambling") == "change gambling now"


def test_allowed_values_and_score_range() -> None:
    audit = load_library().get("audit")
    assert audit.allowed_values("9") == (0, 2, 4)
    assert audit.allowed_values("1") == (0, 1, 2, 3, 4)
    assert audit.score_range("total") == (0, 40)
    assert load_library().get("socrates-8a").score_range("taking_steps_decile") == (10, 90)
    with pytest.raises(UserInputError, match="no score 'bogus'"):
        audit.score_range("bogus")
    with pytest.raises(UserInputError, match="no item '11'"):
        audit.item("11")


def test_unknown_instrument_lists_the_known_ones() -> None:
    with pytest.raises(UserInputError, match="unknown instrument 'x'; known: urica-32, socrates-8a"):
        load_library().get("x")
    with pytest.raises(UserInputError, match=r"no version '9\.9'; available: 1\.0\.0"):
        load_library().get("phq-9", "9.9")


def test_library_is_cached_until_a_file_changes(tmp_path: Path) -> None:
    assert load_library() is load_library()
    folder = tmp_path / "practice"
    folder.mkdir()
    first = load_library([folder])
    shutil.copy(shipped_instruments_dir() / "gad-7.toml", folder / "gad-7-local.toml")
    text = (folder / "gad-7-local.toml").read_text(encoding="utf-8")
    (folder / "gad-7-local.toml").write_text(text.replace('version = "1.0.0"', 'version = "1.2.0"', 1))
    second = load_library([folder])
    assert second is not first
    assert second.get("gad-7").version == "1.2.0"  # the newest version is the default
    assert second.get("gad-7", "1.0.0").path.parent == shipped_instruments_dir()
    assert [f.id for f in second.forms].count("gad-7") == 1
    assert len(second.all_versions) == len(first.all_versions) + 1


def test_same_id_and_version_in_a_practice_folder_is_skipped(tmp_path: Path) -> None:
    paths = AppPaths.resolve(tmp_path / "home")
    folder = practice_forms_dir(paths)
    folder.mkdir(parents=True)
    shutil.copy(shipped_instruments_dir() / "phq-9.toml", folder / "my-phq.toml")
    library = load_library([folder])
    (problem,) = library.skipped
    assert re.search(r"'phq-9' version 1\.0\.0 is already defined", str(problem))
    assert library.get("phq-9").path.parent == shipped_instruments_dir()


def test_a_broken_practice_file_names_itself_and_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text('id = "broken"\n', encoding="utf-8")
    library = load_library([tmp_path])
    (problem,) = library.skipped
    assert str(problem).startswith("broken.toml: version: this field is required")
    assert library.ids == load_library().ids  # every shipped instrument still works


def test_missing_file_is_a_form_error(tmp_path: Path) -> None:
    with pytest.raises(FormError, match="cannot be read"):
        load_form(tmp_path / "nope.toml")


def test_a_file_from_before_citation_short_still_loads_and_shows_author_year(tmp_path: Path) -> None:
    # Practice snapshots written by earlier versions carry `reference` and no `citation_short`.
    text = (shipped_instruments_dir() / "gad-7.toml").read_text(encoding="utf-8")
    text = text.replace('citation_short = "Spitzer et al. 2006"', 'reference = "an old pointer"')
    (tmp_path / "old-gad-7.toml").write_text(text, encoding="utf-8")
    form = load_form(tmp_path / "old-gad-7.toml")
    assert form.citation_short == "Spitzer et al. 2006"
    assert not hasattr(form, "reference")


FILE_POINTER = re.compile(r"§|REFERENCE|\.md\b|\.py\b|\.rst\b|\.xml\b|\.html?\b|/work/")


@pytest.mark.parametrize("form", SHIPPED, ids=[f.id for f in SHIPPED])
def test_nothing_a_clinician_reads_points_to_a_file_or_a_section(form: Form) -> None:
    lic = form.licence
    shown = [form.title, form.citation_short, form.instructions, form.client_instructions]
    shown += [form.no_stage_note or "", *form.result_notes, *form.caveats()]
    shown += [lic.attribution, lic.source, lic.note or ""]
    shown += [it.text for it in form.items] + [it.note or "" for it in form.items]
    shown += [it.flag.message for it in form.items if it.flag]
    shown += [b.source for b in form.bands] + [r.label for b in form.bands for r in b.bands]
    shown += [r.message or "" for b in form.bands for r in b.bands]
    shown += [n.source for n in form.norms] + [n.population for n in form.norms]
    shown += [s.missing.description for s in form.scores if s.missing]
    shown += [r.description for r in form.stage.rules] if form.stage else []
    assert [s for s in shown if FILE_POINTER.search(s)] == []


def test_no_intervention_text_points_to_a_file_or_a_section() -> None:
    from stagewise.core.stages.interventions import parse_library_file, shipped_interventions_dir

    files = sorted(shipped_interventions_dir().glob("*.toml"))
    entries = [e for f in files for e in parse_library_file(f).entries]
    assert entries
    for e in entries:
        shown = [e.title, e.summary, e.rationale, e.citation_short, e.notes or "", e.notice or ""]
        assert [s for s in shown if FILE_POINTER.search(s)] == [], e.id
        assert len(e.citation_short) <= 40, e.id  # author–year, not the full reference
