"""The intervention library: shipped content, validation, practice additions and suggestions."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from stagewise.core.errors import FormError
from stagewise.core.models import Stage
from stagewise.core.stages.interventions import (
    InterventionFileError,
    InterventionModel,
    UnknownInterventionError,
    load_interventions,
    parse_library_file,
    shipped_interventions_dir,
)

PC, C, P, A, M = (
    Stage.PRECONTEMPLATION,
    Stage.CONTEMPLATION,
    Stage.PREPARATION,
    Stage.ACTION,
    Stage.MAINTENANCE,
)
HEADER = 'schema = "stagewise-interventions/1"\n'


@pytest.fixture(scope="module")
def library():  # type: ignore[no-untyped-def]
    return load_interventions(extra_dirs=[Path("/nonexistent-practice-folder")])


def test_every_shipped_entry_validates_and_cites_a_source(library) -> None:  # type: ignore[no-untyped-def]
    assert 30 <= len(library.entries) <= 45
    assert len(set(library.ids)) == len(library.ids)
    for e in library.entries:
        assert len(e.source.strip()) > 20, e.id
        assert all((e.title, e.summary, e.rationale)), e.id
        assert e.verified or (e.notes and "UNVERIFIED" in e.notes), e.id
        assert e.origin == "shipped"
    assert {e.model for e in library.entries} == set(InterventionModel)


def test_each_shipped_file_parses_on_its_own() -> None:
    files = sorted(shipped_interventions_dir().glob("*.toml"))
    assert [f.name for f in files] == [
        "mi-tip35.toml",
        "recovery-capital.toml",
        "smart-recovery.toml",
        "ttm-processes.toml",
    ]
    for f in files:
        assert parse_library_file(f).entries


# docs/interventions.md: stage → process emphasis (Prochaska et al. 1992, secondary summaries).
TTM_GOLDEN = {
    "ttm.consciousness-raising": (PC, "precontemplation→contemplation"),
    "ttm.dramatic-relief": (PC, "precontemplation→contemplation"),
    "ttm.environmental-reevaluation": (PC, "precontemplation→contemplation"),
    "ttm.self-reevaluation": (C, "contemplation→preparation"),
    "ttm.self-liberation": (P, "preparation→action"),
    "ttm.helping-relationships": (A, "action→maintenance"),
    "ttm.counterconditioning": (A, "action→maintenance"),
    "ttm.contingency-management": (A, "action→maintenance"),
    "ttm.stimulus-control": (A, "action→maintenance"),
}


def test_ttm_processes_follow_the_reference_mapping(library) -> None:  # type: ignore[no-untyped-def]
    for entry_id, (stage, transition) in TTM_GOLDEN.items():
        entry = library.get(entry_id)
        assert entry.model is InterventionModel.TTM
        assert entry.stages[0] is stage
        assert entry.transition == transition
    social = library.get("ttm.social-liberation")
    assert not social.stage_specific
    assert not social.verified
    ttm_ids = {e.id for e in library.entries if e.model is InterventionModel.TTM}
    assert ttm_ids == {*TTM_GOLDEN, "ttm.social-liberation"}


def test_mi_entries_cover_every_transition_and_recycling(library) -> None:  # type: ignore[no-untyped-def]
    mi = [e for e in library.entries if e.model is InterventionModel.MI]
    transitions = {e.transition for e in mi}
    assert {
        "precontemplation→contemplation",
        "contemplation→preparation",
        "preparation→action",
        "action→maintenance",
        "recycling",
    } <= transitions
    assert all("TIP" in e.source and "35" in e.source for e in mi)


def test_smart_tools_are_described_cited_and_never_reproduced(library) -> None:  # type: ignore[no-untyped-def]
    smart = {e.id: e for e in library.entries if e.model is InterventionModel.SMART}
    assert set(smart) == {
        "smart.cost-benefit-analysis",
        "smart.hierarchy-of-values",
        "smart.change-plan",
        "smart.deads",
        "smart.abc-urges",
        "smart.urge-log",
        "smart.lifestyle-balance",
    }
    for e in smart.values():
        assert e.notice
        assert "copyrighted" in e.notice
        assert "smartrecovery.org" in e.notice
        assert "SMART Recovery" in e.source
    # The only tool–stage link SMART states (docs/interventions.md) is the CBA's; the rest are inferences.
    assert smart["smart.cost-benefit-analysis"].verified
    assert smart["smart.cost-benefit-analysis"].stages == (PC, C)
    assert all(not e.verified for k, e in smart.items() if k != "smart.cost-benefit-analysis")
    # Worksheet headings (SMART Recovery, for orientation only) must not appear in the shipped text.
    text = (shipped_interventions_dir() / "smart-recovery.toml").read_text(encoding="utf-8")
    for heading in (
        "The Changes I want to Make are",
        "The most important reasons why I want to make these changes are",
        "The ways others can help me are",
        "What do I enjoy about my addiction",
    ):
        assert heading.lower() not in " ".join(text.split()).lower()


def test_recovery_capital_entries_are_practice_guidance(library) -> None:  # type: ignore[no-untyped-def]
    rc = [e for e in library.entries if e.model is InterventionModel.RECOVERY_CAPITAL]
    assert len(rc) == 10
    for e in rc:
        assert "Vilsaint" in e.source
        assert not e.verified
        assert e.notes
        assert "unidimensional" in e.notes


def test_suggest_matches_stage_and_filters_by_model(library) -> None:  # type: ignore[no-untyped-def]
    pc = library.suggest(PC)
    ids = [e.id for e in pc]
    assert "ttm.consciousness-raising" in ids
    assert "smart.cost-benefit-analysis" in ids
    assert "ttm.stimulus-control" not in ids
    assert all(PC in e.stages for e in pc)
    models = [e.model for e in pc]
    assert models == sorted(models, key=list(InterventionModel).index)  # TTM, MI, SMART, recovery capital
    only_smart = library.suggest(PC, models=[InterventionModel.SMART])
    assert [e.id for e in only_smart] == ["smart.cost-benefit-analysis"]
    two = library.suggest(A, models={InterventionModel.TTM, InterventionModel.RECOVERY_CAPITAL})
    assert {e.model for e in two} == {InterventionModel.TTM, InterventionModel.RECOVERY_CAPITAL}


def test_recycling_and_general_entries_are_offered_only_when_asked(library) -> None:  # type: ignore[no-untyped-def]
    plain = {e.id for e in library.suggest(C)}
    after_move_back = {e.id for e in library.suggest(C, recycling=True)}
    assert after_move_back - plain == {"mi.recycling-renew"}
    assert "ttm.social-liberation" not in plain
    assert "ttm.social-liberation" in {e.id for e in library.suggest(C, include_general=True)}
    assert "mi.recycling-renew" not in {e.id for e in library.suggest(M, recycling=True)}


def test_unknown_id_is_a_clear_error(library) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownInterventionError, match="no intervention 'nope'"):
        library.get("nope")


def _write(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


PRACTICE_ENTRY = """
[[intervention]]
id = "harbour.walking-group"
title = "Harbour walking group"
model = "recovery_capital"
stages = ["action", "maintenance"]
summary = "Invite the client to the Tuesday walking group."
rationale = "Meaningful activity and social support in one."
source = "Harbour Counselling practice protocol, 2026."
"""


def test_a_practice_file_adds_replaces_and_disables_entries(tmp_path: Path) -> None:
    folder = tmp_path / "practice-lib"
    _write(
        folder,
        "ours.toml",
        HEADER
        + 'disabled = ["smart.deads", "not.an-entry"]\n'
        + PRACTICE_ENTRY
        + """
[[intervention]]
id = "ttm.stimulus-control"
title = "Stimulus control (our wording)"
model = "ttm"
stages = ["action"]
summary = "Our own wording."
rationale = "Ours."
source = "Prochaska et al. 1992."
""",
    )
    lib = load_interventions([folder])
    added = lib.get("harbour.walking-group")
    assert added.origin == "ours.toml"
    assert added.model is InterventionModel.RECOVERY_CAPITAL
    assert lib.get("ttm.stimulus-control").title == "Stimulus control (our wording)"
    assert "smart.deads" not in lib.ids
    assert "smart.deads" not in {e.id for e in lib.suggest(A)}
    with pytest.raises(UnknownInterventionError, match="disabled"):
        lib.get("smart.deads")
    assert "harbour.walking-group" in {e.id for e in lib.suggest(M)}


def test_the_practice_folder_under_the_data_dir_is_read_by_default() -> None:
    home = Path(os.environ["STAGEWISE_HOME"])  # set per test by conftest
    _write(home / "data" / "forms" / "interventions", "extra.toml", HEADER + PRACTICE_ENTRY)
    assert "harbour.walking-group" in load_interventions().ids


@pytest.mark.parametrize(
    ("body", "where", "reason"),
    [
        (
            HEADER + PRACTICE_ENTRY.replace('["action", "maintenance"]', '["action", "thinking"]'),
            "intervention[1].stages[2]",
            "'thinking' is not one of",
        ),
        (
            HEADER + PRACTICE_ENTRY.replace('source = "Harbour', 'xsource = "Harbour'),
            "intervention[1].xsource",
            "unknown field",
        ),
        (
            HEADER + PRACTICE_ENTRY.replace('source = "Harbour Counselling practice protocol, 2026."\n', ""),
            "intervention[1].source",
            "cites a source",
        ),
        (
            HEADER + PRACTICE_ENTRY.replace('model = "recovery_capital"', 'model = "cbt"'),
            "intervention[1].model",
            "'cbt'",
        ),
        (
            HEADER + PRACTICE_ENTRY.replace("harbour.walking-group", "Bad Id!"),
            "intervention[1].id",
            "ids are",
        ),
        (
            HEADER + PRACTICE_ENTRY + "verified = false\n",
            "intervention[1].notes",
            "unverified entry needs notes",
        ),
        (
            HEADER + PRACTICE_ENTRY + 'transition = "action to maintenance"\n',
            "intervention[1].transition",
            "a transition is",
        ),
        (HEADER + PRACTICE_ENTRY + PRACTICE_ENTRY, "intervention[2].id", "used twice"),
        ('schema = "other/9"\n', "schema", "reads schema"),
        (HEADER + "[[intervention]\n", "$", "not valid TOML"),
    ],
)
def test_malformed_files_name_file_field_and_reason(
    tmp_path: Path, body: str, where: str, reason: str
) -> None:
    folder = tmp_path / "bad"
    _write(folder, "broken.toml", body)
    with pytest.raises(FormError) as info:
        load_interventions([folder])
    assert isinstance(info.value, InterventionFileError)
    message = str(info.value)
    assert message.startswith(f"broken.toml: {where}"), message
    assert reason in message, message


def test_the_same_id_in_two_practice_files_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "dup"
    _write(folder, "a.toml", HEADER + PRACTICE_ENTRY)
    _write(folder, "b.toml", HEADER + PRACTICE_ENTRY)
    with pytest.raises(
        InterventionFileError, match=r"b\.toml: intervention\[1\]\.id: .* already used in a\.toml"
    ):
        load_interventions([folder])


def test_transition_arrows_are_normalised(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.toml", HEADER + PRACTICE_ENTRY + 'transition = "action -> maintenance"\n')
    (entry,) = parse_library_file(path).entries
    assert entry.transition == "action→maintenance"
    assert re.fullmatch(r"\w+→\w+", entry.transition)
    assert entry.to_json()["stages"] == ["action", "maintenance"]


def test_every_shipped_entry_has_plain_client_wording(library) -> None:  # type: ignore[no-untyped-def]
    textstat = pytest.importorskip("textstat")
    models = ("TTM", "SMART", "MI ", "OARS", "recovery capital", "(", "Recycling")
    for entry in library.entries:
        wording = entry.client_wording
        assert wording, f"{entry.id} has no client_wording"
        assert wording != entry.title
        assert not any(m.lower() in wording.lower() for m in models), entry.id
        assert len(wording) <= 90, entry.id  # one line in the client's table
    every = " ".join(f"{e.client_wording}." for e in library.entries)
    assert textstat.flesch_kincaid_grade(every) <= 8
