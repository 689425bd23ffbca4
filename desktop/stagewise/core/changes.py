"""What a user action changed, so that every open screen showing it can refresh itself.

Each user action is one core operation: one function taking the session (the caller owns the
transaction) and returning :class:`Done` — the value the caller asked for plus :class:`OpChanges`, a
small frozen description of what changed.  The UI runs operations through ``ui/ops.py``, which
commits and then announces the changes once; windows and tabs listen and refresh what they show.
The command line calls the same functions and ignores the changes.

Only ids and kinds of data are recorded here, never client data.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class OpChanges:
    """Flags for the kinds of data an operation changed; ``client_ids`` narrows client-level changes.

    An empty ``client_ids`` with a client-level flag set means "possibly any client".
    """

    clients: bool = False  # a client's details, focuses or status
    client_ids: frozenset[int] = field(default_factory=frozenset)
    administrations: bool = False  # questionnaires started, answered, completed or voided
    stages: bool = False  # stage records and intervention decisions
    notes: bool = False  # drafts, signed notes, addenda
    settings: bool = False  # practice settings
    users: bool = False  # user accounts and roles
    audit: bool = False  # an audit event was written (almost every change)

    def __or__(self, other: OpChanges) -> OpChanges:
        flags = {f.name: getattr(self, f.name) or getattr(other, f.name) for f in fields(self)}
        flags["client_ids"] = self.client_ids | other.client_ids
        return OpChanges(**flags)

    @property
    def empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))

    def touches_client(self, client_id: int) -> bool:
        """True when something shown on this client's chart may have changed."""
        per_client = self.clients or self.administrations or self.stages or self.notes
        return per_client and (not self.client_ids or client_id in self.client_ids)


NO_CHANGES = OpChanges()


@dataclass(frozen=True, slots=True)
class Done(Generic[T]):
    """The result of a core operation: ``value`` for the caller, ``changes`` for the screens."""

    value: T
    changes: OpChanges = NO_CHANGES


def client_changed(client_id: int, **flags: bool) -> OpChanges:
    """Changes to one client's chart (its details unless other flags are given), audited."""
    if not flags:
        flags = {"clients": True}
    return OpChanges(client_ids=frozenset((client_id,)), audit=True, **flags)
