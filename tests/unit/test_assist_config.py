"""`[assist]`: off by default, validated with one line naming the setting; the ticket's
triage survives the wire."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cstui.assist_config import AssistSettings, assist_policy
from cstui.domain.model import Category
from cstui.domain.rules import ANSWERABLE


def test_off_by_default_then_the_answerable_categories() -> None:
    assert assist_policy(AssistSettings()).categories == frozenset()
    on = assist_policy(AssistSettings(enabled=True))
    assert on.categories == ANSWERABLE and not on.review
    some = assist_policy(
        AssistSettings(enabled=True, categories=["invoice"], mode="draft", min_confidence=0.9)
    )
    assert some.categories == {Category.INVOICE} and some.review and some.min_confidence == 0.9


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"categories": ["parcel"]}, "no category 'parcel'"),
        ({"categories": ["complaint"]}, "never answered automatically"),
        ({"mode": "auto"}, "'send' or 'draft'"),
        ({"min_confidence": 1.5}, "less than or equal to 1"),
    ],
)
def test_a_wrong_value_says_what_is_wrong(given: dict[str, object], said: str) -> None:
    with pytest.raises(ValidationError) as caught:
        AssistSettings.model_validate(given)
    assert said in str(caught.value)
