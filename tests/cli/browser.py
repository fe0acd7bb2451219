"""A browser tab for the `cstui web` tests, run as its own process: `python browser.py PORT`.

It opens the console's websocket as the page's script does, prints "ready" once the console
has painted its status bar, then stays connected (reading the screen, answering pings)
until the server closes the session, when it prints "closed" and exits.
"""

from __future__ import annotations

import asyncio
import sys

import aiohttp


async def tab(port: int) -> None:
    url = f"ws://127.0.0.1:{port}/ws?width=100&height=30"
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        screen, ready = bytearray(), False
        async for message in ws:
            if message.type == aiohttp.WSMsgType.BINARY and not ready:
                screen.extend(message.data)
                if b"agent01" in screen:  # the status bar names who is working
                    ready = True
                    print("ready", flush=True)
    print("closed", flush=True)


if __name__ == "__main__":
    asyncio.run(tab(int(sys.argv[1])))
