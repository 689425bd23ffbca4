"""What the running app knows: where things are, the open practice and who is signed in.

Built in ``app.main()`` and passed down; there is no global instance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from stagewise.core.paths import AppPaths
from stagewise.ui.changes import ChangeHub

if TYPE_CHECKING:
    from stagewise.core.storage.store import Practice
    from stagewise.core.users import UserInfo
    from stagewise.ui.dialogs import Messages


@dataclass
class AppContext:
    """The session state of one main window.

    ``changes`` announces what each operation changed, after it commits; ``messages`` is where
    ``ui/ops.py`` shows an operation's error when the caller has no place of its own for it.

    ``key`` is the practice's database key once it has been unlocked (keyring, passphrase or recovery
    key).  It stays in memory while the app is locked so that a user can sign in again without the
    practice passphrase; the database itself is closed whenever the app is locked.
    """

    paths: AppPaths
    practice_path: Path
    no_dialogs: bool = False
    practice: Practice | None = None
    user: UserInfo | None = None
    practice_name: str = ""
    idle_lock_minutes: float = 10
    key: bytes | None = field(default=None, repr=False)
    technical: bool = False  # smoke test: practice open without a signed-in user (nothing is written)
    changes: ChangeHub = field(default_factory=ChangeHub, repr=False)  # what operations changed (ui/ops.py)
    messages: Messages | None = field(default=None, repr=False)  # the main window's message boxes

    @property
    def actor(self) -> str | None:
        return self.user.username if self.user else None

    @property
    def is_open(self) -> bool:
        return self.practice is not None
