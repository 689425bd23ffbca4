"""Creating and editing a client as one operation each: what the client dialog collected, applied.

The dialog (or any other caller) describes the client it wants — names, date of birth and the focuses
the client should have after saving — as a :class:`ClientForm`; :func:`create_client_from` and
:func:`edit_client` apply it in the caller's session and return the saved client with the
:class:`~stagewise.core.changes.OpChanges` the screens refresh from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from stagewise.core.changes import Done, client_changed
from stagewise.core.clients import records as clients
from stagewise.core.users import UserInfo


@dataclass(frozen=True, slots=True)
class FocusDraft:
    key: str
    label: str
    id: int | None = None  # set for a focus that is already saved


@dataclass(frozen=True, slots=True)
class ClientForm:
    """A client as the user wants it saved."""

    chart_number: str
    given_name: str
    family_name: str
    date_of_birth: dt.date
    focuses: tuple[FocusDraft, ...]  # the focuses the client should have after saving
    removed_focus_ids: tuple[int, ...] = field(default=())


def create_client_from(session: Session, form: ClientForm, *, user: UserInfo) -> Done[clients.ClientInfo]:
    """Create the client the form describes; a clinician becomes the client's clinician."""
    info = clients.create_client(
        session,
        chart_number=form.chart_number,
        given_name=form.given_name,
        family_name=form.family_name,
        date_of_birth=form.date_of_birth,
        clinician_id=user.id if user.is_clinician else None,
        focuses=tuple(clients.FocusInput(f.key, f.label) for f in form.focuses),
        actor=user.username,
    )
    return Done(info, client_changed(info.id))


def edit_client(
    session: Session, client_id: int, form: ClientForm, *, actor: str
) -> Done[clients.ClientInfo]:
    """Apply an edit: changed fields, removed focuses, added focuses, relabelled focuses."""
    before = clients.get_client(session, client_id, actor=None, record_view=False)
    labels_before = {f.id: f.label for f in before.focuses}
    clients.update_client(
        session,
        client_id,
        actor=actor,
        chart_number=form.chart_number,
        given_name=form.given_name,
        family_name=form.family_name,
        date_of_birth=form.date_of_birth,
    )
    for focus_id in form.removed_focus_ids:
        clients.remove_focus(session, focus_id, actor=actor)
    for f in form.focuses:
        if f.id is None:
            clients.add_focus(session, client_id, clients.FocusInput(f.key, f.label), actor=actor)
        elif labels_before.get(f.id) != f.label:
            clients.update_focus(session, f.id, actor=actor, label=f.label)
    info = clients.get_client(session, client_id, actor=actor, record_view=False)
    return Done(info, client_changed(client_id))


def set_discharged(
    session: Session, client_id: int, *, discharged: bool, actor: str | None
) -> Done[clients.ClientInfo]:
    """Discharge a client (records stay, reminders stop) or make them active again."""
    change = clients.discharge if discharged else clients.reactivate
    return Done(change(session, client_id, actor=actor), client_changed(client_id))
