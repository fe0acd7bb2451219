"""The API's response bodies: one public model per resource, the one definition of the wire.

The team server sends them (and `/openapi.json` documents them, every field named), the
CLI prints them with `--json`, and the HTTP store reads them back into the domain objects.
Each model builds its body from its domain object (`encode`, checked by `from_domain`) and
gives the object back (`to_domain`).
"""

from cstui.wire.assist import SuggestedPublic, SuggestionsPublic, TriagePublic
from cstui.wire.base import (
    CountPublic,
    HealthPublic,
    Items,
    Json,
    Page,
    Public,
    TokenPublic,
    Wire,
    items,
    page,
)
from cstui.wire.channels import AttachmentPublic, DeliveryPublic, IngestPublic
from cstui.wire.floor import (
    AgentLoadPublic,
    GreenTicketPublic,
    QueueDepthPublic,
    WaitingEscalationPublic,
)
from cstui.wire.kb import ArticleHitPublic, ArticlePublic
from cstui.wire.log import EventPublic, EventsPublic, MetricsPublic, MetricsReportPublic
from cstui.wire.notes import FiredPublic, MarkedPublic, NotificationPublic
from cstui.wire.people import (
    AgentPublic,
    CustomerPublic,
    CustomerRevealed,
    OrderPublic,
    ViewingPublic,
)
from cstui.wire.tickets import (
    CustomerSummary,
    DuePublic,
    EscalationPublic,
    MessagePublic,
    OrderSummary,
    TicketHitPublic,
    TicketMatchPublic,
    TicketPublic,
    TransferOutcomePublic,
    TransferPublic,
)

__all__ = [
    "AgentLoadPublic",
    "AgentPublic",
    "ArticleHitPublic",
    "ArticlePublic",
    "AttachmentPublic",
    "CountPublic",
    "CustomerPublic",
    "CustomerRevealed",
    "CustomerSummary",
    "DeliveryPublic",
    "DuePublic",
    "EscalationPublic",
    "EventPublic",
    "EventsPublic",
    "FiredPublic",
    "GreenTicketPublic",
    "HealthPublic",
    "IngestPublic",
    "Items",
    "Json",
    "MarkedPublic",
    "MessagePublic",
    "MetricsPublic",
    "MetricsReportPublic",
    "NotificationPublic",
    "OrderPublic",
    "OrderSummary",
    "Page",
    "Public",
    "QueueDepthPublic",
    "SuggestedPublic",
    "SuggestionsPublic",
    "TicketHitPublic",
    "TicketMatchPublic",
    "TicketPublic",
    "TokenPublic",
    "TransferOutcomePublic",
    "TransferPublic",
    "TriagePublic",
    "ViewingPublic",
    "WaitingEscalationPublic",
    "Wire",
    "items",
    "page",
]
