"""The threading rule and the subject reading it relies on (pure: `domain.threading`,
`domain.subject`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cstui.domain.model import Status
from cstui.domain.rules import ChannelPolicy
from cstui.domain.subject import normalise_subject, strip_subject, survey_answer, ticket_tag
from cstui.domain.threading import Action, Candidate, Lookups, Via, decide

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
POLICY = ChannelPolicy()


def ticket(
    tid: int = 7,
    *,
    status: Status = Status.OPEN,
    days_quiet: float = 0,
    resolved_days_ago: float | None = None,
    subject: str = "订单没到",
    same_customer: bool = True,
) -> Candidate:
    resolved = None if resolved_days_ago is None else NOW - timedelta(days=resolved_days_ago)
    return Candidate(
        ticket_id=tid,
        status=status,
        resolved_at=resolved,
        last_activity_at=NOW - timedelta(days=days_quiet),
        same_customer=same_customer,
        subject=subject,
    )


@pytest.mark.parametrize(
    ("subject", "stripped"),
    [
        ("Re: 订单没到", "订单没到"),
        ("回复：订单没到", "订单没到"),
        ("答复: RE: Fwd: 订单没到", "订单没到"),
        ("转发：  订单   没到 ", "订单 没到"),
        ("RE[2]: [#123] 订单没到", "订单没到"),
        ("AW: SV: 【#9】 退款", "退款"),
        ("Re:", ""),
        ("Rebate question", "Rebate question"),  # "Re" only with its colon
        ("订单 Re: 没到", "订单 Re: 没到"),  # a prefix only at the start
        # the customer's own full-width punctuation stays as written; only ours is read folded
        ("回复：［＃１２］ 快递箱压坏了，杯子碎了！（急）", "快递箱压坏了，杯子碎了！（急）"),
        ("Ｒｅ：ｉＰｈｏｎｅ 屏幕", "ｉＰｈｏｎｅ 屏幕"),
    ],
)
def test_subjects_lose_reply_prefixes_and_our_tag(subject: str, stripped: str) -> None:
    assert strip_subject(subject) == stripped


def test_normalised_subjects_compare_case_and_width_blind() -> None:
    assert normalise_subject("RE: Order LATE") == normalise_subject("order late")
    assert normalise_subject("Ｒｅ：订单") == normalise_subject("订单")


@pytest.mark.parametrize(
    ("subject", "prefix", "tag"),
    [
        ("Re: [#1234] 订单没到", "#", 1234),
        ("【#56】退款", "#", 56),
        ("[ # 7 ]", "#", 7),
        ("[#１２]", "#", 12),  # full-width digits from a Chinese input method
        ("[CS-88] x", "CS-", 88),
        ("[#2147483648] too big", "#", None),
        ("#1234 without brackets", "#", None),
        ("[#abc]", "#", None),
    ],
)
def test_ticket_tags(subject: str, prefix: str, tag: int | None) -> None:
    assert ticket_tag(subject, prefix) == tag


@pytest.mark.parametrize(
    ("text", "score"),
    [("5", 5), (" 4分\n> quoted", 4), ("５", 5), ("3.", 3), ("\n\n1 star", 1)],
)
def test_a_digit_answers_a_survey(text: str, score: int) -> None:
    assert survey_answer(text) == score


@pytest.mark.parametrize("text", ["6", "0", "5 but the parcel is broken", "谢谢", "", "55"])
def test_anything_else_is_no_answer(text: str) -> None:
    assert survey_answer(text) is None


def test_a_duplicate_beats_everything() -> None:
    d = decide(Lookups(duplicate_of=3, tag=ticket(7)), policy=POLICY, now=NOW)
    assert (d.action, d.ticket_id, d.via) == (Action.DUPLICATE, 3, Via.DUPLICATE)


def test_the_tag_comes_before_references_and_subject() -> None:
    found = Lookups(
        subject="订单没到", tag=ticket(1), reference=ticket(2), sender_tickets=(ticket(3),)
    )
    d = decide(found, policy=POLICY, now=NOW)
    assert (d.action, d.ticket_id, d.via) == (Action.APPEND, 1, Via.TAG)


def test_references_come_before_the_conversation_and_subject() -> None:
    found = Lookups(
        subject="订单没到", reference=ticket(2), conversation=ticket(4), sender_tickets=(ticket(3),)
    )
    d = decide(found, policy=POLICY, now=NOW)
    assert (d.action, d.ticket_id, d.via) == (Action.APPEND, 2, Via.REFERENCE)


def test_a_conversation_threads_chat() -> None:
    d = decide(Lookups(conversation=ticket(4)), policy=POLICY, now=NOW)
    assert (d.action, d.ticket_id, d.via) == (Action.APPEND, 4, Via.CONVERSATION)


def test_same_subject_threads_onto_the_latest_open_ticket_in_the_window() -> None:
    tickets = (
        ticket(1, days_quiet=3),
        ticket(2, days_quiet=1),
        ticket(3, days_quiet=0, subject="别的事"),
        ticket(4, days_quiet=0, status=Status.RESOLVED, resolved_days_ago=0),
        ticket(5, days_quiet=0, same_customer=False),
    )
    d = decide(Lookups(subject="回复: 订单没到", sender_tickets=tickets), policy=POLICY, now=NOW)
    assert (d.action, d.ticket_id, d.via) == (Action.APPEND, 2, Via.SUBJECT)


def test_same_subject_after_the_window_opens_a_new_ticket() -> None:
    found = Lookups(subject="Re: 订单没到", sender_tickets=(ticket(1, days_quiet=7.01),))
    assert decide(found, policy=POLICY, now=NOW).action is Action.NEW
    inside = Lookups(subject="Re: 订单没到", sender_tickets=(ticket(1, days_quiet=6.99),))
    assert decide(inside, policy=POLICY, now=NOW).action is Action.APPEND


def test_an_empty_subject_threads_nothing_by_subject() -> None:
    found = Lookups(subject="Re:", sender_tickets=(ticket(1, subject=""),))
    assert decide(found, policy=POLICY, now=NOW).action is Action.NEW


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CLOSED])
def test_a_reply_soon_after_resolving_reopens(status: Status) -> None:
    found = Lookups(tag=ticket(9, status=status, resolved_days_ago=6.9))
    d = decide(found, policy=POLICY, now=NOW)
    assert (d.action, d.ticket_id) == (Action.REOPEN, 9)


def test_a_late_reply_opens_a_linked_ticket() -> None:
    found = Lookups(reference=ticket(9, status=Status.CLOSED, resolved_days_ago=7.1))
    d = decide(found, policy=POLICY, now=NOW)
    assert (d.action, d.ticket_id, d.via) == (Action.NEW_LINKED, 9, Via.REFERENCE)


def test_the_windows_come_from_the_policy() -> None:
    policy = ChannelPolicy(reopen_window=timedelta(days=1), thread_window=timedelta(hours=1))
    late = Lookups(tag=ticket(9, status=Status.RESOLVED, resolved_days_ago=2))
    assert decide(late, policy=policy, now=NOW).action is Action.NEW_LINKED
    quiet = Lookups(subject="订单没到", sender_tickets=(ticket(1, days_quiet=0.1),))
    assert decide(quiet, policy=policy, now=NOW).action is Action.NEW


def test_another_customers_ticket_is_never_written_to() -> None:
    for found in (
        Lookups(tag=ticket(5, same_customer=False)),
        Lookups(reference=ticket(5, same_customer=False)),
    ):
        d = decide(found, policy=POLICY, now=NOW)
        assert (d.action, d.ticket_id) == (Action.NEW_LINKED, 5)


def test_nothing_found_is_a_new_ticket() -> None:
    d = decide(Lookups(subject="你好"), policy=POLICY, now=NOW)
    assert (d.action, d.ticket_id, d.via) == (Action.NEW, None, Via.NONE)


AGREED = [
    "Re: [#1234] 订单没到",
    "回复：订单没到",
    "答复: RE: Fwd: 订单没到",
    "RE[2]: [#12] 退款 [#34]",
    "自动回复: 发票",
    "Ｒｅ：［＃５６］ Order LATE",
    "Re:",
    "",
    "[#x] 没有编号",
]


@pytest.mark.parametrize("subject", AGREED)
def test_the_parser_and_the_store_read_subjects_alike(subject: str) -> None:
    from cstui.mail import subject as mail_subject

    assert ticket_tag(subject) == mail_subject.ticket_tag(subject)
    assert normalise_subject(subject) == mail_subject.normalise(subject)


def test_the_channel_settings_reach_the_rules() -> None:
    from cstui.channel_config import ChannelSettings, SurveySettings
    from cstui.config import Settings, rules_from_settings

    settings = Settings(
        channels=ChannelSettings(
            address="Support@Shop.Example.CN",
            ticket_tag_prefix="CS-",
            thread_days=3,
            reopen_days=14,
            acknowledge_new=True,
            acknowledge_per_hour=1,
            attachment_max_bytes=1000,
            max_attempts=2,
            survey=SurveySettings(enabled=False),
        )
    )
    policy = rules_from_settings(settings).channels
    assert policy == ChannelPolicy(
        address="support@shop.example.cn",
        tag_prefix="CS-",
        thread_window=timedelta(days=3),
        reopen_window=timedelta(days=14),
        acknowledge_new=True,
        acknowledge_per_hour=1,
        attachment_max_bytes=1000,
        max_attempts=2,
        survey=False,
    )
    assert policy.domain == "shop.example.cn"
