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

# Resident memory of the real app: the main window signed in on the large practice, the active client
# list loaded and the heaviest chart open with every tab (assessments, stage, notes, reports) filled.
# The automatic backup at sign-in is switched off for the measurement (it would copy the 0.5 GB file).
RSS_SCRIPT = """
import json, sys, time
from pathlib import Path
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication
from stagewise.core.storage import unlock
from stagewise.core.demo import DEMO_PASSWORD
from stagewise.core.paths import AppPaths
from stagewise.ui import style
from stagewise.ui.clients.chart_tabs import install_default_tabs
from stagewise.ui.context import AppContext
from stagewise.ui.main_window import MainWindow

path, client_id = Path(sys.argv[1]), int(sys.argv[2])
passphrase = sys.stdin.readline().rstrip("\\n")
app = QApplication([sys.argv[0]])
style.apply(app)
ctx = AppContext(paths=AppPaths.resolve(None).ensure(), practice_path=path, no_dialogs=True)
ctx.key = unlock.unlock_key(path, passphrase=passphrase, use_keyring=False).key
# A clinician: demo.admin runs the practice and is not offered charts (least privilege).
from stagewise.core import users
from stagewise.core.storage import store
with store.open_practice(path, ctx.key) as practice, practice.session_factory() as s:
    clinician = next(u.username for u in users.list_users(s) if u.is_clinical)
window = MainWindow(ctx, integrity_check=False)
window.backup_status.on_unlocked = lambda: False
install_default_tabs(window)
window.resize(1366, 768)
window.show()
window.start()

def settle(seconds, until=None):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        if until is not None and until():
            return True
        time.sleep(0.005)
    return until is None

assert settle(30, lambda: window.ops.pool.activeThreadCount() == 0 and window.ctx.key is not None)
signed = []
window.signed_in.connect(lambda: signed.append(True))
window._sign_in_requested(clinician, DEMO_PASSWORD)
assert settle(60, lambda: bool(signed)), "sign-in did not finish"
shown = window.client_list.model.rowCount()
chart = window.open_chart(client_id)
assert chart is not None
for index in range(chart.tabs.count()):  # visit every tab, as a clinician would
    chart.tabs.setCurrentIndex(index)
    settle(0.3)
settle(60, lambda: window.ops.pool.activeThreadCount() == 0 and QApplication.instance() is not None)
settle(1.0)
rss = 0.0
for line in open("/proc/self/status"):
    if line.startswith("VmRSS:"):
        rss = int(line.split()[1]) / 1024
mounted = [n for n in ("assessments", "stage", "notes", "reports") if getattr(chart, n, None) is not None]
print(json.dumps({"rss_mb": round(rss, 1), "clients_listed": shown, "chart": client_id, "tabs": mounted}))
window.close()
"""

MIXED_FORMS = ("urica-32", "phq-9", "gad-7", "audit", "barc-10", "dast-10", "readiness-ruler", "audit-c")


def scoring_workload(count: int, *, seed: int = 0) -> float:
    """Results per second from ``scoring.score`` over a mixed set of forms and plausible answers."""
    from stagewise.core.demo.answers import level_answers, urica_answers
    from stagewise.core.instruments import load_library
    from stagewise.core.instruments.scoring import ScoringOptions, score

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
