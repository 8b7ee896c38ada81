"""Downloading an attachment from Discord's attachment hosts only, size-limited while streaming.

The URL is parsed strictly, as webhook URLs are (anniversaries/webhook.py): https, the host exactly
cdn.discordapp.com or media.discordapp.net (no user, no port, no IP), ASCII without spaces, a path under
/attachments/ or /ephemeral-attachments/; Discord's signature query (`?ex=…&is=…&hm=…`) is allowed, a fragment
is not. Redirects are not followed. A body larger than the cap is cut off as it streams (a `Content-Length`
above it is refused before reading). There is no other host, not even for tests: a test gives the client an
httpx transport.
"""

from __future__ import annotations

import asyncio
import re

import httpx

from alliance_bot.updates.bundle import MAX_UPLOAD_BYTES, UploadRefused

CDN_HOSTS = {"cdn.discordapp.com", "media.discordapp.net"}
TIMEOUT = httpx.Timeout(20.0, connect=5.0)
DEADLINE = 60.0  # seconds for the whole download: a body trickling in byte by byte is stopped there
_URL = re.compile(r"https://(?P<host>[^/?#]*)(?P<path>/[^?#]*)(?P<query>\?[^#]*)?", re.ASCII | re.DOTALL)
_PATH = re.compile(r"/(?:ephemeral-)?attachments/\d{1,25}/\d{1,25}/[A-Za-z0-9._-]{1,255}", re.ASCII)
_QUERY = re.compile(r"\?[A-Za-z0-9_=&%.-]{0,500}", re.ASCII)


def validate_attachment_url(url: str) -> str:
    """The URL if it is one of Discord's attachment URLs; UploadRefused (one line) if not."""
    text = url.strip()
    if not text or len(text) > 1000 or not text.isascii() or any(c.isspace() or ord(c) < 32 for c in text):
        raise UploadRefused("the attachment's address is not a Discord attachment URL")
    m = _URL.fullmatch(text)
    if m is None:
        raise UploadRefused("the attachment's address is not an https URL on Discord's attachment hosts")
    host = m["host"].lower()
    if host not in CDN_HOSTS:
        raise UploadRefused("attachments are downloaded only from cdn.discordapp.com or media.discordapp.net")
    if not _PATH.fullmatch(m["path"]) or (m["query"] and not _QUERY.fullmatch(m["query"])):
        raise UploadRefused("the attachment's address is not a Discord attachment URL")
    return text


async def download(
    client: httpx.AsyncClient, url: str, *, limit: int = MAX_UPLOAD_BYTES, deadline: float = DEADLINE
) -> bytes:
    """The attachment's bytes (at most `limit`), or UploadRefused saying why not."""
    url = validate_attachment_url(url)
    try:
        async with (
            asyncio.timeout(deadline),
            client.stream("GET", url, timeout=TIMEOUT, follow_redirects=False) as response,
        ):
            if response.status_code != 200:
                raise UploadRefused(
                    f"Discord answered {response.status_code} {response.reason_phrase} for the attachment; "
                    "upload it again"
                )
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise UploadRefused(f"the file is {int(declared):,} bytes; an upload is limited to {limit:,}")
            body = bytearray()
            async for chunk in response.aiter_bytes():  # decoded: the cap holds for what is kept
                body += chunk
                if len(body) > limit:
                    raise UploadRefused(f"the file is larger than {limit:,} bytes, the limit of an upload")
            return bytes(body)
    except (httpx.TimeoutException, TimeoutError):
        raise UploadRefused("downloading the attachment took too long; upload it again") from None
    except httpx.HTTPError as exc:
        raise UploadRefused(f"the attachment could not be downloaded ({type(exc).__name__}); try again") from None
