"""Console themes: Textual `Theme`s read from TOML files, the built-in ones and the user's.

A theme file gives the `Theme` fields and a `[variables]` table. The table must set every
name in `APP_TOKENS`, so the stylesheet can say `$vip` or `$sla-breached` and never a colour.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

# textual.theme imports textual.color and textual.css.parse itself: they cost nothing extra.
from textual.color import Color, ColorParseError
from textual.css.errors import DeclarationError
from textual.css.parse import parse_declarations
from textual.css.tokenizer import TokenError
from textual.theme import Theme

from cstui.errors import BadInput
from cstui.locations import builtin_themes_dir, user_themes_dir

DEFAULT_THEME = "cstui-dark"

# The console's own colours. All are text colours on $background except `marked-row`,
# which is the background of a marked row under $foreground.
APP_TOKENS: tuple[str, ...] = (
    "vip",
    "green-channel",
    "sla-breached",
    "sla-risk",
    "sla-ok",
    "internal-note",
    "customer-message",
    "agent-reply",
    "owned-by-other",
    "marked-row",
)

COLOUR_FIELDS: tuple[str, ...] = (
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
    "warning",
    "error",
    "success",
)
_REQUIRED = ("name", "dark", *COLOUR_FIELDS, "variables")
_OPTIONAL: dict[str, type] = {"ansi": bool, "luminosity_spread": float, "text_alpha": float}
_KIND_NAMES: dict[type, str] = {bool: "true or false", float: "a number"}
# Theme names end up in CSS class names (`-theme-<name>`) and in the command palette.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
# Variable values are pasted into the stylesheet: no braces, semicolons, quotes or `$`.
_VALUE = re.compile(r"[\w#%.,() -]+")


def load_theme_file(path: Path) -> Theme:
    """Read one theme file; any problem is a one-line `BadInput` naming the file."""
    try:
        with path.open("rb") as file:
            table = tomllib.load(file)
    except OSError as err:
        raise BadInput(f"{path}: cannot read: {err.strerror or err}") from None
    except tomllib.TOMLDecodeError as err:
        raise BadInput(f"{path}: invalid TOML: {err}") from None
    except UnicodeDecodeError:
        raise BadInput(f"{path}: invalid TOML: not UTF-8") from None
    try:
        return _theme(table)
    except ValueError as err:
        raise BadInput(f"{path}: {err}") from None


def load_themes(user_dir: Path | None = None) -> tuple[dict[str, Theme], list[str]]:
    """The built-in themes, then the user's (which win on a shared name), and the problems.

    A broken built-in theme raises: that is a bug. A broken user theme is skipped and its
    problem returned, so a typo in one file never keeps the console from starting.
    """
    themes = {theme.name: theme for theme in map(load_theme_file, _files(builtin_themes_dir()))}
    problems: list[str] = []
    for path in _files(user_themes_dir() if user_dir is None else user_dir):
        try:
            theme = load_theme_file(path)
        except BadInput as err:
            problems.append(str(err))
        else:
            themes[theme.name] = theme
    return themes, problems


def available_themes(user_dir: Path | None = None) -> dict[str, Theme]:
    """Every theme that loads, by name; see `load_themes` for the problems."""
    return load_themes(user_dir)[0]


def check_theme(name: str, user_dir: Path | None = None) -> None:
    """A theme the config or CSTUI_THEME names must exist: a one-line `BadInput` (exit 2)
    listing the themes there are, instead of quietly drawing the default."""
    if name == DEFAULT_THEME:
        return  # the usual case costs no theme files read
    themes = available_themes(user_dir)
    if name not in themes:
        raise BadInput(f"theme: no theme named {name!r}; themes: {', '.join(sorted(themes))}")


def app_tokens(theme: Theme) -> dict[str, str]:
    """The theme's app tokens: defaults that keep `$vip` defined under Textual's own themes."""
    return {token: theme.variables[token] for token in APP_TOKENS}


def _files(directory: Path) -> list[Path]:
    # Sorted, so which of two files with the same theme name wins does not depend on the OS.
    return sorted(directory.glob("*.toml")) if directory.is_dir() else []


def _theme(table: dict[str, Any]) -> Theme:
    unknown = sorted(set(table) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r}")
    missing = [key for key in _REQUIRED if key not in table]
    if missing:
        raise ValueError(f"missing field {missing[0]!r}")
    fields: dict[str, Any] = {field: _colour(field, table[field]) for field in COLOUR_FIELDS}
    for key, kind in _OPTIONAL.items():
        if key in table:
            fields[key] = _typed(key, table[key], kind)
    return Theme(
        name=_name(table["name"]),
        dark=_typed("dark", table["dark"], bool),
        variables=_variables(table["variables"]),
        **fields,
    )


def _name(value: object) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise ValueError(f"name: {value!r} is not a theme name (letters, digits, - and _)")
    return value


def _typed(key: str, value: object, kind: type) -> Any:
    # TOML's bool is not a number here, but an integer is a fine float (`text_alpha = 1`).
    if kind is float and type(value) is int:
        value = float(value)
    if type(value) is not kind:
        raise ValueError(f"{key}: {value!r} is not {_KIND_NAMES[kind]}")
    return value


def _colour(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{key}: {value!r} is not a colour")
    try:
        Color.parse(value)
    except ColorParseError as err:
        hint = f" (did you mean {err.suggested_color!r}?)" if err.suggested_color else ""
        raise ValueError(f"{key}: {value!r} is not a colour{hint}") from None
    return value


def _variables(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValueError("variables: not a table")
    for token in APP_TOKENS:
        if token not in value:
            raise ValueError(f"missing app token {token!r} in [variables]")
    for key, item in value.items():
        if key in APP_TOKENS:
            _colour(f"variables.{key}", item)
        else:
            _textual_variable(key, item)
    return dict(value)


def _textual_variable(key: str, value: object) -> None:
    """Check a Textual variable the way its stylesheet will read it.

    A value the stylesheet cannot parse would stop the console when the theme is applied,
    so a user theme with one must be refused here. Textual's variables are colours
    (`"auto 87%"`, `"#81a1c1 35%"`) except the `*-style` ones, which are text styles.
    """
    rule = "text-style" if key.endswith("style") else "color"
    kind = "text style" if rule == "text-style" else "colour"
    if not isinstance(value, str) or not _VALUE.fullmatch(value):
        raise ValueError(f"variables.{key}: {value!r} is not a {kind}")
    try:
        parse_declarations(f"{rule}: {value};", ("", ""))
    except (DeclarationError, TokenError):
        raise ValueError(f"variables.{key}: {value!r} is not a {kind}") from None


@lru_cache(maxsize=1)
def default_tokens() -> dict[str, str]:
    """The app tokens of the built-in default theme: the fallback for every other theme."""
    return app_tokens(load_theme_file(builtin_themes_dir() / f"{DEFAULT_THEME}.toml"))
