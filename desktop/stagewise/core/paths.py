"""Where Stagewise keeps its data, configuration and logs.

Nothing is computed at import time.  ``AppPaths.resolve()`` honours ``--data-dir`` and ``STAGEWISE_HOME``
before falling back to the platform's conventional folders (platformdirs), so every test and every
end-to-end run can use its own temporary directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import platformdirs

APP_NAME = "Stagewise"
ENV_HOME = "STAGEWISE_HOME"


@dataclass(frozen=True, slots=True)
class AppPaths:
    """The folders the application uses."""

    data: Path
    config: Path
    logs: Path
    cache: Path

    @classmethod
    def resolve(cls, data_dir: str | os.PathLike[str] | None = None) -> AppPaths:
        """Pick the folders: ``data_dir`` argument, then ``$STAGEWISE_HOME``, then platformdirs.

        With a base directory every folder lives beneath it (``data/``, ``config/``, ``logs/``, ``cache/``).
        """
        base = data_dir if data_dir is not None else os.environ.get(ENV_HOME)
        if base:
            root = Path(base).expanduser().resolve()
            return cls(root / "data", root / "config", root / "logs", root / "cache")
        return cls(
            platformdirs.user_data_path(APP_NAME, appauthor=False),
            platformdirs.user_config_path(APP_NAME, appauthor=False),
            platformdirs.user_log_path(APP_NAME, appauthor=False),
            platformdirs.user_cache_path(APP_NAME, appauthor=False),
        )

    def ensure(self) -> AppPaths:
        """Create the folders if they are missing; return self."""
        for folder in (self.data, self.config, self.logs, self.cache):
            folder.mkdir(parents=True, exist_ok=True)
        return self

    @property
    def default_practice(self) -> Path:
        """The practice file used when none is named."""
        return self.data / "practice.stagewise"

    @property
    def demo_practice(self) -> Path:
        """The separate demo practice file."""
        return self.data / "demo.stagewise"


def shipped_dir(name: str) -> Path:
    """Folder of shipped data (``"forms"`` or ``"resources"``).

    An installed wheel or a frozen bundle carries them inside the package (``stagewise/_data/``); a source
    checkout has them at the repository's top level.
    """
    packaged = Path(str(resources.files("stagewise"))) / "_data" / name
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[3] / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"Stagewise's {name} folder is missing from this installation")
