"""The metrics CSV export: one core operation for the dashboard and ``stagewise stages metrics --csv``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from stagewise.core.audit import trail as audit
from stagewise.core.errors import UserInputError
from stagewise.core.stages.metrics import compute_metrics, export_metrics_csv, metrics_csv


def _figures():  # type: ignore[no-untyped-def]
    return compute_metrics((), period_start=None, period_end=dt.date(2026, 3, 1), stalled_days=90)


def test_export_writes_the_csv_and_audits_it(session: Session, tmp_path: Path) -> None:
    figures = _figures()
    path = tmp_path / "metrics.csv"
    done = export_metrics_csv(session, figures, path, actor="admin")
    assert done.value == path
    assert path.read_text(encoding="utf-8") == metrics_csv(figures)
    assert done.changes.audit
    exports = audit.recent(session, action="export")
    assert [(e.entity, e.details, e.username) for e in exports] == [("metrics", {"format": "csv"}, "admin")]


def test_an_unwritable_file_is_one_plain_sentence_and_nothing_is_audited(
    session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "missing-folder" / "metrics.csv"
    with pytest.raises(UserInputError, match=r"^Cannot write .*metrics\.csv: "):
        export_metrics_csv(session, _figures(), path, actor="admin")
    assert audit.recent(session, action="export") == []
