"""A new user's first hour with a mailbox, end to end, with real processes only.

A support mailbox and a customer's mailbox on Dovecot; a small MTA on loopback (aiosmtpd
delivering by IMAP APPEND) through which the customer writes from outside cstui and
through which our mail reaches them; the config file written as the README shows
(`[channels.mail.NAME]`, secrets in owner-only files); `cstui init`, `cstui channels run`;
the console in a real terminal (tmux) where the agent sees the ticket and its photo, takes
it, replies in Chinese and resolves it; the reply threaded under the original in the
customer's mailbox; the survey's link answered on `cstui serve` as a browser would; and
`cstui metrics` counting the answer.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import shutil
import smtplib
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.header import Header
from email.message import EmailMessage
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, make_msgid
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import PASSWORD, Dovecot, free_port, running_mta, wait_for

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PHOTO = ROOT / "fixtures" / "demo" / "photos" / "box-crushed.jpg"
SUPPORT, BUYER = "support@shop.example", "wangfang@example.cn"
SUBJECT = "快递箱压坏了，杯子碎了"
PHOTO_NAME = "压坏的箱子.jpg"
REPLY = "您好，非常抱歉，已为您安排补发"
DEADLINE = 60.0  # seconds for any one step: a busy 2-core machine
TMUX = shutil.which("tmux")


@pytest.fixture
def tmux() -> str:
    if TMUX is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tmux is not installed (.ci/run installs it)")
        pytest.skip("tmux is not installed (apt-get install tmux)")
    return TMUX


def test_a_mailbox_from_the_customers_mail_to_csat_in_the_metrics(
    tmp_path: Path, dovecot: Dovecot, tmux: str
) -> None:
    support, customer = dovecot.add_user(), dovecot.add_user()
    survey_port = free_port()
    env = user_environment(tmp_path)
    with running_mta(dovecot, {SUPPORT: support, BUYER: customer}) as smtp_port:
        write_user_config(tmp_path, dovecot, support, smtp_port=smtp_port, survey_port=survey_port)
        cstui(env, "init")
        cstui(env, "agents", "add", "alice", "--role", "agent", "--shift", "morning")
        checked = cstui(env, "channels", "check")  # logs in, sends nothing: exit 0
        assert "support" in checked, checked
        original_id = send_customer_mail(smtp_port)
        with background(env, "channels", "run"):
            [ticket] = wait_for(lambda: tickets(env), timeout=DEADLINE, what="the mail as a ticket")
            assert ticket["subject"] == SUBJECT
            with console(tmux, env, tmp_path) as screen:
                screen.wait_for(SUBJECT, PHOTO_NAME, "image/jpeg")  # the ticket and its photo
                screen.keys("t")
                wait_for(
                    lambda: owner(env, ticket["id"]) == "alice", timeout=DEADLINE, what="taken"
                )
                screen.wait_for(f"#{ticket['id']} open")  # the customer card's list too
                screen.keys("r")
                screen.wait_for("ctrl+s")  # the composer is open: its send key in the footer
                screen.text(REPLY)
                screen.wait_for(REPLY)  # every key reached the composer before it is sent
                screen.keys("C-s")
                reply = wait_for(
                    lambda: mail_with(dovecot, customer, f"[#{ticket['id']}]"),
                    timeout=DEADLINE,
                    what="the reply in the customer's mailbox",
                )
                assert reply["In-Reply-To"] == original_id
                assert original_id in str(reply["References"])
                assert str(reply["Subject"]) == f"Re: {SUBJECT} [#{ticket['id']}]"
                assert REPLY in reply.get_body(("plain",)).get_content()  # type: ignore[union-attr]
                assert threads(dovecot, customer) == ((1, 2),)  # the reply under the original
                screen.wait_for("→ sent")  # the thread says so, without opening it again
                screen.keys("c")  # resolve: the first code is highlighted, Enter picks it
                screen.wait_for(f"Resolve #{ticket['id']}", "solved")
                screen.keys("Enter")
                wait_for(
                    lambda: status(env, ticket["id"]) == "resolved",
                    timeout=DEADLINE,
                    what="resolved",
                )
            survey = wait_for(
                lambda: mail_with(dovecot, customer, "/csat/"),
                timeout=DEADLINE,
                what="the survey in the customer's mailbox",
            )
        before = metrics(env)
        link = survey_link(survey, survey_port, score=5)
        with background(env, "serve", "--host", "127.0.0.1", "--port", str(survey_port)):
            wait_for(
                lambda: healthy(survey_port),
                timeout=DEADLINE,
                what="cstui serve to answer",
            )
            with httpx.Client(timeout=30) as browser:
                answer = browser.get(link)  # the customer clicks "5" in the mail
                again = browser.get(link)  # and once more: single use
        assert answer.status_code == 200 and "已记录" in answer.text, answer.text
        assert again.status_code == 409, again.text
    after = metrics(env)
    assert (before["csat_responses"], before["csat"]) == (0, None)
    assert (after["csat_responses"], after["csat"]) == (1, 1.0)  # one answer, a 5


# -- the user's side ---------------------------------------------------------------------------


def user_environment(home: Path) -> dict[str, str]:
    """A clean environment: the config file and data dir here, a UTF-8 terminal."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSTUI_", "TEXTUAL", "TMUX"))}
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    return {
        **env,
        "CSTUI_CONFIG_FILE": str(home / "config.toml"),
        "CSTUI_DATA_DIR": str(home / "data"),
        "CSTUI_LANG": "en",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TERM": "xterm-256color",
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
    }


def write_user_config(
    home: Path, dovecot: Dovecot, support: str, *, smtp_port: int, survey_port: int
) -> None:
    """The README's channels section, filled in; secrets in files only their owner reads."""
    password, key = home / "imap.pw", home / "survey.key"
    for path, value in ((password, PASSWORD), (key, "a-long-random-survey-secret")):
        path.write_text(value + "\n", encoding="utf-8")
        path.chmod(0o600)
    (home / "config.toml").write_text(
        f"""\
[channels]
address = "{SUPPORT}"
display_name = "客服中心"

[channels.mail.support]
host = "127.0.0.1"
port = {dovecot.imaps_port}
security = "tls"
username = "{support}"
password = {{ file = "{password}" }}
poll_seconds = 1
ca_file = "{dovecot.ca_file}"

[channels.smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"

[channels.survey]
secret = {{ file = "{key}" }}
base_url = "http://127.0.0.1:{survey_port}"
""",
        encoding="utf-8",
    )


def send_customer_mail(port: int) -> str:
    """A Foxmail-style mail in GBK with a photo, sent from outside cstui (a copy to the
    customer's own mailbox, as their client keeps one): its Message-ID."""
    mail = MIMEMultipart()
    mail["From"] = formataddr((str(Header("王芳", "gbk")), BUYER))
    mail["To"] = SUPPORT
    mail["Subject"] = Header(SUBJECT, "gbk")
    message_id = make_msgid(domain="example.cn")
    mail["Message-ID"] = message_id
    mail["Date"] = email.utils.formatdate(localtime=True)
    mail.attach(
        MIMEText("你好，收到的快递箱被压坏了，里面的杯子碎了，照片见附件。\n王芳\n", "plain", "gbk")
    )
    photo = MIMEImage(PHOTO.read_bytes(), "jpeg")
    photo.add_header("Content-Disposition", "attachment", filename=("gbk", "", PHOTO_NAME))
    mail.attach(photo)
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.send_message(mail, from_addr=BUYER, to_addrs=[SUPPORT, BUYER])
    return message_id


def cstui(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "cstui", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    assert done.returncode == 0, f"cstui {' '.join(args)}: {done.returncode} {done.stderr}"
    return done.stdout


def tickets(env: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads(
        cstui(env, "--json", "tickets", "list", "--view", "all-open")
    )["items"]
    return items


def ticket(env: dict[str, str], ticket_id: int) -> dict[str, Any]:
    shown: dict[str, Any] = json.loads(cstui(env, "--json", "tickets", "show", str(ticket_id)))
    return shown


def owner(env: dict[str, str], ticket_id: int) -> str | None:
    return ticket(env, ticket_id).get("owner")


def status(env: dict[str, str], ticket_id: int) -> str:
    return str(ticket(env, ticket_id)["status"])


def metrics(env: dict[str, str]) -> dict[str, Any]:
    team: dict[str, Any] = json.loads(cstui(env, "metrics", "--json"))["team"]
    return team


def healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def survey_link(survey: EmailMessage, port: int, *, score: int) -> str:
    text = survey.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    links = re.findall(rf"http://127\.0\.0\.1:{port}/csat/\S+", text)
    [link] = [x for x in links if x.endswith(f"score={score}")]
    return str(link)


# -- the customer's mailbox ------------------------------------------------------------------


def mail_with(dovecot: Dovecot, user: str, wanted: str) -> EmailMessage | None:
    """The first message in the user's INBOX whose raw text holds `wanted` (decoded)."""
    client = dovecot.client(user)
    try:
        client.select_folder("INBOX", readonly=True)
        uids = client.search(["ALL"])
        fetched = client.fetch(uids, [b"BODY.PEEK[]"]) if uids else {}
    finally:
        client.logout()
    for uid in sorted(fetched):
        message = email.message_from_bytes(fetched[uid][b"BODY[]"], policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        body = message.get_body(("plain",))
        text = str(message["Subject"]) + (body.get_content() if body is not None else "")
        if wanted in text:
            return message
    return None


def threads(dovecot: Dovecot, user: str) -> Any:
    client = dovecot.client(user)
    try:
        client.select_folder("INBOX", readonly=True)
        return client.thread("REFERENCES")
    finally:
        client.logout()


# -- processes -------------------------------------------------------------------------------


class Background:
    """A `cstui` command running on; what it writes kept (stdout and stderr)."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cstui", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="backslashreplace",
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def said(self) -> str:
        """Its last lines; its exit code once it ended."""
        code = self.proc.poll()
        return "".join(self.lines[-30:]) + ("" if code is None else f"[exited {code}]")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(10)


@contextmanager
def background(env: dict[str, str], *args: str) -> Iterator[Background]:
    process = Background(env, *args)
    try:
        yield process
    except BaseException:
        print(f"cstui {' '.join(args)} said:\n{process.said()}")  # beside the failure
        raise
    finally:
        process.stop()


class Screen:
    """A tmux session of 160 x 45 running the console; read with capture-pane."""

    def __init__(self, tmux: str, socket: Path) -> None:
        self.tmux, self.socket = tmux, socket

    def run(self, *args: str) -> str:
        return subprocess.run(
            [self.tmux, "-S", str(self.socket), *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout

    def capture(self) -> str:
        return self.run("capture-pane", "-p", "-t", "cs")

    def wait_for(self, *texts: str) -> str:
        last = [""]

        def shown() -> bool:
            last[0] = self.capture()
            return all(t in last[0] for t in texts)

        try:
            wait_for(shown, timeout=DEADLINE, what=f"{texts} on screen", every=0.25)
        except BaseException:
            print(f"the screen:\n{last[0]}")
            raise
        return last[0]

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "cs", *keys)

    def text(self, text: str) -> None:
        self.run("send-keys", "-t", "cs", "-l", text)


@contextmanager
def console(tmux: str, env: dict[str, str], home: Path) -> Iterator[Screen]:
    """`cstui --as alice` in a real terminal, as an agent opens it."""
    conf = home / "tmux.conf"
    # remain-on-exit: a console that dies leaves its last screen to read; no escape delay.
    conf.write_text("set -g remain-on-exit on\nset -s escape-time 0\n", encoding="utf-8")
    socket = home / "tmux.sock"
    command = f"{sys.executable} -m cstui --as alice"
    subprocess.run(
        [
            tmux,
            "-S",
            str(socket),
            "-f",
            str(conf),
            "-u",
            "new-session",
            "-d",
            "-s",
            "cs",
            "-x",
            "160",
            "-y",
            "45",
            command,
        ],
        env=env,
        check=True,
        timeout=30,
    )
    screen = Screen(tmux, socket)
    try:
        yield screen
    finally:
        subprocess.run([tmux, "-S", str(socket), "kill-server"], timeout=30, check=False)
