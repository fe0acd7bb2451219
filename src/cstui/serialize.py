"""What `--json` prints: each domain object as the team server sends it.

The shapes are `cstui.wire`'s public models (CONTRACT.md fixes the minimum a ticket
carries), so a script reads the same JSON from the CLI on a store as from the HTTP API.
"""

from __future__ import annotations

from cstui.wire import (
    AgentPublic,
    ArticleHitPublic,
    ArticlePublic,
    EscalationPublic,
    MessagePublic,
    TicketHitPublic,
    TicketPublic,
    TransferPublic,
)

agent_dict = AgentPublic.encode
article_dict = ArticlePublic.encode
escalation_dict = EscalationPublic.encode
hit_dict = ArticleHitPublic.encode
message_dict = MessagePublic.encode
ticket_dict = TicketPublic.encode
ticket_hit_dict = TicketHitPublic.encode
transfer_dict = TransferPublic.encode
