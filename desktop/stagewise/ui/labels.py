"""Domain enums and codes → translatable words.  The only place the UI turns core categories into text."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from stagewise.core.enums import ClientStatus, Role, Stage
from stagewise.core.stages.labels import NO_INSTRUMENT_STAGE, clinician_label


def _tr(text: str) -> str:
    return QCoreApplication.translate("labels", text)


def role(value: Role | str) -> str:
    names = {
        Role.ADMIN: _tr("Administrator"),
        Role.CLINICIAN: _tr("Clinician"),
        Role.SUPERVISOR: _tr("Supervisor"),
    }
    return names.get(Role(value), str(value))


def roles(values: frozenset[Role] | set[Role] | tuple[Role, ...]) -> str:
    ordered = [r for r in Role if r in values]
    return ", ".join(role(r) for r in ordered)


def client_status(value: ClientStatus | str) -> str:
    names = {ClientStatus.ACTIVE: _tr("Active"), ClientStatus.DISCHARGED: _tr("Discharged")}
    return names.get(ClientStatus(value), str(value))


def stage(value: Stage | str | None) -> str:
    """The technical stage name (the core's stage table); None → "Not staged for now"."""
    return _tr(clinician_label(None if value is None else Stage(value)))


def instrument_stage(value: Stage | str | None) -> str:
    """The stage a questionnaire suggested; None → "No stage" (it assigns none: not a pause)."""
    return _tr(NO_INSTRUMENT_STAGE) if value is None else stage(value)


_ACTIONS = {
    "create": "Created",
    "update": "Changed",
    "view": "Viewed",
    "sign": "Signed",
    "cosign": "Co-signed",
    "addendum": "Addendum",
    "void": "Voided",
    "print": "Printed",
    "export": "Exported",
    "import": "Imported",
    "backup": "Backup",
    "restore": "Restore",
    "drill": "Restore drill",
    "sign_in": "Signed in",
    "sign_in_failed": "Sign-in failed",
    "sign_out": "Signed out",
    "lock": "Locked",
    "unlock": "Unlocked",
    "acknowledge": "Acknowledged",
    "decide": "Decision",
    "rekey": "Key rotated",
    "change_passphrase": "Passphrase changed",
    "new_recovery_key": "New recovery key",
    "custodian": "Custodian package",
    "migrate": "Upgrade",
    "seal": "Record digests",
}


def has_audit_action_label(action: str) -> bool:
    return action in _ACTIONS


def audit_action(action: str) -> str:
    text = _ACTIONS.get(action)
    # An action added to the core before it got words here still reads as words, not as a code.
    return _tr(text) if text else action.replace("_", " ").capitalize()


def audit_entity(entity: str) -> str:
    names = {
        "client": "Client",
        "focus": "Focus",
        "user": "User",
        "note": "Note",
        "practice": "Practice",
        "administration": "Assessment",
        "stage": "Stage",
        "stage_record": "Stage",
        "setting": "Setting",
        "settings": "Settings",
    }
    text = names.get(entity)
    return _tr(text) if text else entity
