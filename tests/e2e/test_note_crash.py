"""A SIGKILL while a clinician types loses at most the last autosave interval.

A child process simulates typing into a draft: every ``KEYS_PER_SAVE`` keystrokes (≈ 0.2 s of typing at
25 characters a second) it autosaves in its own transaction, then reports the saved length on stdout.
The parent kills it with SIGKILL at a random moment, reopens the practice, and checks that the draft holds
exactly the last reported save, or the one after it if that commit landed before its report did.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from stagewise.core.notes import drafts as notes
from stagewise.core.storage import store
from tests.core.notes.test_notes import make_people

REPO = Path(__file__).resolve().parents[2]
KEYS_PER_SAVE = 5
WORDS = [
    "client",
    "reports",
    "fewer",
    "cravings",
    "since",
    "starting",
    "the",
    "plan",
    "and",
    "sleeps",
    "well",
]
TEXT = " ".join(WORDS[i % len(WORDS)] for i in range(3000))


def child() -> None:
    """Entry point of the typing process: ``child PATH KEY_HEX NOTE_ID``."""
    path, key_hex, note_id = sys.argv[1], sys.argv[2], int(sys.argv[3])
    practice = store.open_practice(Path(path), bytes.fromhex(key_hex), migrate=False)
    typed = 0
    while typed < len(TEXT):
        typed = min(len(TEXT), typed + KEYS_PER_SAVE)
        with practice.session_factory.begin() as s:
            notes.save_draft(s, note_id, {"text": TEXT[:typed]})
        print(typed, flush=True)
    print("done", flush=True)
    sys.stdin.read()  # wait to be killed


def _type_and_kill(path: Path, key: bytes, note_id: int, lines_before_kill: int) -> int:
    """Run one typing child, SIGKILL it after it reported ``lines_before_kill`` saves; return the last one."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "desktop")]))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from tests.e2e.test_note_crash import child; child()",
            str(path),
            key.hex(),
            str(note_id),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env,
    )
    assert proc.stdout is not None
    reported: list[str] = []
    try:
        for line in proc.stdout:
            reported.append(line.strip())
            if len(reported) >= lines_before_kill or line.strip() == "done":
                break
        proc.send_signal(signal.SIGKILL)
        rest, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL, err
    reported += [r for r in rest.split() if r]
    saves = [int(r) for r in reported if r != "done"]
    assert saves, err
    return saves[-1]


@pytest.mark.e2e
def test_sigkill_while_typing_loses_at_most_the_last_interval(practice: store.Practice) -> None:
    path, key = practice.path, practice.key
    with practice.session_factory.begin() as s:
        p = make_people(s)
        draft = notes.create_draft(
            s, client_id=p.client, template_id="free_text", author_id=p.alice, actor=None
        )
    practice.close()
    rng = random.Random(6)
    for _round in range(5):
        last = _type_and_kill(path, key, draft.id, rng.randint(3, 120))
        with (
            store.open_practice(path, key, check_integrity=True) as reopened,
            reopened.session_factory() as s,
        ):
            kept = notes.get_note(s, draft.id).fields["text"]
            offered = [d.id for d in notes.recoverable_drafts(s, p.alice)]
        assert offered == [draft.id]  # the next start offers the recovered draft
        allowed = {TEXT[:last], TEXT[: last + KEYS_PER_SAVE]}  # committed, perhaps not yet reported
        assert kept in allowed, f"reported {last} characters, reopened draft has {len(kept)}"
        # The next round types on from scratch over the same draft (it restarts at the beginning).
