"""docs/config.example.toml: it loads as it is, and it names every setting and every
CSTUI_ variable the code reads (a new one without a line there fails here)."""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from cstui.config import Settings, load_settings, rules_from_settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "config.example.toml"
# Values written in one short form: a secret's { env = … } and a day span "2027-02-01..03".
WRITTEN_SHORT = {"SecretRef", "DaySpan"}


def _models(annotation: object) -> list[type[BaseModel]]:
    """The models inside a field's type: itself, Optional, list[...] or dict[str, ...]."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            found += _models(arg)
    return found


def _paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    paths = []
    for name, info in model.model_fields.items():
        nested = _models(info.annotation)
        if nested and nested[0].__name__ not in WRITTEN_SHORT:
            paths += [f"{prefix}{name}"]
            for m in nested:
                paths += _paths(m, f"{prefix}{name}.")
        else:
            paths.append(f"{prefix}{name}")
    return paths


def test_the_example_loads_and_builds_the_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSTUI_CONFIG_FILE", str(EXAMPLE))
    settings = load_settings()
    rules_from_settings(settings)
    assert settings.channels.mailboxes[0].name == "support"  # the file was read
    defaults = Settings.model_construct()
    assert settings.sla == defaults.sla and settings.tiers == defaults.tiers


def test_every_setting_has_a_line() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    keys = set(re.findall(r"^[#\s]*([a-z_]+)\s*=", text, flags=re.M))
    keys |= {k for line in re.findall(r"\{([^}]*)\}", text) for k in re.findall(r"(\w+) =", line)}
    sections = set(re.findall(r"^#?\s*\[\[?([a-z_.]+)\]?\]", text, flags=re.M))
    missing = []
    for path in _paths(Settings):
        leaf = path.rsplit(".", 1)[-1]
        if leaf not in keys and not any(s.endswith(path) or leaf in s.split(".") for s in sections):
            missing.append(path)
    assert missing == []


def test_every_environment_variable_is_named() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    used = set()
    for source in (ROOT / "src" / "cstui").rglob("*.py"):
        used |= set(re.findall(r"CSTUI_[A-Z_]*[A-Z]", source.read_text(encoding="utf-8")))
    settings = {f"CSTUI_{name.upper()}" for name in Settings.model_fields}
    nested = {v for v in used if "__" in v}  # examples of the nesting rule
    missing = sorted(v for v in used - settings - nested if v not in text)
    assert missing == []
