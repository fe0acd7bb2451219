"""The baseline for the console's start-up: a bare Textual app showing a 50-row DataTable.

Nothing but Textual: no store, no CSS file, no themes, no workers. The rows look like the
console's queue (id, countdown, owner, subject, customer, tier; Chinese subjects included,
so wide characters are measured too) and are added in `on_mount`, so they are on the very
first frame. `bench/console.py` starts it in a pseudo-terminal and stops the clock when the
first row (`#100001`) is on screen.

    .venv/bin/python bench/bare_datatable.py
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import DataTable

FIRST_ROW_MARK = "#100001"  # what bench/console.py waits for

SUBJECTS = (
    "收到的商品有破损",
    "快递到哪了？SO20261106324679",
    "申请退款：尺码不合适",
    "优惠券无法使用",
    "这款有没有更大的尺码",
    "Order arrived late, box damaged",
    "发票抬头写错了",
    "Wrong colour delivered",
)
CUSTOMERS = ("梁强婷", "王晓燕", "Li Wei", "张伟", "陈静", "Zhao Min", "刘洋", "杨磊")
TIERS = ("vip", "standard", "new", "high_frequency", "complainant")


def rows(n: int = 50) -> list[tuple[str, str, str, str, str, str]]:
    out = []
    for i in range(n):
        due = f"{'-' if i % 3 == 0 else ''}{i % 9}h{(i * 7) % 60:02d}m"
        out.append(
            (
                f"#{100001 + i}",
                due,
                f"agent{(i % 34) + 1:02d}" if i % 4 else "—",
                SUBJECTS[i % len(SUBJECTS)],
                CUSTOMERS[i % len(CUSTOMERS)],
                TIERS[i % len(TIERS)],
            )
        )
    return out


class BareTable(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable(id="table")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("id", "due", "owner", "subject", "customer", "tier")
        table.add_rows(rows())
        table.focus()


if __name__ == "__main__":
    BareTable().run()
