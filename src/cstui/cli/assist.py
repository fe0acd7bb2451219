"""`cstui suggest`: a ticket's (or a text's) triage and its likeliest answers.

`cstui suggest 1042` reads the ticket's last customer message, `cstui suggest --text "快递到哪了"`
any text. Templates come filled from the ticket and its order; what the ticket cannot
fill stays in braces for the agent.
"""

from __future__ import annotations

import click

from cstui.assist.ranking import Suggestions
from cstui.cli.context import ID, env_of, global_options, say
from cstui.cli.tickets import choice
from cstui.domain.model import ArticleKind


@click.command("suggest")
@click.argument("ticket_id", type=ID, required=False)
@click.option("--text", default=None, help="Suggest for this text instead of a ticket")
@click.option("--limit", default=3, show_default=True, help="Answers (1–10)")
@click.option("--kind", default=None, help="Only this kind: faq template")
@global_options
@click.pass_context
def suggest(
    ctx: click.Context, ticket_id: int | None, text: str | None, limit: int, kind: str | None
) -> None:
    """Triage (category, priority, risk) and the best articles and templates, best first."""
    if (ticket_id is None) == (text is None):
        raise click.UsageError("give either a ticket id or --text")
    kind_ = choice(ArticleKind, kind, "--kind") if kind else None
    env = env_of(ctx)
    found = env.store().suggest(ticket_id, text=text, limit=limit, kind=kind_)
    env.emit(found.to_json(), lambda: _print(found))


def _print(s: Suggestions) -> None:
    t = s.triage
    say(f"category  {t.category.value} ({t.confidence:.0%}) — {t.reasons['category']}")
    say(f"priority  {t.priority.value} — {t.reasons['priority']}")
    say(f"risk      {t.risk}, {t.sentiment} — {t.reasons['risk']}")
    if t.green:
        say(f"green     yes — {t.reasons['green']}")
    if t.orders or t.tracking:
        say(f"orders    {' '.join((*t.orders, *t.tracking))}")
    say(f"language  {t.lang}")
    for n, item in enumerate(s.items, 1):
        say(f"\n{n}. [{item.kind.value}] #{item.id} {item.title}  ({item.score:.1f})")
        say("   " + " ".join(item.body.split())[:300])
        if item.missing:
            say(f"   to fill: {', '.join(item.missing)}")
