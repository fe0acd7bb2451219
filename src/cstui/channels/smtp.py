"""Sending mail through the team's SMTP relay (TLS, STARTTLS or plain; AUTH when set).

A `Relay` keeps one connection for a run of sends and opens a new one after any error.
Every failure becomes a `DeliveryError`: a 5xx answer to the message (an unknown mailbox, a
refused content) is permanent; a 4xx, a dropped or refused connection, a timeout or a TLS
failure is transient and tried again later. A refused login or a 530 "authentication
required" is the relay's configuration, not the message's: transient, so that fixing the
password sends the queue instead of failing it.
"""

from __future__ import annotations

import base64
import smtplib
import socket
import ssl
from email.message import EmailMessage
from types import TracebackType

from cstui.channel_config import SmtpSettings
from cstui.channels.outcome import DeliveryError, one_line
from cstui.channels.tls import client_context
from cstui.errors import PermissionDenied, Unavailable

TIMEOUT_SECONDS = 60.0
# Answers that say "log in first" or "your login failed": a configuration problem.
AUTH_CODES = frozenset({530, 534, 535, 538})


class Relay:
    """The SMTP relay, connected on first use. Use as a context manager (closes on exit)."""

    def __init__(
        self,
        settings: SmtpSettings,
        password: str | None,
        *,
        timeout: float = TIMEOUT_SECONDS,
        local_hostname: str | None = None,
    ) -> None:
        self.settings = settings
        self._password = password
        self._timeout = timeout
        self._local_hostname = local_hostname
        self._context = client_context(settings.ca_file, what="channels.smtp")
        self._conn: smtplib.SMTP | None = None

    def __enter__(self) -> Relay:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def where(self) -> str:
        return f"SMTP relay {self.settings.host}:{self.settings.port}"

    def send(self, message: EmailMessage, *, sender: str, recipient: str) -> None:
        """Hand `message` to the relay for `recipient`; DeliveryError when it was not taken.

        Whatever goes wrong before the message is offered (connecting, TLS, the greeting,
        the login) is the relay's or its configuration's, never the message's: transient."""
        try:
            conn = self._connected()
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise DeliveryError(f"{self.where}: {_connect_reason(exc)}", permanent=False) from None
        try:
            refused = conn.send_message(message, from_addr=sender, to_addrs=[recipient])
        except smtplib.SMTPNotSupportedError as exc:  # e.g. an address needing SMTPUTF8
            raise DeliveryError(
                f"the relay cannot take it: {one_line(str(exc))}", permanent=True
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            code, answer = next(iter(exc.recipients.values()), (0, b""))
            raise _by_code(code, answer, "recipient refused") from None
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise _by_code(exc.smtp_code, exc.smtp_error, _stage(exc)) from None
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise DeliveryError(f"{self.where}: {_reason(exc)}", permanent=False) from None
        if refused:  # only with several recipients; there is one
            code, answer = next(iter(refused.values()))
            raise _by_code(code, answer, "recipient refused")

    def check(self) -> str:
        """Connect and log in (the check command): what the relay said, or Unavailable /
        PermissionDenied."""
        try:
            conn = self._connected()
            code, _ = conn.noop()
        except smtplib.SMTPAuthenticationError:
            self.close()
            raise PermissionDenied(
                f"{self.where}: login refused for {self.settings.username}"
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise Unavailable(f"{self.where}: {_reason(exc)}") from None
        tls = {"tls": "TLS", "starttls": "STARTTLS", "none": "no TLS"}[self.settings.security]
        login = f"logged in as {self.settings.username}" if self.settings.username else "no login"
        return f"{tls}, {login}, NOOP {code}"

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            conn.close()

    def _connected(self) -> smtplib.SMTP:
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        conn: smtplib.SMTP
        if s.security == "tls":
            conn = smtplib.SMTP_SSL(
                s.host,
                s.port,
                local_hostname=self._local_hostname,
                timeout=self._timeout,
                context=self._context,
            )
        else:
            conn = smtplib.SMTP(
                s.host, s.port, local_hostname=self._local_hostname, timeout=self._timeout
            )
        try:
            conn.ehlo()
            if s.security == "starttls":
                conn.starttls(context=self._context)
                conn.ehlo()
            if s.username:
                _login(conn, s.username, self._password or "")
        except BaseException:
            conn.close()
            raise
        return conn


def _login(conn: smtplib.SMTP, username: str, password: str) -> None:
    """smtplib encodes credentials as ASCII: beyond it, AUTH PLAIN is sent here in UTF-8
    (RFC 4616), as mail clients do."""
    if (username + password).isascii():
        conn.login(username, password)
        return
    if "plain" not in conn.esmtp_features.get("auth", "").lower().split():
        raise smtplib.SMTPException("the relay offers no AUTH PLAIN for a non-ASCII login")
    token = base64.b64encode(b"\0" + username.encode() + b"\0" + password.encode()).decode()
    code, answer = conn.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, answer)


def _connect_reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        answer = exc.smtp_error
        text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
        return f"{_stage(exc)}: {exc.smtp_code} {one_line(text)}".rstrip()
    return _reason(exc)


def _by_code(code: int, answer: bytes | str, stage: str) -> DeliveryError:
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else answer
    reason = f"{stage}: {code} {one_line(text)}".rstrip()
    permanent = 500 <= code < 600 and code not in AUTH_CODES
    return DeliveryError(reason, permanent=permanent)


def _stage(exc: smtplib.SMTPResponseException) -> str:
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "SMTP login refused"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return "sender refused"
    if isinstance(exc, smtplib.SMTPDataError):
        return "message refused"
    if isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPHeloError):
        return "relay refused the connection"
    return "relay answered"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted ({exc.verify_message}): set ca_file"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "the relay closed the connection"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"the relay does not support it: {one_line(str(exc))}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return one_line(str(exc)) or type(exc).__name__
