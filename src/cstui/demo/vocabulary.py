"""The demo world's vocabulary: how each kind of request is handled, the seed's own short
texts, and the weighted choices the plan and the stories draw from.

Names, places, carriers, products and the conversations themselves come from the
hand-written fixtures (`cstui.demo.fixtures`); what is here is the story's own machinery.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import accumulate
from random import Random
from typing import Generic, TypeVar

from cstui.domain import events
from cstui.domain.model import (
    Category,
    Channel,
    ComplaintCause,
    Department,
    EscalationState,
    GoodsType,
    MessageKind,
    Priority,
    ResolutionCode,
    Status,
    Tier,
)

DEFAULT_NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, after Double 11
_DAY = 86_400

T = TypeVar("T")


@dataclass(frozen=True)
class _Handling:
    """How one category of request usually ends, and who helps."""

    codes: tuple[str, ...]  # resolution codes, the usual outcome first
    departments: tuple[Department, ...]
    escalate: float  # the share of these tickets that need a department


_RC = ResolutionCode
_D = Department
_HANDLING: dict[Category, _Handling] = {
    Category.LOGISTICS: _Handling(
        (_RC.INFO_PROVIDED, _RC.SOLVED), (_D.LOGISTICS, _D.WAREHOUSE), 0.03
    ),
    Category.ADDRESS: _Handling((_RC.SOLVED,), (_D.LOGISTICS, _D.WAREHOUSE), 0.02),
    Category.RETURN: _Handling(
        (_RC.REPLACED, _RC.REFUNDED, _RC.REJECTED), (_D.WAREHOUSE, _D.QC, _D.LOGISTICS), 0.35
    ),
    Category.REFUND: _Handling((_RC.REFUNDED, _RC.REJECTED), (_D.FINANCE, _D.WAREHOUSE), 0.30),
    Category.REPAIR: _Handling((_RC.REPAIRED, _RC.REPLACED), (_D.REPAIR, _D.QC), 0.50),
    Category.PARTS: _Handling((_RC.REPLACED, _RC.SOLVED), (_D.REPAIR, _D.WAREHOUSE), 0.50),
    Category.INVOICE: _Handling((_RC.SOLVED, _RC.INFO_PROVIDED), (_D.FINANCE,), 0.25),
    Category.PROMOTION: _Handling(
        (_RC.INFO_PROVIDED, _RC.COMPENSATED, _RC.REJECTED), (_D.MARKETING,), 0.20
    ),
    Category.PRODUCT: _Handling((_RC.INFO_PROVIDED,), (_D.QC, _D.TECH), 0.10),
    Category.ACCOUNT: _Handling((_RC.SOLVED,), (_D.TECH, _D.FINANCE), 0.30),
    Category.COMPLAINT: _Handling(
        (_RC.COMPENSATED, _RC.SOLVED, _RC.REJECTED), (_D.SUPERVISOR, _D.QC), 0.60
    ),
}
_CATEGORIES = tuple(_HANDLING)
_HANDLING_LIST = tuple(_HANDLING.values())
_CAT_S = tuple(c.value for c in _CATEGORIES)
_COMPLAINT_CAT = _CATEGORIES.index(Category.COMPLAINT)
_BASIC_CATS = frozenset(_CATEGORIES.index(c) for c in (Category.LOGISTICS, Category.ADDRESS))
# Requests on fresh food or medical devices that go to the green channel (绿色通道).
_GREEN_ESC_CATS = frozenset(
    _CATEGORIES.index(c)
    for c in (Category.RETURN, Category.REFUND, Category.REPAIR, Category.PARTS, Category.COMPLAINT)
)
_ORDER_SHARE = {Category.PRODUCT: 0.2, Category.PROMOTION: 0.3, Category.ACCOUNT: 0.15}

# (Chinese, English) texts the story falls back on once a scenario has no fitting turn left
# (see `replay._Replay._say`): the conversation stays in the customer's language.
Text = tuple[str, str]
_CHASES: tuple[Text, ...] = (
    ("还有人处理吗？", "Is anyone looking at this?"),
    ("请尽快回复，谢谢。", "Please reply as soon as you can, thanks."),
    ("催一下，今天能解决吗？", "Just chasing: can this be sorted out today?"),
    ("有进展了吗？", "Any update on this?"),
)
_FOLLOWS: tuple[Text, ...] = (
    ("好的，我再等等。", "OK, I'll wait a bit longer."),
    ("收到，谢谢。", "Got it, thank you."),
    ("还是没有解决，请再看看。", "It still isn't solved, please take another look."),
    ("好的，谢谢。接下来怎么处理？", "OK, thanks. What happens next?"),
)
_REPLIES: tuple[Text, ...] = (
    (
        "您好，这边一直在为您跟进，有进展会第一时间通知您。",
        "Hello, I am following this up and will tell you as soon as there is news.",
    ),
    ("已收到您的消息，正在为您核实，请稍候。", "Thanks for your message, I am checking it now."),
    (
        "已为您登记，处理结果会短信通知您，请留意查收。",
        "I have logged it for you; the outcome will come to you by text message.",
    ),
    (
        "感谢您的耐心等待，还有其他问题随时联系我。",
        "Thank you for your patience. Contact me any time if there is anything else.",
    ),
)
_NOTES: tuple[Text, ...] = (
    ("已联系仓库核实，等待回复。", "Asked the warehouse to check, waiting for their answer."),
    ("客户情绪较激动，已安抚。", "The customer was upset; calmed them down."),
    ("已在系统中备注，明早跟进。", "Noted in the system, follow up tomorrow morning."),
    ("已同步质检部，今日16:00同步会确认。", "Passed to QC, to confirm at today's 16:00 sync."),
    ("已致电快递员，等待回电。", "Called the courier, waiting for a call back."),
)
_ESC_REASONS = (
    "需要仓库确认退货入库",
    "质检结果待确认",
    "物流异常需要快递公司核实",
    "需要财务审批退款",
    "系统故障导致支付异常",
    "促销规则需要市场部解释",
    "客户要求超出权限的补偿",
    "配件需要调配",
)
_ACK_NOTES = ("已收到，处理中", "今天16:00同步会反馈", "已安排专人跟进")
_DONE_NOTES = ("已处理完毕", "退货已入库并登记", "已完成审批")
_REJECT_NOTES = ("不符合政策，驳回", "信息不完整，请补充后再提")
_TRANSFER_REASONS = (
    "需要退款权限",
    "客户要求英文服务",
    "交接班，转给晚班同事",
    "涉及大客户，转给资深客服",
)
_FOLLOW_UP_NOTES = ("已回访，客户表示满意", "已回访，客户接受补偿方案", "回访未接通，已短信告知")
_GREEN_REASONS = ("生鲜商品变质，需两小时内处理", "医疗设备故障，客户急用")
_STEAL_REASON = "客户要求主管处理"
_DENY_NOTE = "请先自行处理"

_GOODS = (
    GoodsType.GENERAL,
    GoodsType.ELECTRONICS,
    GoodsType.APPAREL,
    GoodsType.FRESH,
    GoodsType.MEDICAL,
)
_GOODS_S = tuple(g.value for g in _GOODS)
_FRESH, _MEDICAL = 3, 4
_GOODS_PRICE = (180.0, 1500.0, 260.0, 120.0, 900.0)  # a typical amount per goods type
_TIERS = tuple(Tier)
_TIER_S = tuple(t.value for t in _TIERS)
_TIER_INDEX = {t.value: n for n, t in enumerate(_TIERS)}

# Ticket statuses by index; the plan stores indexes, the story turns them into words.
_NEW, _OPEN, _PENDING, _ON_HOLD, _RESOLVED, _CLOSED = range(6)
_STATUSES = (
    Status.NEW,
    Status.OPEN,
    Status.PENDING,
    Status.ON_HOLD,
    Status.RESOLVED,
    Status.CLOSED,
)
_STATUS_S = tuple(s.value for s in _STATUSES)
# Status shares by age in days: the recent surge is mostly open work, the old tail closed.
_STATUS_BY_AGE = (
    (1, (76, 11, 4, 4, 5, 0)),
    (3, (70, 11, 5, 4, 8, 2)),
    (10, (60, 10, 6, 5, 11, 8)),
    (30, (3, 3, 2, 2, 15, 75)),
    (10**6, (0.5, 0.5, 0.5, 0.5, 3, 95)),
)
# A floor that keeps up (the demo's, `live=True`): the open work is the last hours' and
# days' (most of it taken), everything older is done, so deadlines are near, not weeks past.
_STATUS_BY_AGE_LIVE = (
    (2 / 24, (55, 30, 5, 2, 8, 0)),
    (8 / 24, (12, 45, 15, 5, 20, 3)),
    (1, (3, 30, 20, 7, 30, 10)),
    (3, (0.3, 6, 8, 4, 30, 51.7)),
    (30, (0, 0.3, 0.5, 0.4, 8, 90.8)),
    (10**6, (0, 0.05, 0.05, 0.1, 2, 97.8)),
)
# Arrivals as (from age, to age in days, share of tickets): a steady autumn, then Double 11.
_ARRIVALS = ((120, 10, 0.45), (10, 9, 0.08), (9, 7, 0.15), (7, 0, 0.32))

# The words the story keeps as plain strings (cheaper to bind and to pickle), as the event
# payloads name them.
_CHANNELS = {c.value: c for c in Channel}
_CODES = {c.value: c for c in ResolutionCode}
_KIND_OF = {cls: cls.KIND.value for cls in events.PAYLOADS.values()}  # by class: cheap
_CUSTOMER, _REPLY, _NOTE = (
    MessageKind.CUSTOMER.value,
    MessageKind.REPLY.value,
    MessageKind.NOTE.value,
)
_REQUESTED, _ACKNOWLEDGED, _DONE, _REJECTED = (s.value for s in EscalationState)


class _Pick(Generic[T]):
    """A weighted choice by bisection: several times cheaper than `Random.choices`."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        self.items = tuple(items)
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]

    def __call__(self, rng: Random) -> T:
        i = bisect_right(self.cum, rng.random() * self.total)
        return self.items[min(i, len(self.items) - 1)]


_PICK_CATEGORY = _Pick(range(len(_CATEGORIES)), (24, 6, 16, 14, 5, 3, 5, 8, 10, 4, 1.4))
_PICK_CHANNEL = _Pick(
    (
        Channel.CHAT.value,
        Channel.PHONE.value,
        Channel.APP.value,
        Channel.EMAIL.value,
        Channel.SOCIAL.value,
    ),
    (40, 20, 20, 10, 10),
)
_PICK_GOODS = _Pick(range(len(_GOODS)), (40, 22, 26, 8, 4))
_PICK_CAUSE = _Pick(tuple(c.value for c in ComplaintCause), (25, 20, 30, 15, 10))
_PRIORITIES = (Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW)
_PICK_PRIORITY_VIP = _Pick(_PRIORITIES, (8, 30, 52, 10))
_PICK_PRIORITY = _Pick(_PRIORITIES, (4, 16, 62, 18))
_PICK_ROUNDS_DONE = _Pick((0, 1, 2, 3), (45, 35, 15, 5))
_PICK_ROUNDS_OPEN = _Pick((0, 1, 2), (60, 30, 10))
_PICK_SCORE = _Pick((1, 2, 3, 4, 5), (1.2, 2.3, 6.5, 28, 62))
_PICK_SCORE_UNHAPPY = _Pick((1, 2, 3, 4, 5), (15, 20, 25, 25, 15))
_StatusTable = tuple[tuple[float, _Pick[int]], ...]


def _status_table(shares: tuple[tuple[float, tuple[float, ...]], ...]) -> _StatusTable:
    return tuple((limit, _Pick(range(6), weights)) for limit, weights in shares)


_PICK_STATUS = _status_table(_STATUS_BY_AGE)
_PICK_STATUS_LIVE = _status_table(_STATUS_BY_AGE_LIVE)
