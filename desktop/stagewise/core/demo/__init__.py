"""Synthetic demo practices: invented clients, histories, questionnaires and notes for trying Stagewise
and for benchmarking it (``stagewise demo``, the start wizard's "Explore with demo data",
``tests/benchmarks/run.py``).

Everything is invented: names are joined from syllables in ``resources/demo/names.toml``, note text comes
from the sentence templates in ``resources/demo/phrases.toml``.  A demo practice is named "DEMO …" and
carries the setting ``demo = true`` so the app can say DEMO in its window title.  Its passphrase and the
users' password are documented constants (:data:`DEMO_PASSPHRASE`, :data:`DEMO_PASSWORD`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stagewise.core.demo.sizes import (
    DEMO_NAME,
    DEMO_PASSPHRASE,
    DEMO_PASSWORD,
    DEMO_SETTING,
    SIZES,
    DemoSize,
    DemoSummary,
)

if TYPE_CHECKING:
    from stagewise.core.demo.generate import generate_demo


def __getattr__(name: str) -> object:
    # The generator pulls in the ORM, the forms and the scoring engine; ``stagewise --help`` (which reads the
    # sizes and secrets for the ``demo`` command's help) must not pay for that.
    if name == "generate_demo":
        from stagewise.core.demo.generate import generate_demo

        return generate_demo
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEMO_NAME",
    "DEMO_PASSPHRASE",
    "DEMO_PASSWORD",
    "DEMO_SETTING",
    "SIZES",
    "DemoSize",
    "DemoSummary",
    "generate_demo",
    "is_demo",
]


def is_demo(session: object) -> bool:
    """Whether the open practice is a demo practice (its ``demo`` setting is true)."""
    from sqlalchemy.orm import Session

    from stagewise.core.models import Setting

    assert isinstance(session, Session)
    row = session.get(Setting, DEMO_SETTING)
    return bool(row is not None and row.value is True)
