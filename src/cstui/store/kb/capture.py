"""Knowledge capture: a ticket's thread becomes a draft case for a supervisor to publish."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select

from cstui.domain.model import Article, ArticleKind, ArticleLang, Category, Message, MessageKind
from cstui.errors import Conflict, NotFound
from cstui.search.segment import CJK_CLASS
from cstui.store.base import NewArticle
from cstui.store.kb.articles import MAX_BODY, MAX_TITLE, article_from, insert_article, validated
from cstui.store.schema import TICKETS
from cstui.store.tx import Tx

CATEGORY_TAGS: dict[Category, str] = {
    Category.LOGISTICS: "物流",
    Category.ADDRESS: "修改地址",
    Category.RETURN: "退换货",
    Category.REFUND: "退款",
    Category.REPAIR: "维修",
    Category.PARTS: "配件",
    Category.INVOICE: "发票",
    Category.PROMOTION: "优惠券",
    Category.PRODUCT: "产品咨询",
    Category.ACCOUNT: "账户安全",
    Category.COMPLAINT: "投诉",
}
THREAD_HEADINGS: dict[ArticleLang, tuple[str, str]] = {
    ArticleLang.ZH: ("客户问题：", "客服答复："),
    ArticleLang.EN: ("Question:", "Answer:"),
}
_CJK = re.compile(f"[{CJK_CLASS}]")
_WORD = re.compile(rf"[^\W\d_{CJK_CLASS}]+")


def guess_lang(text_: str) -> ArticleLang:
    """Chinese when the text has at least as many Chinese words as other words.

    Chinese text often holds a Latin word (iPhone, VIP), English text now and then a
    Chinese term in brackets (质检): a count, not the mere presence, tells them apart.
    A Chinese word is counted as two characters, the most common length.
    """
    cjk = len(_CJK.findall(text_))
    return ArticleLang.ZH if cjk >= 2 * len(_WORD.findall(text_)) else ArticleLang.EN


def capture_article(tx: Tx, *, ticket_id: int, actor: str) -> Article:
    """A draft case from a ticket's thread, for a supervisor to publish (one transaction)."""
    now = tx.clock()
    tx.agent(actor)
    q = select(TICKETS.c.subject, TICKETS.c.category).where(TICKETS.c.id == ticket_id)
    ticket = tx.conn.execute(q).mappings().first()
    if ticket is None:
        raise NotFound(f"ticket {ticket_id}: no such ticket")
    thread = tx.messages(ticket_id)
    new = draft_from_thread(ticket_id, ticket["subject"], Category(ticket["category"]), thread)
    values = validated(new, now)
    values["author"] = actor
    insert_article(tx, values, actor=actor, at=now)
    return article_from(values)


def draft_from_thread(
    ticket_id: int, subject: str, category: Category, messages: Sequence[Message]
) -> NewArticle:
    """The customer's questions, then the agents' replies, without their authors' names.

    Internal notes never leave the ticket. The draft may still quote what the customer wrote
    (an order number, a phone): the supervisor who publishes it reads it first.
    """
    questions = _bodies(messages, MessageKind.CUSTOMER)
    replies = _bodies(messages, MessageKind.REPLY)
    if not questions and not replies:
        raise Conflict(f"ticket {ticket_id}: nothing to capture (no question and no reply)")
    title = " ".join(subject.split()) or f"#{ticket_id}"
    lang = guess_lang("\n".join([title, *questions, *replies]))
    sections = [
        heading + "\n" + "\n\n".join(bodies)
        for heading, bodies in zip(THREAD_HEADINGS[lang], (questions, replies), strict=True)
        if bodies
    ]
    other = ArticleLang.EN if lang is ArticleLang.ZH else ArticleLang.ZH
    labels = {ArticleLang.ZH: CATEGORY_TAGS[category], ArticleLang.EN: category.value}
    return NewArticle(
        title=_cut(title, MAX_TITLE),
        body=_cut("\n\n".join(sections), MAX_BODY),
        kind=ArticleKind.CASE,
        lang=lang,
        tags=(labels[lang], labels[other]),
        category=category,
        draft=True,
        source_ticket_id=ticket_id,
    )


def _bodies(messages: Sequence[Message], kind: MessageKind) -> list[str]:
    return [m.body.strip() for m in messages if m.kind is kind and m.body.strip()]


def _cut(value: str, limit: int) -> str:
    """At most `limit` characters; a long thread loses its end, marked with `…`."""
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"
