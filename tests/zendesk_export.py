"""A Zendesk-format ticket export, generated (seeded, reproducible), for the import's tests
and its benchmark: `{"tickets": [...with comments], "users": [...]}` as Zendesk's API gives
them (`via.channel`, `requester_id`, `assignee_id`, `satisfaction_rating`, comments with
`author_id`, `plain_body`, `public`, `created_at`)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

START = datetime(2025, 1, 6, tzinfo=UTC)
STATUSES = ["solved"] * 5 + ["closed"] * 3 + ["open", "pending", "new", "hold"]
CHANNELS = ["email", "email", "web", "chat", "voice", "twitter", "mobile"]
TAGS = ["refund", "logistics", "return", "vip", "invoice", "repair"]


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_export(tickets: int, *, seed: int = 0, agents: int = 12, days: int = 60) -> dict[str, Any]:
    rng = random.Random(seed)
    n_customers = max(3, tickets // 3)
    users: list[dict[str, Any]] = [
        {
            "id": 1000 + a,
            "name": f"Agent {a}",
            "email": f"agent{a}@shop.example",
            "role": "admin" if a == 0 else "agent",
            "created_at": _iso(START - timedelta(days=400)),
        }
        for a in range(agents)
    ]
    users += [
        {
            "id": 100000 + c,
            "name": f"顾客 {c}",
            "email": f"buyer{c}@mail.example" if c % 7 else None,
            "phone": f"+86 138 0000 {c % 10000:04d}",
            "role": "end-user",
            "created_at": _iso(START - timedelta(days=rng.randrange(1, 300))),
        }
        for c in range(n_customers)
    ]
    return {
        "tickets": [_ticket(rng, i, agents, n_customers, days) for i in range(tickets)],
        "users": users,
        "count": tickets,
    }


def _ticket(rng: random.Random, i: int, agents: int, customers: int, days: int) -> dict[str, Any]:
    created = START + timedelta(seconds=rng.randrange(days * 86400))
    status = rng.choice(STATUSES)
    requester = 100000 + rng.randrange(customers)
    assignee = None if status == "new" else 1000 + rng.randrange(agents)
    at, comments = created, []
    comments.append(_comment(rng, i, 0, requester, at, "我的订单还没到，请帮忙查一下物流。"))
    for j in range(1, rng.randint(1, 5) if assignee else 0):
        at += timedelta(minutes=rng.randint(3, 600))
        if j % 2 and assignee is not None:
            public = rng.random() > 0.15
            comments.append(
                _comment(rng, i, j, assignee, at, "您好，已为您查询，包裹明天送达。", public)
            )
        else:
            comments.append(_comment(rng, i, j, requester, at, "好的，谢谢！"))
    solved = at + timedelta(minutes=rng.randint(1, 120))
    done = status in ("solved", "closed")
    rating: dict[str, Any] = {"score": rng.choice(["good", "good", "good", "bad", "offered"])}
    return {
        "id": 500000 + i,
        "url": f"https://shop.zendesk.com/api/v2/tickets/{500000 + i}.json",
        "subject": f"订单 {800000 + i} 物流查询",
        "status": status,
        "priority": rng.choice(["low", "normal", "normal", "high", "urgent", None]),
        "via": {"channel": rng.choice(CHANNELS)},
        "requester_id": requester,
        "assignee_id": assignee,
        "tags": rng.sample(TAGS, 2),
        "created_at": _iso(created),
        "updated_at": _iso(solved if done else at),
        "metric_set": {"solved_at": _iso(solved) if done else None},
        "satisfaction_rating": rating if done else {"score": "unoffered"},
        "comments": comments,
    }


def _comment(
    rng: random.Random, i: int, j: int, author: int, at: datetime, body: str, public: bool = True
) -> dict[str, Any]:
    return {
        "id": (500000 + i) * 10 + j,
        "type": "Comment",
        "author_id": author,
        "body": body,
        "plain_body": body,
        "html_body": f"<p>{body}</p>",
        "public": public,
        "created_at": _iso(at),
    }
