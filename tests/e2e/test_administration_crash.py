"""Never lose an answer: a process killed mid-administration resumes at the same item with every answer.

A child process opens the practice, starts a URICA administration and answers items one by one, each in
its own transaction, printing each item id once its transaction has committed.  It answers only when the
parent says "go" on stdin, so the parent chooses a random item, lets the child start answering it and
SIGKILLs it at once: the kill lands before, inside or after that item's transaction.  Reopening the
practice must show an in-progress administration holding every reported answer (and nothing beyond the
item that was in flight), resuming at the first unanswered item.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from stagewise.core.administrations import lifecycle as adm
from stagewise.core.storage import store
from tests.core.administrations.test_administrations_helpers import make_world

CHILD = r"""
import sys
from pathlib import Path

from stagewise.core.administrations import lifecycle as adm
from stagewise.core.storage import store
from stagewise.core.instruments.loader import load_library
from stagewise.core.models import AdministrationMode

path, client_id, focus_id, user_id = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
key = bytes.fromhex(sys.stdin.readline().strip())
practice = store.open_practice(Path(path), key)
library = load_library()
with practice.session_factory.begin() as s:
    info = adm.start(
        s, client_id=client_id, focus_id=focus_id, form_id="urica-32", mode=AdministrationMode.CLIENT,
        by_user_id=user_id, actor="dr.lee", library=library,
    )
print(f"started {info.id}", flush=True)
for item in library.get("urica-32").items:
    if sys.stdin.readline().strip() != "go":
        break
    with practice.session_factory.begin() as s:
        adm.answer(s, info.id, item.id, int(item.id) % 5 + 1)
    print(item.id, flush=True)
print("done", flush=True)
"""


def _value(item_id: str) -> int:
    return int(item_id) % 5 + 1


@pytest.mark.parametrize("round_", range(4))
def test_killed_mid_administration_resumes_at_the_same_item(
    practice: store.Practice, practice_path: Path, round_: int
) -> None:
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    kill_at = rng.randint(1, 31)  # items fully reported before the kill
    with practice.session_factory.begin() as s:
        world = make_world(s, f"CRASH-{round_}")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(practice_path), str(world.client_id), str(world.alcohol_id),
         str(world.user_id)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=dict(os.environ),
    )  # fmt: skip
    assert child.stdin is not None
    assert child.stdout is not None
    try:
        child.stdin.write(practice.key.hex() + "\n")
        child.stdin.flush()
        first = child.stdout.readline().split()
        assert first[:1] == ["started"], f"child failed to start (seed {seed})"
        adm_id = int(first[1])
        reported: list[str] = []
        for _ in range(kill_at):
            child.stdin.write("go\n")
            child.stdin.flush()
            reported.append(child.stdout.readline().strip())
        child.stdin.write("go\n")  # let the next answer begin ...
        child.stdin.flush()
        child.send_signal(signal.SIGKILL)  # ... and kill it wherever it is
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
        with contextlib.suppress(BrokenPipeError):
            child.stdin.close()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    order = [str(n) for n in range(1, 33)]
    assert reported == order[:kill_at], f"seed {seed}"

    practice.close()
    reopened = store.open_practice(practice_path, practice.key)  # like the app starting again
    try:
        with reopened.session_factory.begin() as s:
            (info,) = adm.in_progress(s, client_id=world.client_id)
            assert info.id == adm_id
            for item_id in reported:
                assert info.answers[item_id] == _value(item_id), f"item {item_id} lost (seed {seed})"
            answered = [i for i in order if i in info.answers]
            # nothing beyond the answer that was in flight, and no gaps
            assert answered == order[: len(answered)], f"seed {seed}"
            assert len(answered) in (kill_at, kill_at + 1), f"seed {seed}"
            assert adm.resume_point(info) == order[len(answered)]
            # and the administration carries on from there
            adm.answer(s, info.id, order[len(answered)], 3)
    finally:
        reopened.close()
