"""Build a synthetic demo practice: plan everything in Python, then bulk-insert it in a few transactions.

Speed: the large practice (5,000 clients, 250,000 notes) must build in under five minutes on a 2-core
machine, so nothing here goes through the ORM or the per-row core functions.  Rows are planned as tuples
and written with ``executemany`` in large transactions on one connection (``synchronous = OFF`` while
loading: a demo file that a crash leaves half-built is simply deleted).  The FTS index is filled by the
schema's own triggers as the notes go in.

Correctness: results are whatever :func:`stagewise.core.instruments.scoring.score` returns for the
generated answers;
signed notes and addenda are hashed and chained with :mod:`stagewise.core.notes.chain`'s own functions in
signing order per client, so ``stagewise verify`` passes; audit events are written with
:func:`stagewise.core.audit.trail.record` (a few summary events, not one per row), followed by the digests of
every final record (``audit.seals.seal_all``, a few thousand to an event) so the practice verifies.

Determinism: the same ``seed`` and ``today`` give the same records (ids, names, answers, text, hashes);
only the practice id, the key and the audit timestamps differ between runs.

Sessions: a maintenance job.  It takes the new practice and owns its short transactions (the demo
marker and its audit records).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path
from typing import Any

from stagewise.core.audit import seals, trail as audit
from stagewise.core.demo.plan import Builder, iso_ms
from stagewise.core.demo.rows import (
    CLIENT_COLS,
    FOCUS_COLS,
    FORM_VERSION_COLS,
    USER_COLS,
    Writer,
    insert_rows,
)
from stagewise.core.demo.sizes import (
    DEMO_NAME,
    DEMO_PASSPHRASE,
    DEMO_PASSWORD,
    DEMO_SETTING,
    SIZES,
    DemoSummary,
)
from stagewise.core.errors import UserInputError
from stagewise.core.models import Setting
from stagewise.core.storage import store

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------------------
# Public API


def generate_demo(
    path: Path,
    size: str = "small",
    seed: int = 1,
    passphrase: str | None = None,
    *,
    today: dt.date | None = None,
    save_to_keyring: bool = False,
) -> DemoSummary:
    """Create an encrypted demo practice at ``path`` full of synthetic records.

    Args:
        path: the new practice file (must not exist; its ``.keys`` file is written beside it).
        size: ``small`` (≈60 clients, seconds), ``medium`` (≈500) or ``large`` (5,000 clients, 250,000
            notes, ten years; under five minutes on a 2-core machine).
        seed: the same seed (and ``today``) gives the same records.
        passphrase: the practice passphrase; default :data:`DEMO_PASSPHRASE` (documented: demo data).
        today: the last day of the generated history (default: today); set it for reproducible files.
        save_to_keyring: also keep the key in the OS keyring.

    Returns:
        What was made: counts, the heaviest client, the demo user names and password.

    Raises:
        UserInputError: unknown size.  StorageError: the file exists.
    """
    if size not in SIZES:
        raise UserInputError(f"Unknown demo size {size!r}; choose one of {', '.join(SIZES)}.")
    began = time.perf_counter()
    plan = SIZES[size]
    day = today or dt.date.today()
    secret = passphrase if passphrase is not None else DEMO_PASSPHRASE
    builder = Builder(plan, seed, day)
    user_rows = builder.users()
    clients = builder.plan_clients()
    alloc = builder.allocate(clients)
    client_rows, focus_rows = builder.client_rows(clients)
    created = store.create_practice(Path(path), secret, name=DEMO_NAME, save_to_keyring=save_to_keyring)
    practice = created.practice
    try:
        with practice.engine.connect() as conn:
            raw: Any = conn.connection.dbapi_connection  # autocommit: pragmas outside any transaction
            raw.execute("PRAGMA synchronous = OFF")  # a half-built demo file is deleted, never used
            raw.execute("PRAGMA cache_size = -131072")
            try:
                with conn.begin():
                    insert_rows(conn, "user", USER_COLS, user_rows)
                    insert_rows(conn, "client", CLIENT_COLS, client_rows)
                    insert_rows(conn, "focus", FOCUS_COLS, focus_rows)
                    first = iso_ms(builder.day_ms(0))
                    insert_rows(
                        conn,
                        "form_version",
                        FORM_VERSION_COLS,
                        [
                            (fid, form_id, f.version, f.sha256, f.source_text, first)
                            for form_id, fid in builder.form_version_id.items()
                            for f in (builder.forms[form_id],)
                        ],
                    )
                    writer = Writer(builder, conn)
                    for c, (n_notes, n_adm, n_sr) in zip(clients, alloc, strict=True):
                        writer.client(c, n_notes, n_adm, n_sr)
                    writer.buf.flush(conn, builder.counts)
                with conn.begin():
                    writer.write_notes()
            finally:
                raw.execute("PRAGMA synchronous = FULL")
                raw.execute("PRAGMA cache_size = -2000")
        counts = {
            "user": len(user_rows),
            "client": len(client_rows),
            "focus": len(focus_rows),
            **builder.counts,
        }
        with practice.session_factory.begin() as s:
            s.add(Setting(key=DEMO_SETTING, value=True))
            audit.record(s, None, "create", "user", None, {"count": len(user_rows), "demo": True})
            audit.record(
                s,
                None,
                "import",
                "practice",
                practice.practice_id,
                {"demo": True, "size": size, "seed": seed, "counts": counts},
            )
            seals.seal_all(s, reason="demo")  # the bulk-written final records' digests (seals.py)
        store.checkpoint(practice.engine)
    except BaseException:
        practice.close()
        store.remove_practice_files(Path(path))
        raise
    practice.close()
    seconds = time.perf_counter() - began
    log.info("demo practice built: size %s, seed %d, %.1f s", size, seed, seconds)
    return DemoSummary(
        path=Path(path),
        size=size,
        seed=seed,
        passphrase=secret,
        password=DEMO_PASSWORD,
        usernames=tuple(r[1] for r in user_rows),
        heaviest_client_id=1,
        heaviest_chart_number=str(client_rows[0][1]),
        today=day,
        seconds=seconds,
        counts=counts,
    )
