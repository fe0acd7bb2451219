"""`cstui web` behind a proxy and offline: `--public-url` addresses the page's assets and
websocket, and the page loads its fonts from the server itself, never from another host."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.test_web import _web, _world, free_port

PUBLIC = "https://cs.example.com/desk"


@pytest.fixture
def behind_proxy(tmp_path: Path) -> Iterator[int]:
    db, _token, env = _world(tmp_path)
    port = free_port()
    argv = [sys.executable, "-m", "cstui", "--db", str(db), "--as", "agent01", "web"]
    for served_port, _server in _web(port, [*argv, "--public-url", f"{PUBLIC}/"], env):
        yield served_port


def test_the_page_addresses_everything_under_the_public_url(behind_proxy: int) -> None:
    page = httpx.get(f"http://127.0.0.1:{behind_proxy}/", timeout=30)
    assert page.status_code == 200
    assert 'data-session-websocket-url="wss://cs.example.com/desk/ws"' in page.text
    assert f'href="{PUBLIC}/static/css/xterm.css"' in page.text
    assert "127.0.0.1" not in page.text


def test_the_page_loads_nothing_from_another_host(behind_proxy: int) -> None:
    page = httpx.get(f"http://127.0.0.1:{behind_proxy}/", timeout=30).text
    assert "fonts.googleapis" not in page and "fonts.gstatic" not in page
    urls = re.findall(r"""(?:src|href)=["']([^"']+)|url\(["']?([^"')]+)""", page)
    fetched = [a or b for a, b in urls]
    assert fetched and all(u.startswith(f"{PUBLIC}/static/") for u in fetched), fetched
    # The CJK characters have a face of the terminal's family ("Roboto Mono") of their own.
    assert "U+2E80-9FFF" in page and 'local("Noto Sans Mono CJK SC")' in page
    for url in fetched:  # each is served here (the proxy strips the path prefix)
        local = url.replace(PUBLIC, f"http://127.0.0.1:{behind_proxy}")
        answer = httpx.get(local, timeout=30)
        assert answer.status_code == 200, url
        if url.endswith(".ttf"):
            assert answer.content[:4] == b"\x00\x01\x00\x00"  # a TrueType font


@pytest.mark.parametrize(
    "url", ["cs.example.com", "ftp://cs.example.com", "https://", "https://x/?a=1", "https://x/#f"]
)
def test_a_bad_public_url_is_bad_input(url: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cstui", "--db", str(tmp_path / "n.db"), "web", "--public-url", url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "--public-url" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
