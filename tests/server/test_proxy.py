"""The reverse-proxy example (deploy/nginx/cstui.conf) in front of a real `cstui serve`:
TLS, the live event stream passed on as it comes, request ids, readiness, /metrics, and
the browser console behind its password. Skipped where nginx is not installed."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cstui.domain.model import MessageKind
from cstui.store import init_store, open_store
from tests.cli.test_web import free_port
from tests.processes import wait_for
from tests.server.conftest import Served
from tests.serving import ServeProcess, add_team

CONF = Path(__file__).parents[2] / "deploy" / "nginx" / "cstui.conf"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

PLAIN: list[str] = []  # the plain-http address of the module's nginx

pytestmark = [
    pytest.mark.slow,
    # CI installs nginx (.ci/run): there a missing nginx fails rather than skips.
    pytest.mark.skipif(
        NGINX is None and os.environ.get("CI") != "true", reason="nginx is not installed"
    ),
]


def self_signed(directory: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cs.example.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        # What a client checks (strictly, as Python 3.13 does): fullchain.pem can be its CA.
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("cs.example.test"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    (directory / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def render(upstream: str, http_port: int, https_port: int, root: Path) -> str:
    """The example as an operator fills it in, moved to this test's ports and files."""
    text = CONF.read_text(encoding="utf-8")
    text = text.replace("${CSTUI_HOST}", "cs.example.test")
    text = text.replace("${CSTUI_API_UPSTREAM}", upstream)
    text = text.replace("listen [::]:80;", "").replace("listen [::]:443 ssl http2;", "")
    text = text.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    text = text.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    text = text.replace("/etc/nginx/tls/", f"{root}/").replace("/etc/nginx/htpasswd", f"{root}/pw")
    text = text.replace("/var/log/nginx/", f"{root}/")
    return text


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Served]]:
    root = tmp_path_factory.mktemp("nginx")
    db = root / "cstui.db"
    store = init_store(str(db))
    tokens = add_team(store)
    store.close()
    self_signed(root)
    (root / "pw").write_text("", encoding="utf-8")  # nobody: the console stays shut
    http_port, https_port = free_port(), free_port()
    with ServeProcess(str(db)) as server:
        upstream = server.url.removeprefix("http://")
        (root / "site.conf").write_text(
            render(upstream, http_port, https_port, root), encoding="utf-8"
        )
        main = f"error_log {root}/error.log;\npid {root}/nginx.pid;\nevents {{}}\n"
        main += f"http {{\n  include {root}/site.conf;\n}}\n"
        (root / "nginx.conf").write_text(main, encoding="utf-8")
        assert NGINX is not None
        check = subprocess.run([NGINX, "-t", "-p", str(root), "-c", str(root / "nginx.conf")],
                               capture_output=True, text=True)  # fmt: skip
        assert check.returncode == 0, check.stderr
        nginx = subprocess.Popen(
            [NGINX, "-p", str(root), "-c", str(root / "nginx.conf"), "-g", "daemon off;"]
        )
        url = f"https://127.0.0.1:{https_port}"
        PLAIN[:] = [f"http://127.0.0.1:{http_port}"]
        try:
            wait_for(lambda: _answers(f"{url}/healthz"), timeout=30, what="nginx")
            served = Served(url, open_store(str(db)), tokens)
            yield url, served
            served.store.close()
        finally:
            nginx.terminate()
            nginx.wait(10)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, verify=False, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@pytest.mark.usefixtures("proxied")
def test_plain_http_is_sent_to_https() -> None:
    answer = httpx.get(PLAIN[0] + "/readyz", headers={"Host": "cs.example.test"})
    assert answer.status_code == 301
    assert answer.headers["location"] == "https://cs.example.test/readyz"


def test_the_live_feed_comes_through_unbuffered(proxied: tuple[str, Served]) -> None:
    url, served = proxied
    tid = served.new_ticket()
    headers = {"Authorization": f"Bearer {served.tokens['sue']}"}
    after = served.store.last_event_id()
    with httpx.stream(
        "GET", f"{url}/api/v1/events", params={"after": after}, headers=headers,
        verify=False, timeout=30,
    ) as feed:  # fmt: skip
        assert feed.status_code == 200
        lines = feed.iter_lines()
        for n in range(3):  # each small event arrives on its own, not when a buffer fills
            written = time.monotonic()
            served.store.add_message(tid, actor="ops", kind=MessageKind.NOTE, text=f"n{n}")
            line = next(x for x in lines if x.startswith("event: "))
            assert line == "event: note"
            assert time.monotonic() - written < 5


def test_request_ids_pass_through_and_back(proxied: tuple[str, Served]) -> None:
    url, _served = proxied
    mine = httpx.get(f"{url}/readyz", headers={"X-Request-ID": "edge-1"}, verify=False)
    assert mine.status_code == 200 and mine.headers["x-request-id"] == "edge-1"
    made = httpx.get(f"{url}/readyz", verify=False).headers["x-request-id"]
    assert len(made) == 32  # nginx's own $request_id, kept by cstui


def test_metrics_are_served_to_the_internal_network(proxied: tuple[str, Served]) -> None:
    url, _served = proxied
    answer = httpx.get(f"{url}/metrics", verify=False)
    assert answer.status_code == 200 and "cstui_store_up 1.0" in answer.text


def test_the_browser_console_needs_the_proxys_password(proxied: tuple[str, Served]) -> None:
    url, _served = proxied
    assert httpx.get(f"{url}/desk/", verify=False).status_code == 401
