"""Small modal forms for the workflows: pick one, give a reason, confirm.

Each dialog dismisses with its answer, or None when cancelled (Esc); the app then calls the
store. Everything is reachable from the keyboard: arrows pick, Tab moves, Enter confirms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from cstui.console.safe import assemble, plain
from cstui.i18n import t

DIALOG_CSS = """
    {name} {{ align: center middle; }}
    {name} > Vertical {{
        width: 64; max-width: 100%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 1 2;
    }}
    {name} OptionList {{ height: auto; max-height: 12; }}
    {name} .dialog-error {{ color: $error; height: auto; }}
    {name} Horizontal {{ height: auto; align-horizontal: right; }}
    {name} Button {{ margin-left: 1; }}
"""


@dataclass(frozen=True)
class Answer:
    choice: str | None
    text: str
    checked: bool


class FormDialog(ModalScreen[Answer | None]):
    """A title, an optional list to pick from, an optional text field and a checkbox."""

    DEFAULT_CSS = DIALOG_CSS.format(name="FormDialog")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(
        self,
        title: str,
        *,
        choices: Sequence[tuple[str, str]] = (),
        choice_label: str = "",
        text_label: str | None = None,
        text_required: bool = False,
        initial_text: str = "",
        check_label: str | None = None,
        checked: bool = False,
    ) -> None:
        super().__init__()
        self.title_text, self.choices, self.choice_label = title, choices, choice_label
        self.text_label, self.text_required = text_label, text_required
        self.initial_text, self.check_label = initial_text, check_label
        self.checked = checked

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(self.title_text), classes="dialog-title")
            if self.choices:
                yield Label(self.choice_label)
                yield OptionList(*(Option(plain(text), id=value) for value, text in self.choices))
            if self.text_label is not None:
                yield Label(self.text_label)
                yield Input(value=self.initial_text, id="dialog-text")
            if self.check_label is not None:
                yield Checkbox(self.check_label, self.checked, id="dialog-check")
            yield Static("", classes="dialog-error")
            with Horizontal():
                yield Button(t("dialog.cancel"), id="cancel")
                yield Button(t("dialog.ok"), variant="primary", id="ok")

    def on_mount(self) -> None:
        if self.choices:
            options = self.query_one(OptionList)
            options.highlighted = 0
            options.focus()
        elif self.text_label is not None:
            self.query_one(Input).focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self.text_label is not None:
            self.query_one(Input).focus()
        else:
            self._finish()

    @on(Input.Submitted)
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        self._finish()

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self._finish()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def _finish(self) -> None:
        choice = None
        if self.choices:
            options = self.query_one(OptionList)
            index = options.highlighted if options.highlighted is not None else 0
            choice = options.get_option_at_index(index).id
        text = self.query_one(Input).value.strip() if self.text_label is not None else ""
        if self.text_required and not text:
            self.query_one(".dialog-error", Static).update(
                t("dialog.required", field=self.text_label)
            )
            return
        checked = self.query_one(Checkbox).value if self.check_label is not None else False
        self.dismiss(Answer(choice, text, checked))


class ConfirmDialog(ModalScreen[bool]):
    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmDialog")
    BINDINGS = [
        Binding("escape,n", "answer(False)", "No", id="confirm.no"),
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(self.question))
            with Horizontal():
                yield Button(t("dialog.no"), id="no")
                yield Button(t("dialog.yes"), variant="warning", id="yes")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class HelpScreen(ModalScreen[None]):
    """Every key that applies, with what it does (`?`)."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="HelpScreen")
        + """
    HelpScreen > Vertical { width: 72; }
    HelpScreen VerticalScroll { height: auto; max-height: 30; }
    """
    )
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close", id="help.close")]

    def __init__(
        self, rows: Sequence[tuple[str, str]], legend: Sequence[tuple[str, str]] = ()
    ) -> None:
        super().__init__()
        self.rows, self.legend = rows, legend

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(t("help.title"), classes="dialog-title")
            with VerticalScroll():
                # Plain text put together: a key such as `[` is never read as markup.
                yield Static(_table(self.rows), id="help-keys")
                if self.legend:
                    yield Label(t("help.legend"), classes="dialog-title")
                    yield Static(_table(self.legend), id="help-legend")
            yield Static(plain(t("help.footer")), classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)


def _table(rows: Sequence[tuple[str, str]]) -> Content:
    parts: list[str | tuple[str, str]] = []
    for key, words in rows:
        parts += [(f"{key:>12}", "bold"), f"  {words}\n"]
    return assemble(*parts)
