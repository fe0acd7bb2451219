"""What the console needs besides the store; built by the CLI from the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from cstui.channel_config import DEFAULT_ATTACHMENT_LIMIT

if TYPE_CHECKING:
    from cstui.store.base import FirstLook, View


@dataclass(frozen=True)
class ConsoleConfig:
    """Who acts, where drafts are kept, how the console looks and which keys it uses."""

    actor: str
    store_key: str
    drafts_dir: Path
    risk_window: timedelta = timedelta(minutes=30)
    tz: tzinfo | None = None
    theme: str = "cstui-dark"
    keymap: dict[str, str] | None = None
    themes_dir: Path | None = None
    attachment_max_bytes: int = DEFAULT_ATTACHMENT_LIMIT  # a file the composer attaches
    downloads_dir: Path | None = None  # where `a` saves a file; None: the desktop's Downloads
    # Called once after the first paint (the automations sweeper on a local store); returns
    # what stops it on quit.
    background: Callable[[], Callable[[], None]] | None = None
    # A store that cannot be opened at start-up (or whose agent is missing) ends the app, its
    # error kept in `start_error` for the command to report; else the console opens offline.
    open_or_end: bool = False
    # A local store's agent and first page of a view (`limit` rows), read before the store
    # is open so that the first rows show at once (None: no such head start).
    first_look: Callable[[View, int], FirstLook | None] | None = None
