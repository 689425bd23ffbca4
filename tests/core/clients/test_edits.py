"""Creating and editing a client as one operation (what the client dialog calls)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from stagewise.core import users
from stagewise.core.audit import trail as audit
from stagewise.core.clients.edits import (
    ClientForm,
    FocusDraft,
    create_client_from,
    edit_client,
    set_discharged,
)
from stagewise.core.errors import ConflictError
from stagewise.core.models import ClientStatus, Role

DOB = dt.date(1984, 6, 15)


def _form(
    chart: str = "C-1", given: str = "Ana", focuses: tuple[FocusDraft, ...] = (), **kw: object
) -> ClientForm:
    return ClientForm(chart, given, "Lopez", DOB, focuses, **kw)  # type: ignore[arg-type]


def _clinician(session: Session) -> users.UserInfo:
    return users.create_user(
        session,
        username="jdoe",
        display_name="Jo Doe",
        password="Amber-Meadow-Kettle-31",
        roles={Role.CLINICIAN},
        actor=None,
    )


def test_create_makes_the_clinician_the_clients_clinician_and_says_which_client_changed(
    session: Session,
) -> None:
    me = _clinician(session)
    done = create_client_from(session, _form(focuses=(FocusDraft("alcohol", "Alcohol"),)), user=me)
    assert done.value.clinician_id == me.id
    assert [f.key for f in done.value.focuses] == ["alcohol"]
    assert done.changes.clients
    assert done.changes.client_ids == {done.value.id}


def test_edit_applies_fields_and_focuses_in_one_operation(session: Session) -> None:
    me = _clinician(session)
    created = create_client_from(session, _form(focuses=(FocusDraft("alcohol", "Alcohol"),)), user=me).value
    alcohol = created.focuses[0]
    form = _form(
        given="Adaeze",
        focuses=(FocusDraft("alcohol", "Alcohol use", alcohol.id), FocusDraft("sleep", "Sleep")),
    )
    done = edit_client(session, created.id, form, actor="jdoe")
    assert done.value.given_name == "Adaeze"
    assert sorted((f.key, f.label) for f in done.value.focuses) == [
        ("alcohol", "Alcohol use"),
        ("sleep", "Sleep"),
    ]
    assert done.changes.touches_client(created.id)
    removed = edit_client(
        session, created.id, _form(given="Adaeze", removed_focus_ids=(alcohol.id,)), actor="jdoe"
    )
    assert [(f.key, f.active) for f in removed.value.focuses if f.key == "alcohol"] == [("alcohol", False)]
    edits = [e for e in audit.recent(session) if e.entity in ("client", "focus") and e.username == "jdoe"]
    assert len(edits) >= 4  # created, edited, focus relabelled and added, focus removed: each audited


def test_a_taken_chart_number_is_refused(session: Session) -> None:
    me = _clinician(session)
    create_client_from(session, _form(), user=me)
    with pytest.raises(ConflictError, match="Chart number C-1"):
        create_client_from(session, _form(given="Other"), user=me)


def test_discharge_and_reactivate_report_the_client(session: Session) -> None:
    me = _clinician(session)
    cid = create_client_from(session, _form(), user=me).value.id
    out = set_discharged(session, cid, discharged=True, actor="jdoe")
    assert out.value.status == ClientStatus.DISCHARGED
    assert out.changes.client_ids == {cid}
    assert set_discharged(session, cid, discharged=False, actor="jdoe").value.status == ClientStatus.ACTIVE
