"""OpChanges: what an operation changed, merged and asked about per client."""

from __future__ import annotations

from stagewise.core.changes import NO_CHANGES, Done, OpChanges, client_changed


def test_nothing_changed_is_empty_and_any_flag_is_not() -> None:
    assert NO_CHANGES.empty
    assert not OpChanges(settings=True).empty
    assert Done(3).changes.empty


def test_merging_keeps_every_flag_and_client() -> None:
    merged = client_changed(1) | OpChanges(stages=True, client_ids=frozenset({2}))
    assert merged.clients
    assert merged.stages
    assert merged.audit
    assert merged.client_ids == {1, 2}


def test_a_chart_is_touched_only_by_its_own_client_or_by_any_client() -> None:
    one = client_changed(7, notes=True)
    assert one.touches_client(7)
    assert not one.touches_client(8)
    assert OpChanges(administrations=True).touches_client(8)  # no ids: possibly any client
    assert not OpChanges(settings=True, audit=True).touches_client(7)
