"""(c) Two writer processes, killed with SIGKILL in the middle of their streams of committed writes, 20
times over, leave a file that opens, passes verify, and holds every record whose commit was reported.

The two writers run at the same time, so every run also shows that concurrent writers wait their turn
(``BEGIN IMMEDIATE``) instead of failing with "database is locked"."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from stagewise.core.models import Setting
from stagewise.core.storage import store, verify
from tests.conftest import PracticeTemplate

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

RUNS = 20
WRITERS = 2

# The child gets the practice path and the hex key on stdin (never on the command line), then commits one
# setting row plus its audit event per transaction, printing each id only after its commit returned.
CHILD = r"""
import sys
from pathlib import Path
from stagewise.core.audit import trail as audit
from stagewise.core.storage import store
from stagewise.core.models import Setting

path, key_hex, run = sys.stdin.readline().split()  # run: "<run>.<writer>"
practice = store.open_practice(Path(path), bytes.fromhex(key_hex), migrate=False)
i = 0
while True:
    with practice.session_factory.begin() as s:
        s.add(Setting(key=f"crash.{run}.{i}", value={"run": run, "i": i, "pad": "x" * (i % 700)}))
        audit.record(s, "crash-test", "update", "setting", f"crash.{run}.{i}")
    print(i, flush=True)
    i += 1
"""


def _start(path: Path, key: bytes, run: str) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert child.stdin is not None
    child.stdin.write(f"{path} {key.hex()} {run}\n")
    child.stdin.close()
    return child


def _run_and_kill(path: Path, key: bytes, run: int, after: int) -> list[str]:
    """Start :data:`WRITERS` writers together; once each reported ``after`` commits, SIGKILL them all."""
    children = {f"{run}.{w}": _start(path, key, f"{run}.{w}") for w in range(WRITERS)}
    committed: list[str] = []
    try:
        for name, child in children.items():
            assert child.stdout is not None
            seen = 0
            while seen < after:
                line = child.stdout.readline()
                if not line:
                    err = child.stderr.read() if child.stderr else ""
                    raise AssertionError(f"writer {name} ended early: {err}")
                committed.append(f"crash.{name}.{int(line)}")
                seen += 1
    finally:
        for child in children.values():
            child.send_signal(signal.SIGKILL)
        for name, child in children.items():
            child.wait(timeout=30)
            assert child.stdout is not None
            # Lines printed after our last read were committed too; collect them.
            committed += [f"crash.{name}.{int(x)}" for x in child.stdout.read().split()]
            child.stdout.close()
            if child.stderr is not None:
                child.stderr.close()
    for child in children.values():
        assert child.returncode == -signal.SIGKILL
    return committed


def test_sigkill_during_committed_writes_loses_nothing(
    practice_path: Path, practice_template: PracticeTemplate
) -> None:
    practice_template.copy_to(practice_path)
    key = practice_template.key
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    expected: set[str] = set()
    for run in range(RUNS):
        expected |= set(_run_and_kill(practice_path, key, run, rng.randint(1, 40)))
        with store.open_practice(practice_path, key, migrate=False) as p:
            report = verify.verify_practice(p)
            assert report.ok, f"seed {seed}, run {run}: {report.problems}"
            with p.session_factory() as s:
                present = set(s.execute(select(Setting.key).where(Setting.key.like("crash.%"))).scalars())
        missing = expected - present
        assert not missing, f"seed {seed}, run {run}: committed rows missing: {sorted(missing)[:5]}"
        # every row in the file came with its audit event (same transaction)
        assert report.counts["audit_event"] == 1 + len(present)
    assert len(expected) >= RUNS * WRITERS
