"""The SMTP relay against a real SMTP server (aiosmtpd): a reply arrives with its threading
headers; STARTTLS and AUTH; 5xx is permanent, 4xx and a dead relay transient."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from cstui.channels.outcome import DeliveryError
from cstui.channels.smtp import Relay
from cstui.errors import PermissionDenied, Unavailable

from .conftest import PASSWORD, SmtpServer, free_port


def reply(n: int = 1) -> EmailMessage:
    m = EmailMessage()
    m["From"] = "客服 <support@shop.example>"
    m["To"] = "买家 <buyer@example.cn>"
    m["Subject"] = "Re: 订单还没到 [#42]"
    m["Message-ID"] = f"<t42.r{n}@shop.example>"
    m["In-Reply-To"] = "<7.customer@example.cn>"
    m["References"] = "<6.customer@example.cn> <7.customer@example.cn>"
    m.set_content("您好，已为您催促物流。\n")
    return m


def test_a_reply_arrives_with_its_threading_headers(smtp_server: SmtpServer) -> None:
    with Relay(smtp_server.settings(), None) as relay:
        relay.send(reply(1), sender="support@shop.example", recipient="buyer@example.cn")
        relay.send(reply(2), sender="support@shop.example", recipient="buyer@example.cn")
    got = smtp_server.collector.received
    assert [r.message["Message-ID"] for r in got] == [
        "<t42.r1@shop.example>",
        "<t42.r2@shop.example>",
    ]
    first = got[0]
    assert (first.sender, first.recipients) == ("support@shop.example", ["buyer@example.cn"])
    assert first.message["In-Reply-To"] == "<7.customer@example.cn>"
    assert first.message["References"] == "<6.customer@example.cn> <7.customer@example.cn>"
    assert first.message["Subject"] == "Re: 订单还没到 [#42]"
    assert first.message.get_content().rstrip() == "您好，已为您催促物流。"


def test_starttls_and_auth(smtp_tls_server: SmtpServer) -> None:
    settings = smtp_tls_server.settings(
        security="starttls", username="relay", ca_file=smtp_tls_server.ca_file
    )
    with Relay(settings, PASSWORD) as relay:
        assert "STARTTLS, logged in as relay" in relay.check()
        relay.send(reply(), sender="support@shop.example", recipient="buyer@example.cn")
    assert smtp_tls_server.collector.count() == 1

    with Relay(settings, "wrong") as relay:
        with pytest.raises(PermissionDenied, match="login refused for relay"):
            relay.check()
        with pytest.raises(DeliveryError, match="SMTP login refused") as refused:
            relay.send(reply(), sender="support@shop.example", recipient="buyer@example.cn")
    # A wrong password is the relay's configuration: retried, not the reply failed for good.
    assert not refused.value.permanent
    untrusted = settings.model_copy(update={"ca_file": None})
    with Relay(untrusted, PASSWORD) as relay, pytest.raises(DeliveryError, match="not trusted"):
        relay.send(reply(), sender="support@shop.example", recipient="buyer@example.cn")
    assert smtp_tls_server.collector.count() == 1


def test_5xx_is_permanent_and_4xx_transient(smtp_server: SmtpServer) -> None:
    answers = {
        "gone@example.cn": "550 5.1.1 no such user",
        "busy@example.cn": "451 4.3.0 try later",
    }
    smtp_server.collector.refuse = answers.get
    with Relay(smtp_server.settings(), None) as relay:
        with pytest.raises(DeliveryError, match=r"550 5\.1\.1 no such user") as gone:
            relay.send(reply(1), sender="support@shop.example", recipient="gone@example.cn")
        assert gone.value.permanent
        with pytest.raises(DeliveryError, match="451") as busy:
            relay.send(reply(2), sender="support@shop.example", recipient="busy@example.cn")
        assert not busy.value.permanent
        # The connection is still good after a refusal.
        relay.send(reply(3), sender="support@shop.example", recipient="buyer@example.cn")
    assert smtp_server.collector.count() == 1


def test_a_relay_that_is_not_there_is_transient() -> None:
    from cstui.channel_config import SmtpSettings

    settings = SmtpSettings(host="127.0.0.1", port=free_port(), security="none")
    with Relay(settings, None) as relay:
        with pytest.raises(DeliveryError, match="refused") as dead:
            relay.send(reply(), sender="support@shop.example", recipient="buyer@example.cn")
        assert not dead.value.permanent
        with pytest.raises(Unavailable):
            relay.check()


def test_an_address_the_relay_cannot_carry_is_permanent() -> None:
    """A Chinese mailbox name needs SMTPUTF8; a relay without it can never take the mail."""
    from aiosmtpd.controller import Controller

    from cstui.channel_config import SmtpSettings

    from .conftest import Collector

    collector = Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port, enable_SMTPUTF8=False)
    controller.start()
    try:
        settings = SmtpSettings(host="127.0.0.1", port=port, security="none")
        with Relay(settings, None) as relay, pytest.raises(DeliveryError) as refused:
            relay.send(reply(), sender="support@shop.example", recipient="买家@example.cn")
    finally:
        controller.stop()
    assert refused.value.permanent
    assert collector.count() == 0
