"""Posting through a Discord webhook with httpx: for servers that choose a webhook, and for cron.

Time limits on every request; 429 honours `retry_after`; 5xx and network
errors are retried with backoff; 401/404 mean the webhook is gone (deleted or
its token reset) and the caller disables it. Webhook URLs are secrets: only
`mask()` forms of them are ever logged or shown.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

log = logging.getLogger(__name__)

DISCORD_HOSTS = {"discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com"}
_PATH = re.compile(r"^/api(?:/v\d+)?/webhooks/(\d{5,25})/([A-Za-z0-9_-]{20,100})/?$")
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_ATTEMPTS = 4
MAX_RETRY_AFTER = 60.0


class InvalidWebhook(ValueError):
    pass


class DeliveryError(Exception):
    """A post could not be delivered. `permanent`: retrying will not help; `disable`: stop using this target."""

    def __init__(self, reason: str, *, permanent: bool, disable: bool = False, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.disable = disable
        self.status = status


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_webhook_url(url: str) -> str:
    """Return the URL if it is a Discord webhook (https), or plain http to a loopback address (tests)."""
    text = url.strip()
    if len(text) > 300:
        raise InvalidWebhook("that is not a webhook URL (too long)")
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https":
        if host not in DISCORD_HOSTS:
            raise InvalidWebhook("a webhook URL must point at discord.com (https://discord.com/api/webhooks/ID/TOKEN)")
    elif parts.scheme == "http":
        if not _is_loopback(host):
            raise InvalidWebhook("a webhook URL must use https (plain http only to a loopback address, for testing)")
    else:
        raise InvalidWebhook("a webhook URL must look like https://discord.com/api/webhooks/ID/TOKEN")
    if parts.query or parts.fragment or parts.username or parts.password or not _PATH.match(parts.path):
        raise InvalidWebhook("a webhook URL must look like https://discord.com/api/webhooks/ID/TOKEN")
    return text


def webhook_id(url: str) -> str:
    m = _PATH.match(urlsplit(url).path)
    return m.group(1) if m else "invalid"


def mask(url: str | None) -> str:
    """`https://discord.com/api/webhooks/123…/••••` – safe to log and show."""
    if not url:
        return "none"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}/api/webhooks/{webhook_id(url)}/••••"


@dataclass
class WebhookResult:
    message_id: str | None
    attempts: int


class WebhookSender:
    def __init__(self, client: httpx.AsyncClient, *, sleep: Any = asyncio.sleep, base_backoff: float = 1.0) -> None:
        self.client = client
        self.sleep = sleep
        self.base_backoff = base_backoff

    async def send(self, url: str, payload: dict[str, Any]) -> WebhookResult:
        """POST the message (`?wait=true` to get its id back); raise DeliveryError when it cannot be delivered."""
        target = url.rstrip("/") + "?wait=true"
        last = "no attempt"
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                response = await self.client.post(target, json=payload, timeout=TIMEOUT)
            except httpx.TimeoutException:
                last = "the webhook did not answer in time"
            except httpx.HTTPError as exc:
                last = f"network error: {type(exc).__name__}"
            else:
                status = response.status_code
                if status in (200, 204):
                    message_id = None
                    if status == 200:
                        try:
                            message_id = str(response.json().get("id"))
                        except ValueError:
                            message_id = None
                    return WebhookResult(message_id, attempt)
                if status in (401, 403, 404):
                    raise DeliveryError(
                        f"the webhook answered {status}: it was deleted or its token was reset; set a new one",
                        permanent=True, disable=status in (401, 404), status=status)
                if status == 429:
                    wait = _retry_after(response)
                    last = f"rate limited (429), retry after {wait:.1f} s"
                    if wait > MAX_RETRY_AFTER:
                        raise DeliveryError(last, permanent=False, status=429)
                    log.warning("webhook %s: %s", mask(url), last)
                    await self.sleep(wait)
                    continue
                if 500 <= status < 600:
                    last = f"Discord error {status}"
                elif 400 <= status < 500:
                    raise DeliveryError(f"the webhook refused the post ({status}): {response.text[:200]}",
                                        permanent=True, status=status)
                else:
                    last = f"unexpected answer {status}"
            if attempt < MAX_ATTEMPTS:
                delay = self.base_backoff * 2 ** (attempt - 1)
                log.warning("webhook %s: %s; retrying in %.1f s", mask(url), last, delay)
                await self.sleep(delay)
        raise DeliveryError(f"gave up after {MAX_ATTEMPTS} attempts: {last}", permanent=False)


def _retry_after(response: httpx.Response) -> float:
    try:
        value = float(response.json().get("retry_after"))
    except (ValueError, TypeError, AttributeError):
        try:
            value = float(response.headers.get("retry-after", "1"))
        except ValueError:
            value = 1.0
    return max(0.0, value)
