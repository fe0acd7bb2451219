"""Text from outside made inert: no control reaches a terminal, plain text is left alone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cstui.console.render import fit
from cstui.console.safe import assemble, plain
from cstui.domain.display import inert, inert_spans

# Everything that must never come out: C0 but tab and newline, DEL, C1, the bidirectional
# controls, lone surrogates.
FORBIDDEN = {
    *(chr(c) for c in range(0x20) if chr(c) not in "\t\n"),
    *(chr(c) for c in range(0x7F, 0xA0)),
    *"\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
    *(chr(c) for c in range(0xD800, 0xE000)),
}
HOSTILE = [*sorted(FORBIDDEN), "\r\n", "\x1b]52;c;SGVsbG8=\x07", "\x1b[6n"]

anything = st.lists(st.characters(exclude_categories=()) | st.sampled_from(HOSTILE)).map("".join)
# Letters, digits, marks, punctuation, symbols (emoji too), spaces, tab and newline.
readable = st.text(
    st.characters(categories=("L", "M", "N", "P", "S", "Zs")) | st.sampled_from("\t\n")
)


@given(anything)
def test_nothing_that_controls_a_terminal_comes_out(text: str) -> None:
    assert not FORBIDDEN & set(inert(text))


@given(readable)
def test_plain_text_comes_back_unchanged(text: str) -> None:
    assert inert(text) is text


@given(anything)
def test_idempotent(text: str) -> None:
    once = inert(text)
    assert inert(once) == once


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("退款没到账 refund 🙏\tOK\n", "退款没到账 refund 🙏\tOK\n"),
        ("\x1b]52;c;SGVsbG8=\x07", "␛]52;c;SGVsbG8=␇"),
        ("\x1b]0;pwned\x07", "␛]0;pwned␇"),
        ("\x1b[2J\x1b[6n", "␛[2J␛[6n"),
        (
            "\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\",
            "␛]8;;http://evil.example/␛\\link␛]8;;␛\\",
        ),
        ("abc\u202edef", "abc⟨U+202E⟩def"),
        ("\u2066x\u2069\u200f", "⟨U+2066⟩x⟨U+2069⟩⟨U+200F⟩"),
        ("\x9b2J", "⟨U+009B⟩2J"),
        ("paid\rrefunded", "paid␍refunded"),  # a lone CR would draw over the line
        ("line 1\r\nline 2", "line 1\nline 2"),  # CR LF is a line break
        ("\x00\x7f", "␀␡"),
        ("x\ud800y", "x⟨U+D800⟩y"),
    ],
)
def test_each_control_is_shown(text: str, shown: str) -> None:
    assert inert(text) == shown


@st.composite
def text_and_spans(draw: st.DrawFn) -> tuple[str, list[tuple[int, int]]]:
    text = draw(anything)
    cuts = sorted(draw(st.sets(st.integers(0, len(text)), max_size=6)))
    return text, list(zip(cuts[::2], cuts[1::2], strict=False))


@given(text_and_spans())
def test_spans_mark_the_same_characters_once_inert(case: tuple[str, list[tuple[int, int]]]) -> None:
    text, spans = case
    shown, moved = inert_spans(text, spans)
    assert not FORBIDDEN & set(shown)
    assert [shown[a:b] for a, b in moved] == [inert(text[a:b]) for a, b in spans if a < b]
    if "\r" not in text:  # (a span may cut a CR LF in two: each half is then shown)
        assert shown == inert(text)


def test_search_highlights_follow_their_words() -> None:
    text = "\x1b[2J\u202erefund"
    shown, spans = inert_spans(text, [(5, 11)])
    assert [shown[a:b] for a, b in spans] == ["refund"]


def test_textual_content_is_never_markup_nor_control() -> None:
    assert plain("[@click=app.quit]x[/]").plain == "[@click=app.quit]x[/]"
    content = assemble(("[bold red]\x1b[2J", "bold"), " ", "[/]\u202e")
    assert content.plain == "[bold red]␛[2J [/]⟨U+202E⟩"


def test_a_fitted_column_is_inert_and_exactly_wide() -> None:
    assert fit("\x1b]0;pwned\x07 refund", 12) == "␛]0;pwned␇ …"
