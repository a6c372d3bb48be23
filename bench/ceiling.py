"""The ceiling: bare HTTP clients posting the same requests to the same receiver, flat out.

``raw_asyncio`` speaks HTTP/1.1 over ``asyncio.open_connection`` with keep-alive (no library
between the loop and the socket); ``aiohttp_client`` is the client the worker itself uses, with the
same pool limits. Both keep ``concurrency`` requests in flight, like the worker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from urllib.parse import urlsplit

import aiohttp

Request = tuple[str, dict[str, str], bytes]  # url, headers, body


def _encode(url: str, headers: dict[str, str], body: bytes) -> bytes:
    parts = urlsplit(url)
    lines = [f"POST {parts.path or '/'} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() != "content-length"]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _raw_connection(host: str, port: int, queue: list[bytes], until: float) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    loop = asyncio.get_running_loop()
    try:
        while queue and loop.time() < until:
            writer.write(queue.pop())
            head = await reader.readuntil(b"\r\n\r\n")
            lower = head.lower()
            at = lower.find(b"content-length:")
            length = int(lower[at + 15 : lower.index(b"\r\n", at)]) if at >= 0 else 0
            if length:
                await reader.readexactly(length)
    finally:
        writer.close()


async def raw_asyncio(requests: Sequence[Request], concurrency: int, seconds: float) -> None:
    """Send each request once over ``concurrency`` keep-alive connections (at most ``seconds``)."""
    encoded = [_encode(*r) for r in reversed(requests)]
    parts = urlsplit(requests[0][0])
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    until = asyncio.get_running_loop().time() + seconds
    await asyncio.gather(*(_raw_connection(host, port, encoded, until) for _ in range(concurrency)))


async def aiohttp_client(requests: Sequence[Request], concurrency: int, seconds: float) -> None:
    """Send each request once with one pooled ``aiohttp.ClientSession`` (the worker's client)."""
    todo = list(reversed(requests))
    loop = asyncio.get_running_loop()
    until = loop.time() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def lane() -> None:
            while todo and loop.time() < until:
                url, headers, body = todo.pop()
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    response.raise_for_status()

        await asyncio.gather(*(lane() for _ in range(concurrency)))
