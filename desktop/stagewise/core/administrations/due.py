"""The reassessment registry (Chronic Care Model): who is due, and who is overdue, for reassessment.

One rule, implemented once in :func:`stagewise.core.clients.records.reassessment_status` and read for many
focuses at a time by :func:`stagewise.core.clients.records.focus_reassessments`:

* due = date of the latest *completed* (not voided) administration for the focus + the focus's interval
  (its own ``reassessment_days``, else the practice default, 30 days);
* a focus never assessed is due from the day it was added (baseline);
* a focus whose latest stage record is "not staged" is paused (not listed);
* removed focuses and discharged clients are not listed.

Dates are local calendar dates of the stored UTC instants.  Nothing is produced on paper by default.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from stagewise.core.administrations.reassessment import ClientFilter, focus_reassessments
from stagewise.core.models import Client, ClientStatus, Focus
from stagewise.core.settings import load_settings


@dataclass(frozen=True, slots=True)
class DueEntry:
    """One focus due (or overdue) for reassessment.

    Attributes:
        overdue_days: days past the due date: positive when overdue, 0 when due today, negative when due
            later within the window.
    """

    client_id: int
    chart_number: str
    family_name: str
    given_name: str
    clinician_id: int | None
    focus_id: int
    focus_key: str
    focus_label: str
    last_assessed: dt.date | None
    due_on: dt.date
    overdue_days: int

    @property
    def overdue(self) -> bool:
        """Due before today (due today is not yet overdue)."""
        return self.overdue_days > 0

    @property
    def never_assessed(self) -> bool:
        return self.last_assessed is None


def due_list(
    session: Session,
    *,
    today: dt.date,
    within_days: int = 7,
    clinician_id: int | None = None,
) -> list[DueEntry]:
    """Focuses due for reassessment on or before ``today + within_days`` (overdue ones included).

    Args:
        session: any session.
        today: the day the list is for (the caller's local date).
        within_days: the window ahead ("due this week" = 7; 0 = due today or overdue).
        clinician_id: only this clinician's clients.

    Returns:
        Entries sorted by due date (most overdue first), then chart number and focus key.
    """
    if within_days < 0:
        raise ValueError("within_days must not be negative")
    where: str = "client.status = ?"
    params: tuple[object, ...] = (ClientStatus.ACTIVE.value,)
    if clinician_id is not None:
        where, params = f"{where} AND client.clinician_id = ?", (*params, clinician_id)
    clients = ClientFilter(where, params)
    statuses = focus_reassessments(session, clients, default_days=load_settings(session).reassessment_days)
    horizon = today + dt.timedelta(days=within_days)
    wanted = {
        focus_id: status
        for per_client in statuses.values()
        for focus_id, status in per_client.items()
        if status.next_due is not None and status.next_due <= horizon
    }
    if not wanted:
        return []
    rows = session.execute(
        select(
            Focus.id,
            Focus.key,
            Focus.label,
            Client.id,
            Client.chart_number,
            Client.family_name,
            Client.given_name,
            Client.clinician_id,
        )
        .join(Client, Client.id == Focus.client_id)
        .where(Focus.id.in_(list(wanted)))
    )
    entries: list[DueEntry] = []
    for focus_id, key, label, client_id, chart, family, given, clinician in rows:
        status = wanted[focus_id]
        assert status.next_due is not None
        entries.append(
            DueEntry(
                client_id=client_id,
                chart_number=chart,
                family_name=family,
                given_name=given,
                clinician_id=clinician,
                focus_id=focus_id,
                focus_key=key,
                focus_label=label,
                last_assessed=status.last_assessed,
                due_on=status.next_due,
                overdue_days=(today - status.next_due).days,
            )
        )
    entries.sort(key=lambda e: (e.due_on, e.chart_number, e.focus_key))
    return entries
