"""Revision 0003: PHQ-9 and GAD-7 administrations filed under a behaviour focus become client-level.

A practice is made at the shipped head, given PHQ-9s filed the old way (under "Alcohol" and "Low mood"),
set back to the revision before 0003 and opened again: the upgrade runs as it would for a real older file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from stagewise.core.administrations import lifecycle as adm
from stagewise.core.instruments.loader import Library, load_library
from stagewise.core.models import Administration, AdministrationMode
from stagewise.core.storage import migrate, store, verify
from stagewise.migrations import REVISIONS
from tests.conftest import PASSPHRASE
from tests.core.administrations.test_administrations_helpers import make_world

T0 = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)
BEFORE_0003 = REVISIONS[REVISIONS.index("0003") - 1]


def _give(s: Session, library: Library, *, client_id: int, focus_id: int, form_id: str, value: int,
          when: dt.datetime) -> int:  # fmt: skip
    """An administration filed under ``focus_id`` as older versions did, completed with every answer."""
    info = adm.start(
        s, client_id=client_id, focus_id=None, form_id=form_id, mode=AdministrationMode.CLINICIAN,
        by_user_id=None, actor="dr.lee", library=library, now=when,
    )  # fmt: skip
    # Older versions filed it under the selected focus (done while it is still open, as they did).
    s.execute(text("UPDATE administration SET focus_id = :f WHERE id = :i"), {"f": focus_id, "i": info.id})
    for item in library.get(form_id).items:
        adm.answer(s, info.id, item.id, value if item.flag is None else 0)
    adm.complete(s, info.id, actor="dr.lee", now=when + dt.timedelta(minutes=10))
    return info.id


def _triggers(s: Session) -> list[tuple[str, str]]:
    rows = s.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"))
    return [(r[0], r[1]) for r in rows]


def test_one_phq9_history_across_focuses_after_migration(practice_path: Path) -> None:
    library = load_library()
    created = store.create_practice(practice_path, PASSPHRASE)
    key = created.practice.key
    with created.practice as p:
        with p.session_factory.begin() as s:
            world = make_world(s)
            phq = [
                _give(
                    s,
                    library,
                    client_id=world.client_id,
                    focus_id=focus,
                    form_id="phq-9",
                    value=v,
                    when=T0 + dt.timedelta(days=14 * n),
                )
                for n, (focus, v) in enumerate(
                    ((world.alcohol_id, 2), (world.mood_id, 1), (world.alcohol_id, 1))
                )
            ]
            gad = _give(s, library, client_id=world.client_id, focus_id=world.mood_id, form_id="gad-7",
                        value=1, when=T0)  # fmt: skip
            urica = _give(s, library, client_id=world.client_id, focus_id=world.alcohol_id,
                          form_id="urica-32", value=3, when=T0)  # fmt: skip
        with p.session_factory() as s:
            # Filed the old way: split over two focuses, so the newest had no "last time" from "Low mood".
            before = adm.previous(s, phq[2])
            assert before is not None
            assert before.id == phq[0]
            triggers_before = _triggers(s)
        with p.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": BEFORE_0003})

    with store.open_practice(practice_path, key) as p:
        assert migrate.state(p.engine).current == REVISIONS[-1]
        with p.session_factory() as s:
            focus_of = {r[0]: r[1] for r in s.execute(text("SELECT id, focus_id FROM administration"))}
            assert [focus_of[i] for i in (*phq, gad)] == [None, None, None, None]
            assert focus_of[urica] == world.alcohol_id  # a behaviour measure keeps its focus
            history = adm.history(s, client_id=world.client_id, form_id="phq-9")
            assert [h.id for h in history] == phq
            assert {h.focus_id for h in history} == {None}
            last = adm.previous(s, phq[2])
            assert last is not None
            assert last.id == phq[1]  # "last time" is the PHQ-9 that was filed under mood
            assert [h.result.scores["total"] for h in history if h.result is not None] == [16, 8, 8]
            assert _triggers(s) == triggers_before  # protections dropped around the update are back
            assert s.get(Administration, phq[0]).answers  # type: ignore[union-attr]
        # The moved records were sealed again as they now are: the practice verifies.
        report = verify.verify_practice(p)
        assert report.ok, report.problems
