"""Console themes: the built-in files, their legibility, user overrides and bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.color import ColorSystem
from textual._ansi_theme import ALABASTER, MONOKAI
from textual.app import App
from textual.color import Color
from textual.theme import Theme
from textual.widgets import Static

from cstui.console.themes import (
    APP_TOKENS,
    COLOUR_FIELDS,
    DEFAULT_THEME,
    app_tokens,
    available_themes,
    load_theme_file,
    load_themes,
)
from cstui.errors import BadInput
from cstui.locations import builtin_themes_dir

BUILTIN_FILES = sorted(builtin_themes_dir().glob("*.toml"))
BUILTINS = {path.stem: load_theme_file(path) for path in BUILTIN_FILES}
TEXT_TOKENS = tuple(token for token in APP_TOKENS if token != "marked-row")
SLA_STATES = ("sla-breached", "sla-risk", "sla-ok")

# Text must reach WCAG AA (4.5:1), or AAA (7:1) in the high-contrast theme. The ANSI theme's
# real colours are the user's terminal palette; measured on the palette Textual itself maps
# ANSI colours to, it must reach 3:1, WCAG's floor for large text and interface parts.
MIN_CONTRAST = {"cstui-high-contrast": 7.0, "cstui-ansi": 3.0}


def _theme_text(name: str, **changes: str) -> str:
    """The built-in dark theme's file under another name, with some lines replaced."""
    text = (builtin_themes_dir() / "cstui-dark.toml").read_text(encoding="utf-8")
    text = text.replace('name = "cstui-dark"', f'name = "{name}"')
    for old, new in changes.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def _rgb(colour: str, theme: Theme, *, foreground: bool) -> tuple[int, int, int]:
    """The colour as shown; an ANSI colour as Textual's terminal palette for the theme shows it."""
    parsed = Color.parse(colour)
    if parsed.ansi is None:
        return parsed.rgb
    palette = MONOKAI if theme.dark else ALABASTER
    shown = parsed.rich_color.get_truecolor(palette, foreground=foreground)
    return shown.red, shown.green, shown.blue


def _luminance(rgb: tuple[int, int, int]) -> float:
    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _contrast(theme: Theme, text: str, ground: str) -> float:
    """WCAG 2 contrast ratio of `text` drawn on `ground`."""
    lighter, darker = sorted(
        (
            _luminance(_rgb(text, theme, foreground=True)),
            _luminance(_rgb(ground, theme, foreground=False)),
        ),
        reverse=True,
    )
    return (lighter + 0.05) / (darker + 0.05)


def _colour(theme: Theme, key: str) -> str:
    value = getattr(theme, key, None) if key in COLOUR_FIELDS else theme.variables.get(key)
    assert isinstance(value, str), key
    return value


def _sixteen(colour: str) -> int:
    """The ANSI colour number a 16-colour terminal (TERM=xterm, screen) gets for `colour`."""
    rich = Color.parse(colour).rich_color.downgrade(ColorSystem.STANDARD)
    assert rich.number is not None
    return rich.number


# The built-in files.


def test_the_builtin_themes_are_the_documented_four() -> None:
    assert set(BUILTINS) == {"cstui-dark", "cstui-light", "cstui-high-contrast", "cstui-ansi"}
    assert DEFAULT_THEME in BUILTINS
    assert all(theme.name == stem for stem, theme in BUILTINS.items())


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_every_app_token_is_a_colour(name: str) -> None:
    theme = BUILTINS[name]
    assert set(APP_TOKENS) <= set(theme.variables)
    for token in APP_TOKENS:
        Color.parse(theme.variables[token])
    assert app_tokens(theme) == {token: theme.variables[token] for token in APP_TOKENS}


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_text_is_legible(name: str) -> None:
    theme = BUILTINS[name]
    least = MIN_CONTRAST.get(name, 4.5)
    pairs = [("foreground", "background"), ("foreground", "marked-row")]
    pairs += [(token, "background") for token in TEXT_TOKENS]
    blurred = "block-cursor-blurred-foreground"
    pairs += [
        ("block-cursor-foreground", "block-cursor-background"),
        (
            blurred if blurred in theme.variables else "foreground",
            "block-cursor-blurred-background",
        ),
    ]
    for text, ground in pairs:
        ratio = _contrast(theme, _colour(theme, text), _colour(theme, ground))
        assert ratio >= least, f"{name}: {text} on {ground} is {ratio:.2f}:1"


@pytest.mark.parametrize("name", sorted(set(BUILTINS) - {"cstui-ansi"}))
def test_every_signal_stays_readable_on_a_marked_row(name: str) -> None:
    # Not asked of the ANSI theme: no 16-colour background keeps red, magenta and blue text
    # readable, so a marked row needs a mark besides its colour there.
    theme = BUILTINS[name]
    for token in TEXT_TOKENS:
        ratio = _contrast(theme, theme.variables[token], theme.variables["marked-row"])
        assert ratio >= 3.0, f"{name}: {token} on marked-row is {ratio:.2f}:1"


@pytest.mark.parametrize("name", sorted(set(BUILTINS) - {"cstui-ansi"}))
def test_squeezed_into_sixteen_colours_nothing_vanishes(name: str) -> None:
    # Over SSH with TERM=xterm every colour is sent as its nearest of the 16 ANSI colours.
    theme = BUILTINS[name]
    ground = _sixteen(_colour(theme, "background"))
    marked = _sixteen(_colour(theme, "marked-row"))
    cursor = _sixteen(_colour(theme, "block-cursor-background"))
    blurred = _sixteen(_colour(theme, "block-cursor-blurred-background"))
    for key in ("foreground", *TEXT_TOKENS):
        assert _sixteen(_colour(theme, key)) != ground, f"{name}: {key} meets the background"
    assert marked not in {ground, _sixteen(_colour(theme, "foreground")), cursor, blurred}
    assert ground not in {cursor, blurred}
    assert len({_sixteen(theme.variables[state]) for state in SLA_STATES}) == 3


def test_the_ansi_theme_uses_the_terminals_own_colours() -> None:
    theme = BUILTINS["cstui-ansi"]
    assert theme.ansi, "ansi = true, or Textual converts its colours to RGB and back"
    colours = [_colour(theme, key) for key in (*COLOUR_FIELDS, *APP_TOKENS)]
    assert all(Color.parse(colour).ansi is not None for colour in colours)
    for key in ("foreground", "background", "surface", "panel"):
        assert _colour(theme, key) == "ansi_default"
    assert len({theme.variables[state] for state in SLA_STATES}) == 3
    cursors = {theme.variables[f"block-cursor{kind}-background"] for kind in ("", "-blurred")}
    assert theme.variables["marked-row"] not in cursors


# User themes.


def test_user_themes_override_and_add(tmp_path: Path) -> None:
    (tmp_path / "dark.toml").write_text(
        _theme_text("cstui-dark", **{'vip = "#e8c25a"': 'vip = "#ffd700"'}), encoding="utf-8"
    )
    (tmp_path / "mine.toml").write_text(_theme_text("mine"), encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a theme", encoding="utf-8")
    themes, problems = load_themes(tmp_path)
    assert problems == []
    assert set(themes) == set(BUILTINS) | {"mine"}
    assert themes["cstui-dark"].variables["vip"] == "#ffd700"
    assert themes["cstui-light"] == BUILTINS["cstui-light"]


def test_a_missing_user_dir_is_no_problem(tmp_path: Path) -> None:
    assert load_themes(tmp_path / "absent") == (BUILTINS, [])
    assert available_themes(tmp_path / "absent") == BUILTINS


def test_the_default_user_dir_is_under_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSTUI_DATA_DIR", str(tmp_path))
    (tmp_path / "themes").mkdir()
    (tmp_path / "themes" / "mine.toml").write_text(_theme_text("mine"), encoding="utf-8")
    assert "mine" in available_themes()


BROKEN = {
    "syntax": ("name = ", "invalid TOML"),
    "field": (_theme_text("broken").replace('panel = "#212836"\n', ""), "missing field 'panel'"),
    "colour": (_theme_text("broken", **{'"#3d8bfd"': '"bleu"'}), "primary: 'bleu'"),
    "token": (_theme_text("broken").replace('vip = "#e8c25a"\n', ""), "missing app token 'vip'"),
    "token colour": (_theme_text("broken", **{'"#e8c25a"': '"gold 50%"'}), "variables.vip"),
    "unknown field": (_theme_text("broken") + "\n[extra]\nx = 1\n", "unknown field 'extra'"),
    "bad name": (_theme_text("a b"), "name: 'a b'"),
    "dark": (
        _theme_text("broken", **{"dark = true": 'dark = "yes"'}),
        "dark: 'yes' is not true or false",
    ),
    "style": (
        _theme_text("broken", **{'text-style = "bold"': 'text-style = "bolt"'}),
        "variables.block-cursor-text-style: 'bolt' is not a text style",
    ),
    "variable": (
        _theme_text("broken", **{'"#3d8bfd 35%"': '"#3d8bfd }"'}),
        "variables.input-selection-background",
    ),
}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_a_broken_user_theme_is_reported_and_skipped(tmp_path: Path, kind: str) -> None:
    text, problem = BROKEN[kind]
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    (tmp_path / "mine.toml").write_text(_theme_text("mine"), encoding="utf-8")
    themes, problems = load_themes(tmp_path)
    assert set(themes) == set(BUILTINS) | {"mine"}
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: ")
    assert problem in problems[0]
    assert "\n" not in problems[0]


def test_a_bad_colour_is_bad_input_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "typo.toml"
    path.write_text(_theme_text("typo", **{'"#f0606e"': '"rde"'}), encoding="utf-8")
    with pytest.raises(BadInput) as caught:
        load_theme_file(path)
    assert str(caught.value) == f"{path}: error: 'rde' is not a colour (did you mean 'red'?)"
    assert caught.value.exit_code == 2


def test_an_unreadable_file_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "dir.toml").mkdir()
    with pytest.raises(BadInput) as caught:
        load_theme_file(tmp_path / "dir.toml")
    assert str(caught.value).startswith(f"{tmp_path / 'dir.toml'}: cannot read: ")
    (tmp_path / "latin1.toml").write_bytes(b'name = "caf\xe9"\n')
    with pytest.raises(BadInput) as caught:
        load_theme_file(tmp_path / "latin1.toml")
    assert str(caught.value).startswith(f"{tmp_path / 'latin1.toml'}: invalid TOML: ")


# In a running Textual app.


class VipLabel(Static):
    DEFAULT_CSS = "VipLabel { color: $vip; }"


@pytest.mark.parametrize("name", sorted(BUILTINS))
async def test_each_theme_drives_a_textual_app(name: str) -> None:
    theme = BUILTINS[name]
    app: App[None] = App()
    async with app.run_test() as pilot:
        app.register_theme(theme)
        app.theme = theme.name
        await pilot.pause()
        label = VipLabel("VIP")
        await app.mount(label)
        await pilot.pause()
        assert app.current_theme is theme
        assert app.native_ansi_color is theme.ansi
        assert label.styles.color == Color.parse(theme.variables["vip"])
        # Drawn as given: an ANSI colour stays native, never turned into RGB and back.
        drawn = next(seg for seg in label.render_line(0) if seg.text.strip())
        assert drawn.style is not None
        assert drawn.style.color == Color.parse(theme.variables["vip"]).rich_color


class TokenDefaultsApp(App[None]):
    def get_theme_variable_defaults(self) -> dict[str, str]:
        return app_tokens(BUILTINS[DEFAULT_THEME])


async def test_textual_themes_fall_back_to_the_default_tokens() -> None:
    # Textual's own themes (nord, gruvbox…) stay in the palette; they lack the app tokens.
    app = TokenDefaultsApp()
    async with app.run_test() as pilot:
        label = VipLabel("VIP")
        await app.mount(label)
        app.theme = "nord"
        await pilot.pause()
        assert label.styles.color == Color.parse(BUILTINS[DEFAULT_THEME].variables["vip"])
