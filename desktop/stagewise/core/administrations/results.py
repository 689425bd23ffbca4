"""Scoring results and risk alerts of an administration: the options, the stored result, the alerts.

Shared by :mod:`stagewise.core.administrations.lifecycle` (complete, re-score) and
:mod:`stagewise.core.interchange.administrations` (import).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from stagewise.core.administrations import risk
from stagewise.core.instruments.model import Form
from stagewise.core.instruments.scoring import Result, ScoringOptions
from stagewise.core.models import Administration, ScoreResult


def raise_item_alert(
    session: Session,
    adm: Administration,
    flag: str,
    item_id: str,
    actor: str | None,
    now: dt.datetime | None,
) -> int:
    """The risk alert for one flagged item of ``adm`` (raised now unless it already was); its id."""
    alert_id, _created = risk.raise_alert(
        session,
        client_id=adm.client_id,
        administration_id=adm.id,
        flag=flag,
        item_id=item_id,
        actor=actor,
        now=now,
    )
    return alert_id


def default_options(session: Session, form: Form) -> ScoringOptions:
    """Scoring options from Practice settings (the URICA stage rule, when the instrument offers it)."""
    from stagewise.core.settings import load_settings

    rule = load_settings(session).urica_stage_rule
    if form.stage is not None and any(r.id == rule for r in form.stage.rules):
        return ScoringOptions(urica_stage_rule=rule)
    return ScoringOptions()


def store_result(session: Session, adm: Administration, result: Result, now: dt.datetime) -> None:
    """Add a ``score_result`` row, then show it on the administration.

    Earlier rows are never edited (a trigger refuses it): the current result is the newest row.  The row
    is flushed first because the database lets a completed administration take only the result of its
    newest ``score_result`` row (``ddl.FINAL_RECORD_TRIGGERS``).
    """
    data = result.to_json()
    session.add(
        ScoreResult(
            administration_id=adm.id,
            form_version=result.form_version,
            scoring_version=result.scoring_version,
            result=data,
            computed_at=now,
            current=True,
        )
    )
    session.flush()
    adm.result = data
    adm.scoring_version = result.scoring_version


def raise_risk_alerts(
    session: Session,
    adm: Administration,
    form: Form,
    result: Result | None,
    actor: str | None,
    now: dt.datetime,
) -> list[int]:
    """Alerts for every flagged answer (and risk flags in the result) not raised yet; returns their ids."""
    ids: list[int] = []
    answers = adm.answers or {}
    item_flags = {it.flag.name: it for it in form.items if it.flag is not None}
    for name, item in item_flags.items():
        assert item.flag is not None
        value = answers.get(item.id)
        fired = (value is not None and value >= item.flag.at_least) or (
            result is not None and name in result.flags
        )
        if fired:
            ids.append(raise_item_alert(session, adm, name, item.id, actor, now))
    return ids
