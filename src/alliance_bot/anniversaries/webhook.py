"""Posting through a Discord webhook with httpx: for servers that choose a webhook, and for cron.

Time limits on every request; 429 honours `retry_after`; 5xx and network
errors are retried with backoff; 401/404 mean the webhook is gone (deleted or
its token reset) and the caller disables it. Webhook URLs are secrets: only
`mask()` forms of them are ever logged or shown.

Only `https` URLs on Discord's own hosts are accepted, parsed strictly (no
port, user, query, whitespace or non-ASCII character), both when a URL is set
and again before every send. There is no other form, not even for tests: a
test injects an httpx transport into the client instead. A reply's body is
never shown or logged (it could be the answer of any service), only its status.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import httpx

log = logging.getLogger(__name__)

DISCORD_HOSTS = {
    "discord.com",
    "discordapp.com",
    "ptb.discord.com",
    "canary.discord.com",
    "ptb.discordapp.com",
    "canary.discordapp.com",
}
SHAPE = "https://discord.com/api/webhooks/ID/TOKEN"
# the whole URL, ASCII only: scheme, host (no user, no port), /api[/vN]/webhooks/<id>/<token>[/]
_URL = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<host>[^/?#]*)(?P<path>[^?#]*)(?P<rest>.*)", re.ASCII | re.DOTALL
)
_PATH = re.compile(r"/api(?:/v\d{1,2})?/webhooks/(\d{5,25})/([A-Za-z0-9_-]{20,100})/?", re.ASCII)
_PARTS = re.compile(r"/api(?:/v\d{1,2})?/webhooks/(?P<id>[^/]*)(?:/(?P<token>[^/]*))?/?", re.ASCII)
_LOOSE_PATH = re.compile(r"/webhooks/(\d{1,25})(?:/([^/?#]*))?", re.ASCII)
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


def _refuse(why: str) -> InvalidWebhook:
    return InvalidWebhook(f"{why}: a webhook URL looks like {SHAPE}")


def validate_webhook_url(url: str) -> str:
    """The URL (without surrounding spaces) if it is an https Discord webhook URL; InvalidWebhook (one line) if not.

    Never raises anything else, whatever the text: brackets, ports, full-width or control characters."""
    text = url.strip()
    if not text:
        raise _refuse("that is empty")
    if len(text) > 300:
        raise _refuse("that is too long to be a webhook URL")
    if not text.isascii():
        raise _refuse("that has characters other than plain ASCII (full-width or look-alike letters?)")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in text):
        raise _refuse("that has spaces or control characters inside it")
    m = _URL.fullmatch(text)
    if m is None:
        raise _refuse("that is not a URL")
    if m["scheme"].lower() != "https":
        raise _refuse("a webhook URL must use https")
    host = m["host"].lower()
    if "@" in host:
        raise _refuse("a webhook URL has no user name")
    if ":" in host or "[" in host or "]" in host:
        raise _refuse("a webhook URL has no port or IP address")
    if host not in DISCORD_HOSTS:
        raise _refuse("a webhook URL must point at discord.com")
    if m["rest"]:
        raise _refuse("a webhook URL has no query (?…) or fragment (#…)")
    if not _PATH.fullmatch(m["path"]):
        raise _refuse(_path_problem(m["path"]))
    return text


def _path_problem(path: str) -> str:
    """What is wrong with the path of a would-be webhook URL, in words (never repeating the token)."""
    parts = _PARTS.fullmatch(path)
    if parts is None:
        return "that is not the address of a webhook"
    ident, token = parts["id"], parts["token"] or ""
    if not ident.isdigit():
        return "the webhook ID should be digits only"
    if not 5 <= len(ident) <= 25:
        return f"the webhook ID has {len(ident)} digit{'s' if len(ident) != 1 else ''}; Discord's have 17 to 20"
    if not token:
        return "the webhook token is missing after the ID"
    if not re.fullmatch(r"[A-Za-z0-9_-]+", token):
        return "the webhook token has characters a token never has (letters, digits, - and _ only)"
    if not 20 <= len(token) <= 100:
        return f"the webhook token has {len(token)} characters; Discord's have about 68"
    return "that is not the address of a webhook"


def _parts(url: str) -> tuple[str, str]:
    """(id, token) of a stored URL, also one an older version accepted; ("invalid", "") when there is none."""
    m = _LOOSE_PATH.search(url)
    return (m.group(1), m.group(2) or "") if m else ("invalid", "")


def webhook_id(url: str) -> str:
    return _parts(url)[0]


def destination_key(url: str) -> str:
    """`<id>:<fingerprint of the token>`: one webhook whatever form its URL takes, another one for another token.

    A webhook's id is visible to anyone who sees its messages; its token is the proof of owning it. Keyed on both,
    the ledger rows of a webhook are reachable only by whoever has its token (the bot, cron); a server that sets
    someone else's id with a junk token claims rows of its own, fails, and takes nothing from the owner. Only a
    one-way fingerprint of the token is stored."""
    wid, token = _parts(url)
    return f"{wid}:{hashlib.sha256(token.encode()).hexdigest()[:32]}"


def mask(url: str | None) -> str:
    """`https://discord.com/api/webhooks/123…/••••` – safe to log and show."""
    if not url:
        return "none"
    try:
        validate_webhook_url(url)
    except InvalidWebhook:
        return f"(not a Discord webhook URL) …/webhooks/{webhook_id(url)}/••••"
    m = _URL.fullmatch(url.strip())
    assert m is not None
    return f"https://{m['host'].lower()}/api/webhooks/{webhook_id(url)}/••••"


@dataclass
class WebhookResult:
    message_id: str | None
    attempts: int


class WebhookSender:
    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        base_backoff: float = 1.0,
    ) -> None:
        self.client = client
        self.sleep = sleep
        self.base_backoff = base_backoff

    async def send(self, url: str, payload: Mapping[str, object]) -> WebhookResult:
        """POST the message (`?wait=true` to get its id back); raise DeliveryError when it cannot be delivered.

        Every failure is a DeliveryError, whatever raised it: the caller holds a ledger claim to settle."""
        try:
            url = validate_webhook_url(url)
        except InvalidWebhook:
            raise DeliveryError(
                "the webhook URL is not a Discord webhook URL (https://discord.com/api/webhooks/…): set a new one",
                permanent=True,
                disable=True,
            ) from None
        target = url.rstrip("/") + "?wait=true"
        last = "no attempt"
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                response = await self.client.post(target, json=payload, timeout=TIMEOUT)
            except httpx.TimeoutException:
                last = "the webhook did not answer in time"
            except httpx.HTTPError as exc:
                last = f"network error: {type(exc).__name__}"
            except Exception as exc:
                log.warning("webhook %s: the request could not be made: %s", mask(url), type(exc).__name__)
                raise DeliveryError(f"the request could not be made ({type(exc).__name__})", permanent=True) from None
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
                        permanent=True,
                        disable=status in (401, 404),
                        status=status,
                    )
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
                    # the body is whatever answered: never shown or logged, only the status and its meaning
                    raise DeliveryError(
                        f"the webhook refused the post ({status} {httpx.codes.get_reason_phrase(status) or 'error'})",
                        permanent=True,
                        status=status,
                    )
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
