"""Every path the program uses, in one place (platformdirs, overridable by env)."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir

APP_NAME = "cstui"


def config_dir() -> Path:
    override = os.environ.get("CSTUI_CONFIG_DIR")
    return Path(override) if override else Path(user_config_dir(APP_NAME))


def config_file() -> Path:
    override = os.environ.get("CSTUI_CONFIG_FILE")
    return Path(override) if override else config_dir() / "config.toml"


def data_dir() -> Path:
    override = os.environ.get("CSTUI_DATA_DIR")
    return Path(override) if override else Path(user_data_dir(APP_NAME))


def default_database() -> Path:
    return data_dir() / "cstui.db"


def user_themes_dir() -> Path:
    return data_dir() / "themes"


def drafts_dir() -> Path:
    return data_dir() / "drafts"


def token_owners_file() -> Path:
    """Which agent each API token used here acts as (hashed; see remote/whoami.py)."""
    return data_dir() / "token-owners.json"


def _shipped(name: str) -> Path:
    """Data shipped with cstui: inside the wheel, or beside `src/` in a source checkout."""
    packaged = Path(__file__).parent / "_data" / name
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / name


def fixtures_dir() -> Path:
    return _shipped("fixtures")


def builtin_themes_dir() -> Path:
    return _shipped("themes")
