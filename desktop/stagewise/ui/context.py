"""What the running app knows: where things are, the open practice and who is signed in.

Built in ``app.main()`` and passed down; there is no global instance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from stagewise.core.paths import AppPaths

if TYPE_CHECKING:
    from stagewise.core.storage.store import Practice
    from stagewise.core.users import UserInfo


@dataclass
class AppContext:
    """The session state of one main window.

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

    @property
    def actor(self) -> str | None:
        return self.user.username if self.user else None

    @property
    def is_open(self) -> bool:
        return self.practice is not None
