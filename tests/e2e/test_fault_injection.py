"""Fault injection: the error contract holds for every command that writes.

Each command runs in-process (``cli.main``) against a practice in trouble: on a read-only disk, as a
read-only file, on a full disk, with a folder where a file should be, locked by another writer, or
interrupted at each step of ``rotate-key``, ``restore`` and ``backup``.  Every run must end with exit 2
and one line naming the file and the fix (never a traceback), or succeed, and leave a practice that
opens with its passphrase, passes ``verify`` and holds the same records as before.

Read-only and full disks are real: a small tmpfs (remounted read-only) and ``chattr +i`` (the tests run
as root, which ignores permission bits).  Where mounting is not permitted those tests are skipped; the
injected ``ENOSPC`` and interruption tests run everywhere.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from stagewise import cli
from stagewise.core.storage import backup, keys, rawdb, snapshot, store, verify
from tests.conftest import ADMIN_PASSWORD, PASSPHRASE
from tests.core.administrations.test_administrations_helpers import add_client, add_focus, add_user

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NEW_PASSPHRASE = "Copper-Meadow-Falcon-81"
CHANGING = ("audit_event", "maintenance_log")  # a refused backup or drill is itself logged


# --------------------------------------------------------------------------------------------------------
# The world: a practice with one client, a good backup, input files, and an output folder


@dataclass
class World:
    path: Path  # the practice file
    key: bytes
    inputs: Path  # import file, answers, a good backup (always writable)
    out: Path  # where commands write their output

    @property
    def good_backup(self) -> Path:
        return self.inputs / "good-backup.stagewise"


def _make_world(folder: Path, inputs: Path, out: Path) -> World:
    path = folder / "practice.stagewise"
    created = store.create_practice(path, PASSPHRASE, name="Fault Test Practice")
    with created.practice as p:
        with p.session_factory.begin() as s:
            client = add_client(s, "F-1", clinician_id=add_user(s, "dr.lee"))
            add_focus(s, client, "alcohol", "Alcohol")
        inputs.mkdir(parents=True, exist_ok=True)
        backup.write_backup(p.engine, inputs / "good-backup.stagewise", p.key)
    new_client = {
        "chart_number": "N-1",
        "given_name": "Test",
        "family_name": "Person",
        "date_of_birth": "1980-05-06",
    }
    doc = {"format": "stagewise-practice", "version": 1, "clients": [new_client]}
    (inputs / "import.json").write_text(json.dumps(doc), encoding="utf-8")
    (inputs / "answers.json").write_text(json.dumps({str(n): 1 for n in range(1, 10)}), encoding="utf-8")
    out.mkdir(parents=True, exist_ok=True)
    return World(path, created.practice.key, inputs, out)


def _records(world: World) -> dict[str, int]:
    """The practice opens with its passphrase and verifies; its record counts (logs left out)."""
    key = store.unlock_key(world.path, passphrase=PASSPHRASE, use_keyring=False).key
    with store.open_practice(world.path, key, migrate=False) as p:
        report = verify.verify_practice(p)
    assert report.ok, report.problems
    return {table: n for table, n in report.counts.items() if table not in CHANGING}


def _leftovers(*folders: Path) -> list[str]:
    patterns = ("*.tmp", "*.partial*", "*.pre-rekey*", ".*.restoring-*", "*.restoring")
    return sorted(p.name for folder in folders for pattern in patterns for p in folder.glob(pattern))


# Every command that writes, as (argv, stdin) for a world.  Secrets come from stdin where the command
# insists; otherwise the key comes from the (in-memory) keyring.
Command = Callable[[World], tuple[list[str], str]]
PRACTICE_WRITERS: dict[str, Command] = {
    "import": lambda w: (["import", str(w.path), str(w.inputs / "import.json")], ""),
    "stage": lambda w: (
        [
            "stage",
            str(w.path),
            "--client",
            "F-1",
            "--focus",
            "alcohol",
            "--stage",
            "action",
            "--by",
            "dr.lee",
        ],
        "",
    ),
    "administer": lambda w: (
        [
            "administer",
            str(w.path),
            "--client",
            "F-1",
            "--form",
            "phq-9",
            "--by",
            "dr.lee",
            "--complete",
            "--answers",
            str(w.inputs / "answers.json"),
        ],
        "",
    ),
    "users add": lambda w: (
        ["users", "add", str(w.path), "nurse.kim", "--role", "clinician", "--passphrase-stdin"],
        f"{PASSPHRASE}\n{ADMIN_PASSWORD}\n",
    ),
    "change-passphrase": lambda w: (
        ["change-passphrase", str(w.path), "--passphrase-stdin"],
        f"{PASSPHRASE}\n{NEW_PASSPHRASE}\n",
    ),
    "new-recovery-key": lambda w: (
        ["new-recovery-key", str(w.path), "--passphrase-stdin"],
        f"{PASSPHRASE}\n",
    ),
    "rotate-key": lambda w: (["rotate-key", str(w.path), "--passphrase-stdin"], f"{PASSPHRASE}\n"),
    "drill": lambda w: (["drill", str(w.path), str(w.good_backup)], ""),
    "backup": lambda w: (["backup", str(w.path), str(w.out / "b.stagewise")], ""),
    "export": lambda w: (["export", str(w.path), "--out", str(w.out / "e.json")], ""),
    "export --fhir": lambda w: (["export", str(w.path), "--fhir", "--out", str(w.out / "f.json")], ""),
    "fhir-export": lambda w: (["fhir-export", str(w.path), "--out", str(w.out / "g.json")], ""),
    "report": lambda w: (["report", str(w.path), "--client", "F-1", "--out", str(w.out / "r.pdf")], ""),
}
# Commands whose own output goes to ``w.out`` (the practice itself may be fine).
OUTPUT_WRITERS: dict[str, Command] = {
    **{
        name: PRACTICE_WRITERS[name]
        for name in ("backup", "export", "export --fhir", "fhir-export", "report")
    },
    "restore": lambda w: (["restore", str(w.good_backup), str(w.out / "restored.stagewise")], ""),
    "init": lambda w: (
        ["init", str(w.out / "new.stagewise"), "--admin", "adm", "--no-keyring", "--passphrase-stdin"],
        f"{PASSPHRASE}\n{ADMIN_PASSWORD}\n",
    ),
}


@pytest.fixture
def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., tuple[int, str]]:
    def _run(command: Command, world: World) -> tuple[int, str]:
        argv, stdin = command(world)
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = cli.main(argv)
        _out, err = capsys.readouterr()
        return code, err

    return _run


def _refused(code: int, err: str, *words: str) -> str:
    """Exit 2 and one line (after any "waiting" line) that names the problem; returns the line."""
    lines = [
        line for line in err.splitlines() if line != cli.WAITING and not line.startswith("stagewise: note:")
    ]
    assert code == 2, err
    assert "Traceback" not in err
    assert len(lines) == 1, err
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


# --------------------------------------------------------------------------------------------------------
# Real read-only and full disks


def _sh(*args: str) -> bool:
    return subprocess.run(args, capture_output=True, check=False).returncode == 0


@contextlib.contextmanager
def _tmpfs(folder: Path, size: str = "4m") -> Iterator[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    if not _sh("mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)):
        pytest.skip("mounting a tmpfs is not permitted here")
    try:
        yield folder
    finally:
        _sh("umount", "-l", str(folder))


def _read_only(folder: Path, *, on: bool = True) -> None:
    assert _sh("mount", "-o", "remount,ro" if on else "remount,rw", str(folder))


def _fill(folder: Path) -> None:
    """Write until the disk is full."""
    with open(folder / "filler", "wb") as fh, contextlib.suppress(OSError):
        while True:
            fh.write(b"\0" * 65536)
            fh.flush()


@pytest.mark.parametrize("name", sorted(PRACTICE_WRITERS))
def test_practice_on_a_read_only_disk(name: str, tmp_path: Path, run: Callable[..., tuple[int, str]]) -> None:
    with _tmpfs(tmp_path / "disk") as disk:
        world = _make_world(disk, tmp_path / "in", tmp_path / "out")
        before = _records(world)
        _read_only(disk)
        code, err = run(PRACTICE_WRITERS[name], world)
        _refused(code, err, "read-only")
        _read_only(disk, on=False)  # a practice on a read-only disk cannot even be verified
        assert _records(world) == before


@pytest.mark.parametrize("name", sorted(PRACTICE_WRITERS))
def test_read_only_practice_file(name: str, tmp_path: Path, run: Callable[..., tuple[int, str]]) -> None:
    world = _make_world(tmp_path / "p", tmp_path / "in", tmp_path / "out")
    before = _records(world)
    if not _sh("chattr", "+i", str(world.path)):
        pytest.skip("chattr +i is not available here")
    try:
        code, err = run(PRACTICE_WRITERS[name], world)
        _refused(code, err, "read-only")
    finally:
        _sh("chattr", "-i", str(world.path))
    assert _records(world) == before
    assert _leftovers(world.path.parent, world.out) == []


@pytest.mark.parametrize("name", sorted(OUTPUT_WRITERS))
def test_output_to_a_read_only_folder(name: str, tmp_path: Path, run: Callable[..., tuple[int, str]]) -> None:
    with _tmpfs(tmp_path / "out") as out:
        world = _make_world(tmp_path / "p", tmp_path / "in", out)
        before = _records(world)
        _read_only(out)
        code, err = run(OUTPUT_WRITERS[name], world)
        _refused(code, err, "read-only")
        assert _records(world) == before


@pytest.mark.parametrize("name", sorted(PRACTICE_WRITERS))
def test_practice_on_a_full_disk(name: str, tmp_path: Path, run: Callable[..., tuple[int, str]]) -> None:
    with _tmpfs(tmp_path / "disk") as disk:
        world = _make_world(disk, tmp_path / "in", tmp_path / "out")
        before = _records(world)
        _fill(disk)
        code, err = run(PRACTICE_WRITERS[name], world)
        if code != 0:  # some commands need no new space in the practice's folder
            _refused(code, err, "disk is full")
        (disk / "filler").unlink()
        if code != 0:
            assert _records(world) == before
        assert _leftovers(disk, world.out) == []


@pytest.mark.parametrize("name", sorted(OUTPUT_WRITERS))
def test_output_to_a_full_disk(name: str, tmp_path: Path, run: Callable[..., tuple[int, str]]) -> None:
    with _tmpfs(tmp_path / "out") as out:
        world = _make_world(tmp_path / "p", tmp_path / "in", out)
        before = _records(world)
        _fill(out)
        code, err = run(OUTPUT_WRITERS[name], world)
        _refused(code, err, "disk is full")
        (out / "filler").unlink()
        assert _records(world) == before
        assert _leftovers(out) == []
        assert not (out / "new.stagewise.keys").exists()


def test_injected_enospc_on_export_and_init(
    tmp_path: Path, run: Callable[..., tuple[int, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where no tmpfs can be mounted: the same full disk, injected into every write."""
    world = _make_world(tmp_path / "p", tmp_path / "in", tmp_path / "out")
    before = _records(world)
    real_open = io.open

    def full_open(file: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        if any(m in mode for m in "wax+") and str(file).startswith(str(world.out)):
            raise OSError(errno.ENOSPC, "No space left on device", str(file))
        return real_open(file, mode, *args, **kwargs)  # type: ignore[call-overload]

    def full_fdopen(fd: int, *args: object, **kwargs: object) -> object:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("builtins.open", full_open)
    monkeypatch.setattr("os.fdopen", full_fdopen)
    for name in ("export", "init"):
        code, err = run(OUTPUT_WRITERS[name], world)
        _refused(code, err, "disk is full")
    monkeypatch.undo()
    assert _records(world) == before
    assert list(world.out.iterdir()) == []


# --------------------------------------------------------------------------------------------------------
# A folder where a file should be


def test_a_folder_in_place_of_the_key_file(tmp_path: Path, run: Callable[..., tuple[int, str]]) -> None:
    world = _make_world(tmp_path / "p", tmp_path / "in", tmp_path / "out")
    kpath = keys.keyfile_path(world.path)
    saved = kpath.read_bytes()
    kpath.unlink()
    kpath.mkdir()
    for name in sorted(PRACTICE_WRITERS):
        code, err = run(PRACTICE_WRITERS[name], world)
        _refused(code, err, kpath.name, "is a folder")
    kpath.rmdir()
    kpath.write_bytes(saved)
    _records(world)


@pytest.mark.parametrize("name", sorted(OUTPUT_WRITERS))
def test_a_folder_in_place_of_the_output_file(
    name: str, tmp_path: Path, run: Callable[..., tuple[int, str]]
) -> None:
    world = _make_world(tmp_path / "p", tmp_path / "in", tmp_path / "out")
    before = _records(world)
    if name == "backup":
        pytest.skip("backup takes a folder as DEST by design (a timestamped file inside)")
    argv, _stdin = OUTPUT_WRITERS[name](world)
    target = next(Path(a) for a in argv[1:] if a.startswith(str(world.out)))
    target.mkdir()
    code, err = run(OUTPUT_WRITERS[name], world)
    _refused(code, err, target.name)
    assert _records(world) == before


# --------------------------------------------------------------------------------------------------------
# Another writer holds the lock


@pytest.mark.parametrize("name", sorted(PRACTICE_WRITERS))
def test_a_busy_practice(
    name: str, tmp_path: Path, run: Callable[..., tuple[int, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    world = _make_world(tmp_path / "p", tmp_path / "in", tmp_path / "out")
    before = _records(world)
    monkeypatch.setattr(rawdb, "WRITE_WAIT_SECONDS", 0.5)
    holder = rawdb.connect(world.path, world.key, pragmas=True)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another window in the middle of a write
        code, err = run(PRACTICE_WRITERS[name], world)
        if code != 0:  # commands that only read the practice do not wait for writers
            _refused(code, err, world.path.name, "busy", "try again")
            assert err.splitlines()[0] == cli.WAITING
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    if code != 0:
        assert _records(world) == before
    assert _leftovers(world.path.parent, world.out) == []


def test_a_writer_that_waits_gets_its_turn(
    tmp_path: Path, run: Callable[..., tuple[int, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    import threading

    world = _make_world(tmp_path / "p", tmp_path / "in", tmp_path / "out")
    holder = rawdb.connect(world.path, world.key, pragmas=True)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(1.0, lambda: holder.execute("COMMIT"))
    release.start()
    try:
        code, err = run(PRACTICE_WRITERS["import"], world)
    finally:
        release.join()
        holder.close()
    assert code == 0, err
    assert err.splitlines() == [cli.WAITING]
    assert _records(world)["client"] == 2


# --------------------------------------------------------------------------------------------------------
# Interrupted at each step


class Steps:
    """Counts calls to the step functions; raises ``fault`` at call number ``fail_at`` (0: never)."""

    def __init__(
        self, monkeypatch: pytest.MonkeyPatch, targets: list[tuple[object, str]], fault: BaseException
    ):
        self.calls: list[str] = []
        self.fail_at = 0
        self.fault = fault
        for owner, attr in targets:
            real = getattr(owner, attr)
            monkeypatch.setattr(owner, attr, self._wrap(real, attr))

    def _wrap(self, real: Callable[..., object], name: str) -> Callable[..., object]:
        def step(*args: object, **kwargs: object) -> object:
            self.calls.append(name)
            if len(self.calls) == self.fail_at:
                raise self.fault
            return real(*args, **kwargs)

        return step


def _step_targets() -> list[tuple[object, str]]:
    import os

    return [
        # Each call site looks the name up in its own module: snapshot.py (writing a copy) and
        # backup.py (restore), so both are wrapped.
        (snapshot, "write_backup"),
        (snapshot, "verify_backup_file"),
        (snapshot, "copy_durably"),
        (snapshot, "fsync_file"),
        (snapshot, "fsync_dir"),
        (backup, "write_backup"),
        (backup, "copy_durably"),
        (backup, "fsync_dir"),
        (backup, "_move_aside"),
        (keys, "atomic_write"),
        (os, "replace"),
        (store, "checkpoint"),
        (store, "_rekey"),
        (store, "open_practice"),
    ]


FAULTS = {
    "full disk": OSError(errno.ENOSPC, "No space left on device"),
    "interrupted": KeyboardInterrupt(),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("name", ["rotate-key", "backup", "restore"])
def test_interrupted_at_each_step(
    name: str,
    fault: str,
    tmp_path: Path,
    run: Callable[..., tuple[int, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = _make_world(tmp_path / "p", tmp_path / "in", tmp_path / "out")
    command = {**PRACTICE_WRITERS, **OUTPUT_WRITERS}[name]
    if name == "restore":  # restore over the practice itself, replacing it
        command = lambda w: (["restore", str(w.good_backup), str(w.path), "--force"], "")  # noqa: E731
    before = _records(world)
    steps = Steps(monkeypatch, _step_targets(), FAULTS[fault])
    code, err = run(command, world)  # a dry run counts the steps
    assert code == 0, err
    total = len(steps.calls)
    assert total >= 4, steps.calls
    for fail_at in range(1, total + 1):
        steps.calls.clear()
        steps.fail_at = fail_at
        for leftover in world.out.iterdir():
            leftover.unlink()
        code, err = run(command, world)
        where = f"{name}: {fault} at step {fail_at} of {steps.calls}"
        steps.fail_at = 0
        if fault == "interrupted":
            assert code == 130, where
        elif code != 0:
            assert code == 2, (where, err)
            _refused(code, err)
        assert _records(world) == before, where
        assert _leftovers(world.path.parent, world.out) == [], where
