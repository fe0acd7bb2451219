"""Money, written one way everywhere: the yuan sign, thousands grouped, two decimals
(`¥1,215.49`, `¥50,000.00`). The amounts are CNY in both languages the console speaks, so the
form does not change with `--lang`."""

from __future__ import annotations

YUAN = "¥"


def yuan(amount: float) -> str:
    """`¥1,215.49`; a negative amount (a refund) as `-¥30.00`."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{YUAN}{abs(amount):,.2f}"
