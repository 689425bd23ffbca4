"""Workloads for ``run.py`` that are not plain calls into the core: subprocess scripts, scoring, crypto."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

# A bare PySide6 window process: the floor the app's start-up is compared with (DESIGN.md, "Known costs").
BARE_QT_SCRIPT = """
import sys
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication(sys.argv)
w = QWidget()
w.resize(1366, 768)
w.show()
app.processEvents()
w.close()
"""

# Resident memory with the practice open, the active client list loaded and one (the heaviest) chart open.
# Qt-free on purpose (cheap and stable); the Qt floor is ~47 MiB on top (DESIGN.md).
RSS_SCRIPT = """
import json, sys
from pathlib import Path
from sqlalchemy import text
from stagewise.core import administrations, clients, notes, risk, stages, store
path = Path(sys.argv[1])
passphrase = sys.stdin.readline().rstrip("\\n")
key = store.unlock_key(path, passphrase=passphrase, use_keyring=False).key
practice = store.open_practice(path, key)
with practice.session_factory() as s:
    rows = clients.list_clients(s)
    heaviest = "SELECT client_id FROM note GROUP BY client_id ORDER BY count(*) DESC LIMIT 1"
    cid = s.execute(text(heaviest)).scalar_one()
    info = clients.get_client(s, cid, actor=None, record_view=False)
    hist = administrations.history(s, client_id=cid)
    page = notes.list_notes(s, client_id=cid, limit=50)
    recs = [stages.history(s, f.id) for f in info.focuses]
    alerts = risk.open_alerts(s, client_id=cid)
    rss = 0.0
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
    print(json.dumps({"rss_mb": round(rss, 1), "clients": len(rows), "administrations": len(hist)}))
practice.close()
"""

MIXED_FORMS = ("urica-32", "phq-9", "gad-7", "audit", "barc-10", "dast-10", "readiness-ruler", "audit-c")


def scoring_workload(count: int, *, seed: int = 0) -> float:
    """Results per second from ``scoring.score`` over a mixed set of forms and plausible answers."""
    from stagewise.core.demo.answers import level_answers, urica_answers
    from stagewise.core.forms import load_library
    from stagewise.core.scoring import ScoringOptions, score

    rng = random.Random(seed)
    library = load_library()
    forms = [library.get(f) for f in MIXED_FORMS]
    cases: list[tuple[Any, dict[str, Any], ScoringOptions]] = []
    for form in forms:
        for _ in range(50):
            if form.id == "urica-32":
                answers = urica_answers(rng, form, rng.randrange(5))
            else:
                answers = level_answers(rng, form, rng.random())
            cases.append((form, answers, ScoringOptions()))
    rng.shuffle(cases)
    n = len(cases)
    began = time.perf_counter()
    for i in range(count):
        form, answers, options = cases[i % n]
        score(form, answers, options)
    return count / (time.perf_counter() - began)


_KEY = bytes(range(32))
_PRAGMAS = (
    "foreign_keys = ON",
    "busy_timeout = 10000",
    "journal_mode = WAL",
    "synchronous = FULL",
    "temp_store = MEMORY",
)


def _connect(path: Path, encrypted: bool) -> Any:
    import sqlcipher3

    conn = sqlcipher3.dbapi2.connect(str(path), isolation_level=None, check_same_thread=False)
    if encrypted:
        conn.execute(f"PRAGMA key = \"x'{_KEY.hex()}'\"")
    for pragma in _PRAGMAS:  # the practice pragmas (store.make_engine)
        conn.execute(f"PRAGMA {pragma}")
    return conn


def encryption_workload(path: Path, *, encrypted: bool, rows: int = 20_000, queries: int = 2_000) -> float:
    """Seconds for the same insert + query workload on a plain SQLite or a keyed SQLCipher file.

    Same library (sqlcipher3, unkeyed = plain SQLite), same schema (``metadata.create_all``), same pragmas:
    ``rows`` client rows inserted in 20 transactions, then -- on a fresh connection, so pages are read
    (and decrypted) again -- ``queries`` indexed point queries by chart number and 200 name-prefix queries.
    """
    from sqlalchemy import create_engine

    from stagewise.core.models import Base

    engine = create_engine("sqlite://", creator=lambda: _connect(path, encrypted))
    Base.metadata.create_all(engine)
    engine.dispose()
    rng = random.Random(1)
    letters = "abcdefghijklmnopqrstuvwxyz"
    data = []
    for i in range(rows):
        given = "".join(rng.choice(letters) for _ in range(6))
        family = "".join(rng.choice(letters) for _ in range(8))
        data.append(
            (f"C{i:07d}", given.title(), family.title(), given, family, "1980-01-01", "active",
             "2020-01-01T00:00:00.000Z", "2020-01-01T00:00:00.000Z")
        )  # fmt: skip
    began = time.perf_counter()
    conn = _connect(path, encrypted)
    batch = rows // 20
    for start in range(0, rows, batch):
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO client (chart_number, given_name, family_name, given_name_key, family_name_key, "
            "date_of_birth, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            data[start : start + batch],
        )
        conn.execute("COMMIT")
    conn.close()
    conn = _connect(path, encrypted)
    for _ in range(queries):
        conn.execute(
            "SELECT id, given_name, family_name FROM client WHERE chart_number = ?",
            (f"C{rng.randrange(rows):07d}",),
        ).fetchall()
    for _ in range(200):
        conn.execute(
            "SELECT id FROM client WHERE status = 'active' AND family_name_key LIKE ?"
            " ORDER BY family_name_key LIMIT 50",
            (rng.choice(letters) + rng.choice(letters) + "%",),
        ).fetchall()
    conn.close()
    return time.perf_counter() - began
