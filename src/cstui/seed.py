"""The demo world's generator under its long-standing name: `cstui.demo.seed` builds it.

Kept so that `from cstui.seed import seed_store` (scripts, benchmarks, tests) goes on working.
"""

from __future__ import annotations

from cstui.demo.identity import customer_lang, customer_name, order_number
from cstui.demo.seed import seed_store
from cstui.demo.vocabulary import DEFAULT_NOW

__all__ = ["DEFAULT_NOW", "customer_lang", "customer_name", "order_number", "seed_store"]
