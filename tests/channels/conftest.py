"""Real mail servers for the channel tests, on loopback ports of their own.

- `dovecot`: Debian's Dovecot (`/usr/sbin/dovecot`, package dovecot-imapd; `.ci/run`
  installs it), started once per test process with its own config in a temporary
  directory: IMAP with STARTTLS and IMAPS on free ports of 127.0.0.1, a self-signed
  certificate made here, users from a passwd-file (each test adds its own, so each test has
  its own empty maildir), mail delivered by IMAP APPEND. Dovecot refuses to run its login
  processes or to serve mail as root: under root (CI) they run as `dovenull` / `nobody`,
  and the mail lives in a directory those can enter; as any other user, all runs as that user.
- `smtp_server`: aiosmtpd in a thread on a free port, collecting what it is sent and counting
  it by Message-ID; it can refuse recipients with a given answer, and (`smtp_tls_server`)
  require STARTTLS and AUTH.
- `running_mta`: a small MTA on loopback (aiosmtpd) delivering what it accepts into its
  recipients' Dovecot mailboxes by IMAP APPEND: mail from outside, and our mail reaching
  the customer's own mailbox.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import grp
import ipaddress
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import imapclient
import pytest

from cstui.channel_config import MailboxSettings, SecretRef, SmtpSettings
from tests.processes import wait_for

DOVECOT = Path("/usr/sbin/dovecot")
DOVEADM = Path("/usr/bin/doveadm")
PASSWORD_ENV = "CSTUI_TEST_MAIL_PASSWORD"
PASSWORD = "s3cret-Pässwort"
USERS = 64  # mailboxes a test process can hand out  # not ASCII: logins must carry it as UTF-8


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


# -- Dovecot ---------------------------------------------------------------------------------


@dataclass
class Dovecot:
    root: Path
    config: Path
    passwd: Path
    imap_port: int
    imaps_port: int
    ca_file: Path
    process: subprocess.Popen[bytes]
    users: list[str] = field(default_factory=list)

    def add_user(self) -> str:
        """A user no test had yet: an empty mailbox. The users are all written before
        Dovecot starts: it may miss a line added to its passwd-file within the second."""
        name = f"user{len(self.users)}"
        if len(self.users) >= USERS:
            pytest.fail(f"the Dovecot fixture has {USERS} users: raise USERS")
        self.users.append(name)
        return name

    def settings(
        self, user: str, *, security: str = "tls", name: str | None = None, poll: float = 0.2
    ) -> MailboxSettings:
        port = self.imaps_port if security == "tls" else self.imap_port
        return MailboxSettings(
            name=name or user,
            host="127.0.0.1",
            port=port,
            security=security,  # type: ignore[arg-type]
            username=user,
            password=SecretRef(env=PASSWORD_ENV),
            ca_file=self.ca_file,
            poll_seconds=poll,
        )

    def client(self, user: str) -> imapclient.IMAPClient:
        context = ssl.create_default_context(cafile=str(self.ca_file))
        c = imapclient.IMAPClient("127.0.0.1", port=self.imaps_port, ssl_context=context)
        c.plain_login(user, PASSWORD)
        return c

    def deliver(self, user: str, messages: list[bytes], folder: str = "INBOX") -> None:
        """Put messages into the user's folder, as a mail server delivering them would."""
        c = self.client(user)
        try:
            for raw in messages:
                c.append(folder, raw)
        finally:
            c.logout()

    def set_uidvalidity(self, user: str, value: int, folder: str = "INBOX") -> None:
        """What a server does when it rebuilds a folder: the old UIDs mean nothing now."""
        subprocess.run(
            [
                str(DOVEADM),
                "-c",
                str(self.config),
                "mailbox",
                "update",
                "-u",
                user,
                "--uid-validity",
                str(value),
                folder,
            ],
            check=True,
            capture_output=True,
        )

    def log(self) -> str:
        return (self.root / "dovecot.log").read_text(errors="replace")


def _dovecot_users() -> tuple[str, str, int, int]:
    """(login user, internal user, mail uid, mail gid) Dovecot can run as here."""
    me = pwd.getpwuid(os.getuid())
    if os.getuid() != 0:
        return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid
    try:
        login = pwd.getpwnam("dovenull").pw_name
    except KeyError:
        login = "nobody"
    nobody = pwd.getpwnam("nobody")
    return login, "root", nobody.pw_uid, nobody.pw_gid


@contextmanager
def running_dovecot(root: Path) -> Iterator[Dovecot]:
    """Dovecot with its own config under `root`, stopped on leaving (also used by
    bench/imap_poll.py)."""
    login_user, internal_user, uid, gid = _dovecot_users()
    # The mail processes run as `uid`: their directory must be one they can reach, which a
    # root-only pytest temp directory is not.
    mail_root = Path(tempfile.mkdtemp(prefix="cstui-test-mail-"))
    os.chown(mail_root, uid, gid)
    cert, key = make_certificate(root)
    passwd = root / "passwd"
    passwd.write_text("".join(f"user{n}:{{PLAIN}}{PASSWORD}::::::\n" for n in range(USERS)))
    imap_port, imaps_port = free_port(), free_port()
    config = root / "dovecot.conf"
    internal_group = grp.getgrgid(pwd.getpwnam(internal_user).pw_gid).gr_name
    config.write_text(
        DOVECOT_CONF.format(
            root=root,
            pid=os.getpid(),
            cert=cert,
            key=key,
            internal_user=internal_user,
            internal_group=internal_group,
            login_user=login_user,
            first_uid=min(uid, 500),
            passwd=passwd,
            uid=uid,
            gid=gid,
            mail_root=mail_root,
            imap_port=imap_port,
            imaps_port=imaps_port,
        )
    )
    process = subprocess.Popen(
        [str(DOVECOT), "-F", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Dovecot(root, config, passwd, imap_port, imaps_port, cert, process)

    def listening() -> bool:
        if process.poll() is not None:
            log = root / "dovecot.log"
            raise RuntimeError(f"dovecot exited: {log.read_text() if log.exists() else ''}")
        try:
            socket.create_connection(("127.0.0.1", imaps_port), timeout=1).close()
            return True
        except OSError:
            return False

    try:
        wait_for(listening, timeout=20, what="dovecot to listen")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(mail_root, ignore_errors=True)


DOVECOT_CONF = """
base_dir = {root}/run
state_dir = {root}/state
instance_name = cstui-test-{pid}
protocols = imap
listen = 127.0.0.1
log_path = {root}/dovecot.log
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = {first_uid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={mail_root}/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
"""


@pytest.fixture(scope="session")
def dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dovecot]:
    if not DOVECOT.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Dovecot is not installed (.ci/run installs dovecot-imapd)")
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd)")
    with running_dovecot(tmp_path_factory.mktemp("dovecot")) as server:
        yield server


@pytest.fixture
def mail_password(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    return PASSWORD


@pytest.fixture
def mailbox_user(dovecot: Dovecot, request: pytest.FixtureRequest, mail_password: str) -> str:
    """A fresh Dovecot user (an empty INBOX) for this test."""
    return dovecot.add_user()


# -- SMTP (aiosmtpd) ------------------------------------------------------------------------


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: email.message.EmailMessage


class Collector:
    """aiosmtpd handler: keeps every accepted message; `refuse` decides a recipient's fate
    (None accepts; else the SMTP answer, e.g. "550 5.1.1 no such user")."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refuse: Callable[[str], str | None] = lambda rcpt: None
        self.rcpt_attempts: Counter[str] = Counter()
        self.delay = 0.0
        self._lock = threading.Lock()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        with self._lock:
            self.rcpt_attempts[address] += 1
        answer = self.refuse(address)
        if answer is not None:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:  # a relay that takes its time: a sender killed mid-queue is mid-send
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 OK queued"

    def by_message_id(self) -> Counter[str]:
        with self._lock:
            return Counter(str(r.message["Message-ID"]) for r in self.received)

    def count(self) -> int:
        with self._lock:
            return len(self.received)


@dataclass
class SmtpServer:
    port: int
    collector: Collector
    ca_file: Path | None = None

    def settings(self, **extra: Any) -> SmtpSettings:
        return SmtpSettings(**{"host": "127.0.0.1", "port": self.port, "security": "none", **extra})


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    from aiosmtpd.controller import Controller

    collector = Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(port, collector)
    finally:
        controller.stop()


@pytest.fixture
def smtp_tls_server(tmp_path: Path) -> Iterator[SmtpServer]:
    """STARTTLS required, then AUTH (user "relay", the test password) required."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key = make_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticator(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login == b"relay"
            and data.password == PASSWORD.encode()
        )
        return AuthResult(success=ok, handled=False)

    collector = Collector()
    port = free_port()
    controller = Controller(
        collector,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield SmtpServer(port, collector, cert)
    finally:
        controller.stop()


# -- A small MTA: SMTP in, IMAP APPEND out ----------------------------------------------------


class Mta:
    """aiosmtpd handler delivering each accepted message into its recipients' Dovecot
    mailboxes, as a mail server would (`users`: address -> Dovecot user; any other
    recipient is refused as no such mailbox)."""

    def __init__(self, dovecot: Dovecot, users: dict[str, str]) -> None:
        self.dovecot, self.users = dovecot, {a.lower(): u for a, u in users.items()}

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.lower() not in self.users:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for rcpt in envelope.rcpt_tos:
            # IMAP APPEND blocks: off the event loop, so the next session is not held up.
            await asyncio.to_thread(
                self.dovecot.deliver, self.users[rcpt.lower()], [envelope.content]
            )
        return "250 OK delivered"


@contextmanager
def running_mta(dovecot: Dovecot, users: dict[str, str]) -> Iterator[int]:
    """An SMTP server on a free loopback port delivering into Dovecot: its port."""
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(Mta(dovecot, users), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
