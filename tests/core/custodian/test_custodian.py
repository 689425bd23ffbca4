"""The custodian package: written from a fresh verified backup, opened with the recovery key only."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select

from stagewise.core.audit import trail as audit
from stagewise.core.custodian import package as custodian
from stagewise.core.errors import NotAPracticeFileError, UserInputError, WrongKeyError
from stagewise.core.models import AuditEvent, MaintenanceLog
from stagewise.core.storage import store, verify
from tests.conftest import PASSPHRASE
from tests.core.administrations.test_administrations_helpers import World, add_client
from tests.core.interchange.test_fhir_bundle import populated  # noqa: F401  (fixture)

CUSTODIAN = "Dr Morgan Ashby, 07700 900123"


@pytest.fixture
def recovery(practice: store.Practice) -> str:
    """Replace the practice's recovery key with a known one (the fixture does not keep the first)."""
    return store.new_recovery_key(practice.path, practice.key)


@pytest.fixture
def package(practice: store.Practice, populated: World, recovery: str, tmp_path: Path) -> Path:  # noqa: F811
    with practice.session_factory.begin() as s:
        add_client(s, "C-002")
    out = tmp_path / "out" / "harbour.stagewise-custodian"
    info = custodian.write_package(practice, out, custodian=CUSTODIAN, actor="admin")
    assert info.path == out
    assert info.clients == 2
    assert info.instructions == tmp_path / "out" / "harbour-instructions.pdf"
    return out


def _pdftotext(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_round_trip_with_the_recovery_key(
    practice: store.Practice, package: Path, recovery: str, tmp_path: Path
) -> None:
    opened = custodian.open_package(package, tmp_path / "Records", recovery_key=recovery.lower())
    assert opened.practice_id == practice.practice_id
    assert opened.practice_name == "Harbour Counselling"
    folder = tmp_path / "Records"
    if os.name == "posix":  # plaintext client data: this account only
        assert stat.S_IMODE((folder / "summaries/C-001.pdf").stat().st_mode) == 0o600
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert sorted(opened.files) == sorted(
        [
            "practice/practice.stagewise",
            "practice/practice.stagewise.keys",
            "fhir/practice-bundle.json",
            "summaries/C-001.pdf",
            "summaries/C-002.pdf",
            "README.txt",
            "manifest.json",
        ]
    )
    # The practice inside opens with the recovery key alone (no keyring, no passphrase) and verifies.
    unlocked = store.unlock_key(opened.practice_file, recovery_key=recovery, use_keyring=False)
    with store.open_practice(opened.practice_file, unlocked.key) as copy:
        report = verify.verify_practice(copy)
        assert report.ok, report.problems
        assert report.counts["client"] == 2
    # A new passphrase can be set with the recovery key.
    store.change_passphrase(opened.practice_file, unlocked.key, "Copper-Lantern-Meadow-88")
    assert store.unlock_key(opened.practice_file, passphrase="Copper-Lantern-Meadow-88").key == unlocked.key
    # Summaries: one per client, with the chart number in the text.
    assert "C-001" in _pdftotext(folder / "summaries/C-001.pdf")
    assert "C-002" in _pdftotext(folder / "summaries/C-002.pdf")
    bundle = json.loads((folder / "fhir/practice-bundle.json").read_text(encoding="utf-8"))
    Bundle.model_validate(bundle)
    charts = {
        e["resource"]["identifier"][0]["value"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Patient"
    }
    assert charts == {"C-001", "C-002"}
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["clients"] == 2
    assert len(manifest["files"]) == 5
    # Audited and recorded in the maintenance log; the audit chain still verifies.
    with practice.session_factory() as s:
        rows = s.execute(select(MaintenanceLog).where(MaintenanceLog.kind == "custodian")).scalars().all()
        assert [(r.ok, r.target) for r in rows] == [(True, package.name)]
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "custodian")).scalar_one()
        assert event.username == "admin"
        assert event.entity_id == practice.practice_id
        assert audit.verify_chain(s).ok


def test_the_passphrase_also_opens_it(package: Path, tmp_path: Path) -> None:
    opened = custodian.open_package(package, tmp_path / "mine", passphrase=PASSPHRASE)
    assert opened.practice_file.is_file()


def test_wrong_recovery_key_is_refused(package: Path, tmp_path: Path) -> None:
    other = "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567"
    with pytest.raises(WrongKeyError, match="recovery key is not correct"):
        custodian.open_package(package, tmp_path / "Records", recovery_key=other)
    with pytest.raises(WrongKeyError, match="not a recovery key"):
        custodian.open_package(package, tmp_path / "Records", recovery_key="hello")
    assert list(tmp_path.glob("*Records*")) == []


@pytest.mark.parametrize("where", ["header", "early", "middle", "last"])
def test_a_changed_byte_is_refused_and_nothing_is_written(
    package: Path, recovery: str, tmp_path: Path, where: str
) -> None:
    data = bytearray(package.read_bytes())
    with open(package, "rb") as fh:
        header_end = len(custodian.MAGIC) + 4 + len(custodian.read_header(fh).raw)
    offset = {
        "header": header_end - 20,
        "early": header_end + 100,
        "middle": (header_end + len(data)) // 2,
        "last": len(data) - 3,
    }[where]
    data[offset] ^= 0x01
    package.write_bytes(bytes(data))
    with pytest.raises((custodian.TamperedPackageError, NotAPracticeFileError, WrongKeyError)) as exc:
        custodian.open_package(package, tmp_path / "Records", recovery_key=recovery)
    if where != "header":
        assert isinstance(exc.value, custodian.TamperedPackageError)
        assert "changed or damaged" in str(exc.value)
    assert [p.name for p in tmp_path.iterdir() if "Records" in p.name] == []


def test_a_truncated_package_is_refused(package: Path, recovery: str, tmp_path: Path) -> None:
    data = package.read_bytes()
    package.write_bytes(data[: len(data) - 40])
    with pytest.raises(custodian.TamperedPackageError):
        custodian.open_package(package, tmp_path / "Records", recovery_key=recovery)
    assert not (tmp_path / "Records").exists()


def test_instruction_sheet_has_no_client_data(practice: store.Practice, package: Path) -> None:
    text = _pdftotext(custodian.instructions_path(package))
    assert "Dr Morgan Ashby" in text
    assert "Harbour Counselling" in text
    assert "custodian-open" in text
    assert "recovery key" in text.lower()
    for secret in ("Alex", "Example", "C-001", "C-002", "1980"):
        assert secret not in text
    # Nor does the package's clear-text header (it is readable without a key).
    header = custodian.package_header(package)
    assert header.custodian == CUSTODIAN
    raw = package.read_bytes()
    for secret in (b"Alex", b"Example", b"C-001"):
        assert secret not in raw


def test_refuses_existing_files_and_missing_custodian(package: Path, practice: store.Practice) -> None:
    with pytest.raises(UserInputError, match="already exists"):
        custodian.write_package(practice, package, custodian=CUSTODIAN, actor=None)
    with pytest.raises(UserInputError, match="Name the custodian"):
        custodian.write_package(practice, package.with_name("other.x"), custodian="  ", actor=None)
    assert not package.with_name("other.x").exists()


def test_open_refuses_a_non_package_and_a_full_folder(package: Path, recovery: str, tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a package at all" * 10)
    with pytest.raises(NotAPracticeFileError):
        custodian.open_package(junk, tmp_path / "x", recovery_key=recovery)
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    with pytest.raises(UserInputError, match="not empty"):
        custodian.open_package(package, full, recovery_key=recovery)
    assert (full / "keep.txt").read_text() == "mine"


def test_multi_chunk_stream(
    monkeypatch: pytest.MonkeyPatch, practice: store.Practice, recovery: str, tmp_path: Path
) -> None:
    monkeypatch.setattr(custodian, "CHUNK_SIZE", 4096)
    out = tmp_path / "small-chunks.pkg"
    custodian.write_package(practice, out, custodian=CUSTODIAN, actor=None)
    opened = custodian.open_package(out, tmp_path / "R", recovery_key=recovery)
    assert opened.practice_file.stat().st_size > 4096


def test_cli_round_trip(
    practice: store.Practice,
    populated: World,  # noqa: F811
    recovery: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import io

    from stagewise import cli

    practice.close()
    out = tmp_path / "pkg.stagewise-custodian"
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSPHRASE + "\n"))
    argv = [
        "custodian",
        str(practice.path),
        "--out",
        str(out),
        "--custodian",
        CUSTODIAN,
        "--passphrase-stdin",
    ]
    assert cli.main(argv) == 0
    assert "instruction sheet" in capsys.readouterr().out
    assert (tmp_path / "pkg-instructions.pdf").is_file()
    # A wrong recovery key: exit 2, one clear line, nothing unpacked.
    monkeypatch.setattr("sys.stdin", io.StringIO("ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567\n"))
    open_argv = ["custodian-open", str(out), "--out", str(tmp_path / "R"), "--passphrase-stdin"]
    assert cli.main(open_argv) == 2
    assert "recovery key is not correct" in capsys.readouterr().err
    assert not (tmp_path / "R").exists()
    monkeypatch.setattr("sys.stdin", io.StringIO(recovery + "\n"))
    assert cli.main(open_argv) == 0
    assert "Unpacked 6 files" in capsys.readouterr().out
    assert (tmp_path / "R" / "practice" / "practice.stagewise").is_file()


def test_a_failed_write_leaves_nothing_and_is_logged(practice: store.Practice, tmp_path: Path) -> None:
    from stagewise.core.errors import DiskError

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file")
    out = blocker / "pkg.stagewise-custodian"
    with pytest.raises(DiskError, match="could not be written"):
        custodian.write_package(practice, out, custodian=CUSTODIAN, actor="admin")
    assert [p for p in tmp_path.rglob("*") if "pkg" in p.name or "partial" in p.name] == []
    with practice.session_factory() as s:
        row = s.execute(select(MaintenanceLog).where(MaintenanceLog.kind == "custodian")).scalar_one()
        assert not row.ok
        assert row.message
