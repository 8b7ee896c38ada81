"""A small fake Discord (REST + gateway) for end-to-end tests of discord.py bots.

Everything runs on 127.0.0.1 inside the test's event loop (aiohttp server +
websocket).  The wire format follows what the installed discord.py 2.7.1
sends and expects; see the notes below for the non-obvious parts.

Typical use::

    async with FakeDiscord() as fake, fake.patch_discord():
        client = discord.Client(intents=discord.Intents(guilds=True), guild_ready_timeout=0.05)
        task = asyncio.create_task(client.start("MTA.fake.token"))
        await fake.wait_for_ready()
        payload = await fake.send_interaction(fake.command("ping"))
        body = await fake.wait_for_callback(payload)
        assert body["type"] == 4
        await client.close(); await task

Notes on discord.py 2.7.1 behaviour this fake relies on / mimics:

* ``discord.Client`` never calls ``GET /gateway/bot``: it connects to the
  hard-coded ``DiscordWebSocket.DEFAULT_GATEWAY`` (``wss://gateway.discord.gg/``).
  ``patch_discord()`` therefore patches that *and* ``Route.BASE``.  Only
  ``AutoShardedClient`` uses ``/gateway/bot``.
* RESUME goes to READY's ``resume_gateway_url``; the fake hands out a distinct
  path (``/gateway-resume``) so tests can check which URL the client used.
  After INVALID_SESSION(false) the client goes back to ``DEFAULT_GATEWAY``.
* The client asks for ``compress=zlib-stream`` (``zstd-stream`` if a zstd module
  is importable) but handles TEXT frames uncompressed.  The fake sends TEXT by
  default; ``FakeDiscord(gateway_compression=True)`` sends zlib-stream BINARY
  frames when the client requested ``zlib-stream``.
* Interaction callbacks are POSTed with ``?with_response=1`` and discord.py
  parses the body as an *interaction callback response*
  (``{"interaction": {...}, "resource": {...}}``), taking the stored view's
  message id from ``interaction.response_message_id``.  Without the query
  parameter Discord (and the fake) answer 204.
* Both the HTTP client and the webhook adapter (used for interaction callbacks
  and followups) treat a 429 *without* a ``Via`` header as a Cloudflare ban
  (HTTPException, no retry).  The fake therefore adds ``Via: 1.1 google`` to
  every response, as Discord does; pass ``headers={"Via": None}`` to
  ``fail_next`` to simulate a Cloudflare-level 429.
* ``Client.before_identify_hook`` sleeps 5 s before every non-initial IDENTIFY
  (e.g. after INVALID_SESSION(false)); use ``disable_identify_delay(client)``.
* ``Client.close()`` ends up closing the gateway socket with code 4000, not 1000
  (aiohttp wakes the pending receive() whose error path closes with 4000 first).
* ``HTTPClient`` retries 500/502/504/524 (sleeping 1+2*try seconds) but *not*
  503; the webhook adapter retries any 5xx.
* JSON bodies are only decoded if the Content-Type is exactly
  ``application/json`` (no charset), so the fake sends exactly that.
* Files go as ``multipart/form-data``: a ``payload_json`` part (the message, with
  ``attachments: [{"id": i, "filename", "description"}]``) and one ``files[i]``
  part per file (``discord.File``; ``utils.MultipartParameters``). The fake stores
  each as an attachment (content type from the name, width and height of an
  image, the description: the alt text) and, as Discord does, replaces an
  embed's ``attachment://NAME`` image or thumbnail by that attachment's URL and
  size; a file over ``upload_limit`` (10 MiB) gets 413, code 40005.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import itertools
import json
import math
import mimetypes
import re
import secrets
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from re import Pattern
from typing import Any

from aiohttp import WSMsgType, web
from multidict import CIMultiDict

__all__ = ["CommandSync", "FakeDiscord", "FakeInteraction", "Fault", "RecordedRequest", "disable_identify_delay"]

DISCORD_EPOCH_MS = 1420070400000
API_PREFIX = re.compile(r"^/api(?:/v\d+)?(?=/|$)")
GATEWAY_PATH = "/gateway"
RESUME_GATEWAY_PATH = "/gateway-resume"
ALL_PERMISSIONS = "2147483647"
MISSING: Any = object()

# Message flags
EPHEMERAL = 1 << 6
LOADING = 1 << 7
IS_COMPONENTS_V2 = 1 << 15

# Gateway intents
INTENT_GUILDS = 1 << 0

# Interaction types / allowed callback types per interaction type
_ALLOWED_CALLBACKS = {
    1: {1},  # PING -> PONG
    2: {4, 5, 9, 12},  # APPLICATION_COMMAND
    3: {4, 5, 6, 7, 9, 12},  # MESSAGE_COMPONENT
    4: {8},  # APPLICATION_COMMAND_AUTOCOMPLETE
    5: {4, 5, 6, 7},  # MODAL_SUBMIT
}

_OPTION_TYPES_BY_NAME = {
    "subcommand": 1,
    "group": 2,
    "string": 3,
    "integer": 4,
    "boolean": 5,
    "user": 6,
    "channel": 7,
    "role": 8,
    "mentionable": 9,
    "number": 10,
    "attachment": 11,
}


UPLOAD_LIMIT = 10 * 1024 * 1024


def _image_size(content: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, GIF or JPEG, as Discord reports them on an image attachment."""
    if content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) >= 24:
        return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
    if content[:6] in (b"GIF87a", b"GIF89a"):
        return int.from_bytes(content[6:8], "little"), int.from_bytes(content[8:10], "little")
    if content[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(content):
            if content[i] != 0xFF:
                return None
            marker, length = content[i + 1], int.from_bytes(content[i + 2 : i + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                return int.from_bytes(content[i + 7 : i + 9], "big"), int.from_bytes(content[i + 5 : i + 7], "big")
            i += 2 + length
    return None


def _resolve_attachment_refs(embeds: list[dict], attachments: Sequence[dict]) -> list[dict]:
    """Discord replaces an embed's `attachment://NAME` image or thumbnail by the file of that name sent with
    the message (its URL, size and type); a name the message has no file of stays as it was (and shows
    nothing)."""
    by_name = {a.get("filename"): a for a in attachments}
    out = []
    for embed in embeds:
        embed = dict(embed)
        for key in ("image", "thumbnail"):
            media = embed.get(key)
            url = media.get("url") if isinstance(media, dict) else None
            if isinstance(url, str) and url.startswith("attachment://"):
                att = by_name.get(url[len("attachment://") :])
                if att is not None:
                    resolved = {"url": att["url"], "proxy_url": att["proxy_url"], "flags": 0}
                    for field in ("width", "height", "content_type"):
                        if field in att:
                            resolved[field] = att[field]
                    embed[key] = resolved
        out.append(embed)
    return out


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def _error(message: str, code: int, errors: dict | None = None) -> dict:
    body: dict[str, Any] = {"message": message, "code": code}
    if errors is not None:
        body["errors"] = errors
    return body


def _form_error(errors: dict) -> dict:
    return _error("Invalid Form Body", 50035, errors)


def _field_error(code: str, message: str) -> dict:
    return {"_errors": [{"code": code, "message": message}]}


def _max_len_error(limit: int) -> dict:
    return _field_error("BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _set_path(errors: dict, path: Sequence[str | int], leaf: dict) -> None:
    node = errors
    for key in path[:-1]:
        node = node.setdefault(str(key), {})
    node[str(path[-1])] = leaf


# --------------------------------------------------------------------------- records


@dataclasses.dataclass
class RecordedRequest:
    """One REST request received by the fake (recorded once it was answered)."""

    method: str
    path: str  # below the API prefix, e.g. "/interactions/123/tok/callback"
    query: dict[str, str]
    json: Any  # parsed JSON body, or the parsed ``payload_json`` of a multipart body
    form_files: dict[str, bytes]  # multipart attachments: filename -> content
    headers: CIMultiDict[str]  # case-insensitive
    time: float  # time.monotonic() when the request arrived
    status: int = 0  # status the fake answered with
    response: Any = None  # JSON body the fake answered with (None for 204)
    fault: bool = False  # True if the answer came from fail_next()/rate_limit_next()
    raw_path: str = ""  # full URL path including /api/v10
    form: dict[str, str] = dataclasses.field(default_factory=dict)  # other multipart text fields
    body: bytes = b""

    @property
    def files(self) -> dict[str, bytes]:
        return self.form_files

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


RESET = -1  # Fault.status for a dropped connection


@dataclasses.dataclass
class Fault:
    """A pending fault (see ``FakeDiscord.fail_next`` / ``delay_next``)."""

    method: str | None
    pattern: Pattern[str]
    times: int
    status: int | None = None
    json: Any = None
    headers: dict[str, str | None] = dataclasses.field(default_factory=dict)
    delay: float = 0.0
    hits: int = 0

    @property
    def remaining(self) -> int:
        return self.times - self.hits

    def matches(self, method: str, path: str) -> bool:
        if self.remaining <= 0:
            return False
        if self.method not in (None, "*") and self.method.upper() != method.upper():
            return False
        return self.pattern.search(path) is not None


@dataclasses.dataclass
class CommandSync:
    guild_id: int | None
    payload: Any
    time: float


@dataclasses.dataclass
class FakeInteraction:
    id: int
    token: str
    type: int
    payload: dict
    created: float
    channel_id: int | None
    responded: bool = False
    callback_type: int | None = None
    callback: Any = None
    original_message_id: int | None = None
    followup_ids: list[int] = dataclasses.field(default_factory=list)


class _Snowflakes:
    def __init__(self) -> None:
        self._inc = itertools.count(1)
        self._last = 0

    def __call__(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        value = (ms << 22) | (1 << 17) | (next(self._inc) & 0xFFF)
        if value <= self._last:
            value = self._last + 1
        self._last = value
        return value


# --------------------------------------------------------------------------- gateway


class _GatewayConn:
    def __init__(self, ws: web.WebSocketResponse, *, path: str, query: Mapping[str, str], compress: bool) -> None:
        self.ws = ws
        self.path = path
        self.query = dict(query)
        self._zlib = zlib.compressobj() if compress else None
        self.session: _Session | None = None
        self.lock = asyncio.Lock()
        self.closed = False
        self.close_code: int | None = None
        self.received: list[dict] = []

    @property
    def compressed(self) -> bool:
        return self._zlib is not None

    async def send(self, payload: dict) -> None:
        data = json.dumps(payload, separators=(",", ":"))
        async with self.lock:
            if self.closed or self.ws.closed:
                raise ConnectionResetError("gateway connection is closed")
            if self._zlib is not None:
                blob = self._zlib.compress(data.encode("utf-8")) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(blob)
            else:
                await self.ws.send_str(data)

    async def close(self, code: int, reason: str = "") -> None:
        if self.closed or self.ws.closed:
            return
        self.closed = True
        with contextlib.suppress(Exception):
            await self.ws.close(code=code, message=reason.encode("utf-8"))


class _Session:
    def __init__(self, session_id: str, identify: dict) -> None:
        self.id = session_id
        self.identify = identify
        self.intents: int = int(identify.get("intents") or 0)
        self.seq = 0
        self.events: list[dict] = []
        self.conn: _GatewayConn | None = None
        self.invalid = False
        self.lock = asyncio.Lock()


# --------------------------------------------------------------------------- the fake


Handler = Callable[..., Awaitable[tuple[int, Any]]]


class _Request:
    """What handlers see: the parsed request."""

    def __init__(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        json_body: Any,
        files: dict[str, bytes],
        file_fields: dict[str, str],
        headers: Mapping[str, str],
    ) -> None:
        self.method = method
        self.path = path
        self.query = query
        self.json = json_body
        self.files = files
        self.file_fields = file_fields  # multipart field name ("files[0]") -> filename
        self.headers = headers


class FakeDiscord:
    """Fake Discord REST API + gateway bound to 127.0.0.1 on a free port."""

    def __init__(
        self,
        *,
        heartbeat_interval_ms: int = 1000,
        token: str | None = None,
        gateway_compression: bool = False,
        strict: bool = True,
        callback_deadline: float | None = 3.0,
        guild_name: str = "Fake Guild",
        channel_name: str = "general",
        bot_name: str = "FakeBot",
        patch: bool = False,
        shard_count: int = 1,
    ) -> None:
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.token = token  # if set, only "Bot <token>" is accepted (REST and IDENTIFY)
        self.gateway_compression = gateway_compression
        self.strict = strict  # validate message/command payloads like Discord does
        self.upload_limit = UPLOAD_LIMIT  # bytes per file (a server without boosts); more: 413, code 40005
        self.callback_deadline = callback_deadline  # seconds to answer an interaction (Discord: 3)
        self.nonce_window = 300.0  # seconds during which enforce_nonce returns the first message
        self._nonces: dict[tuple[str, str], tuple[float, int]] = {}
        self._auto_patch = patch

        self._ids = _Snowflakes()
        self.application_id: int = self._ids()
        self.bot_user_id: int = self._ids()
        self.owner_id: int = self._ids()
        self.user_id: int = self.owner_id  # default interacting user
        self.guild_id: int = self._ids()
        self.channel_id: int = self._ids()
        self.bot_name = bot_name
        self.guild_name = guild_name

        self.users: dict[int, dict] = {}
        self.bot_user: dict = self._user_obj(self.bot_user_id, bot_name, bot=True)
        self.users[self.bot_user_id] = self.bot_user
        self._user_obj(self.owner_id, "owner")
        self.roles: dict[int, dict] = {
            self.guild_id: {
                "id": str(self.guild_id),
                "name": "@everyone",
                "permissions": "1071698660929",
                "position": 0,
                "color": 0,
                "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "icon": None,
                "unicode_emoji": None,
                "flags": 0,
            }
        }
        self.channels: dict[int, dict] = {
            self.channel_id: {
                "id": str(self.channel_id),
                "type": 0,
                "guild_id": str(self.guild_id),
                "name": channel_name,
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
                "topic": None,
                "last_message_id": None,
                "rate_limit_per_user": 0,
                "flags": 0,
            }
        }
        self.messages: dict[int, dict] = {}
        self.interactions: dict[int, FakeInteraction] = {}
        self.global_commands: list[dict] = []
        self.guild_commands: dict[int, list[dict]] = {}
        self._command_ids: dict[tuple[int | None, str, int], int] = {}

        # recording
        self.requests: list[RecordedRequest] = []
        self.unknown_requests: list[RecordedRequest] = []
        self.command_syncs: list[CommandSync] = []
        self.sync_count = 0

        # gateway state / counters
        self.identify_count = 0
        self.resume_count = 0  # RESUME ops received (successful or not)
        self.ready_count = 0  # READY dispatches sent
        self.resumed_count = 0  # RESUMED dispatches sent
        self.heartbeat_count = 0
        self.identify_payloads: list[dict] = []
        self.gateway_connections: list[dict] = []  # {"path", "query", "close_code"}
        self.gateway_received: list[dict] = []  # every payload the client sent
        self._heartbeat_acks = True
        self._conns: list[_GatewayConn] = []
        self._sessions: dict[str, _Session] = {}
        self._session: _Session | None = None

        # shards: several gateway sessions at once, one per shard, each with the servers it holds
        # ((guild_id >> 22) % shard_count) and its own sequence; interactions go to the holding shard's session
        self.shard_count = shard_count  # what GET /gateway/bot recommends
        self.extra_guilds: dict[int, dict] = {}  # guild id -> {"name", "channel_id"}, besides the default guild
        self.shard_sessions: dict[int, _Session] = {}  # shard id -> its live session
        self.interaction_shards: dict[int, int] = {}  # interaction id -> the shard it was dispatched on
        self._guild_serial = 1 << 20

        self._faults: list[Fault] = []
        self._cond = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._patch: _DiscordPatch | None = None
        self._routes: list[tuple[str, Pattern[str], Handler]] = self._build_routes()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> FakeDiscord:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get(GATEWAY_PATH, self._ws_handler)
        app.router.add_get(RESUME_GATEWAY_PATH, self._ws_handler)
        app.router.add_get("/", self._ws_or_404)
        app.router.add_route("*", "/{tail:.*}", self._rest_handler)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        if self._auto_patch:
            self.patch_discord()
        return self

    async def stop(self) -> None:
        for conn in list(self._conns):
            await conn.close(1001, "fake discord stopping")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._patch is not None:
            self._patch.restore()
            self._patch = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeDiscord is not started")
        return self._port

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.http_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{GATEWAY_PATH}"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{RESUME_GATEWAY_PATH}"

    def patch_discord(self) -> _DiscordPatch:
        """Point discord.py at the fake (Route.BASE and DiscordWebSocket.DEFAULT_GATEWAY).

        Applied immediately; undone by ``stop()`` or when used as a (sync) context manager.
        """
        if self._patch is None or not self._patch.active:
            self._patch = _DiscordPatch(self.base_url, self.gateway_url)
        return self._patch

    # ------------------------------------------------------------------ recording helpers

    def clear(self) -> None:
        """Forget recorded requests (state such as messages and commands is kept)."""
        self.requests = []
        self.unknown_requests = []

    async def _notify(self) -> None:
        async with self._cond:
            self._cond.notify_all()

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
        """Wait until ``predicate()`` is truthy (re-checked whenever the fake's state changes)."""

        async def inner() -> Any:
            async with self._cond:
                return await self._cond.wait_for(predicate)

        try:
            return await asyncio.wait_for(inner(), timeout)
        except TimeoutError:
            raise AssertionError(f"FakeDiscord: timed out after {timeout}s waiting for {what}") from None

    async def wait_for_request(
        self, predicate: Callable[[RecordedRequest], bool], timeout: float = 5.0, *, since: int = 0
    ) -> RecordedRequest:
        """First recorded request (already present or arriving later) matching ``predicate``."""

        def find() -> RecordedRequest | None:
            for req in self.requests[since:]:
                if predicate(req):
                    return req
            return None

        return await self.wait_until(find, timeout, what="a matching request")

    def _interaction_id(self, interaction: int | str | dict | FakeInteraction) -> int:
        if isinstance(interaction, FakeInteraction):
            return interaction.id
        if isinstance(interaction, dict):
            return int(interaction["id"])
        return int(interaction)

    def callback_requests(self, interaction: int | str | dict) -> list[RecordedRequest]:
        """All recorded callback requests for an interaction (including faulted/failed ones)."""
        prefix = f"/interactions/{self._interaction_id(interaction)}/"
        return [
            r
            for r in self.requests
            if r.method == "POST" and r.path.startswith(prefix) and r.path.endswith("/callback")
        ]

    async def wait_for_callback(self, interaction: int | str | dict, timeout: float = 5.0) -> Any:
        """JSON body of the first *successful* callback for the interaction."""
        prefix = f"/interactions/{self._interaction_id(interaction)}/"
        req = await self.wait_for_request(
            lambda r: r.method == "POST" and r.path.startswith(prefix) and r.path.endswith("/callback") and r.ok,
            timeout,
        )
        return req.json

    def original_message(self, interaction: int | str | dict) -> dict | None:
        inter = self.interactions.get(self._interaction_id(interaction))
        if inter is None or inter.original_message_id is None:
            return None
        return self.messages.get(inter.original_message_id)

    def followups(self, interaction: int | str | dict) -> list[dict]:
        inter = self.interactions.get(self._interaction_id(interaction))
        if inter is None:
            return []
        return [self.messages[m] for m in inter.followup_ids if m in self.messages]

    def commands(self, guild_id: int | None = None) -> list[dict]:
        """Currently registered commands (global if guild_id is None)."""
        if guild_id is None:
            return list(self.global_commands)
        return list(self.guild_commands.get(int(guild_id), []))

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str | None,
        path_regex: str,
        status: int,
        json: Any = None,
        headers: Mapping[str, str | None] | None = None,
        times: int = 1,
    ) -> Fault:
        """Answer the next ``times`` matching requests with ``status`` instead of handling them.

        ``path_regex`` is searched in the path below ``/api/v10`` (e.g. ``r"/interactions/\\d+/.+/callback"``).
        For 429 the default body/headers are Discord's (retry_after 0.2, user scope).  A header value of
        None removes that header (e.g. ``{"Via": None}`` for a Cloudflare-style 429).
        """
        hdrs: dict[str, str | None] = {}
        if status == 429:
            body = (
                json
                if json is not None
                else {"message": "You are being rate limited.", "retry_after": 0.2, "global": False}
            )
            retry_after = float(body.get("retry_after", 0.2)) if isinstance(body, dict) else 0.2
            is_global = bool(body.get("global")) if isinstance(body, dict) else False
            hdrs = {
                "Retry-After": str(max(1, math.ceil(retry_after))),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
                "X-RateLimit-Reset-After": f"{retry_after:.3f}",
                "X-RateLimit-Bucket": "fake0bucket0hash",
                "X-RateLimit-Scope": "global" if is_global else "user",
            }
            if is_global:
                hdrs["X-RateLimit-Global"] = "true"
        else:
            reason = {
                400: "Bad Request",
                401: "Unauthorized",
                403: "Forbidden",
                404: "Not Found",
                500: "Internal Server Error",
                502: "Bad Gateway",
                503: "Service Unavailable",
                504: "Gateway Timeout",
            }.get(status, "Error")
            body = json if json is not None else {"message": f"{status}: {reason}", "code": 0}
        hdrs.update(headers or {})
        fault = Fault(
            method=method, pattern=re.compile(path_regex), times=times, status=status, json=body, headers=hdrs
        )
        self._faults.append(fault)
        return fault

    def rate_limit_next(
        self,
        method: str | None,
        path_regex: str,
        retry_after: float = 0.2,
        *,
        scope: str = "user",
        is_global: bool = False,
        times: int = 1,
    ) -> Fault:
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": is_global}
        return self.fail_next(method, path_regex, 429, json=body, headers={"X-RateLimit-Scope": scope}, times=times)

    def reset_next(self, method: str | None, path_regex: str, times: int = 1) -> Fault:
        """Drop the connection of the next ``times`` matching requests without answering (a reset)."""
        fault = Fault(method=method, pattern=re.compile(path_regex), times=times, status=RESET)
        self._faults.append(fault)
        return fault

    def delay_next(self, method: str | None, path_regex: str, seconds: float, times: int = 1) -> Fault:
        """Sleep ``seconds`` before handling the next ``times`` matching requests."""
        fault = Fault(method=method, pattern=re.compile(path_regex), times=times, delay=seconds)
        self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self._faults = []

    def _take_fault(self, method: str, path: str, *, delay: bool) -> Fault | None:
        for fault in self._faults:
            if (fault.delay > 0) == delay and fault.matches(method, path):
                fault.hits += 1
                return fault
        return None

    # ------------------------------------------------------------------ gateway control

    @property
    def session_id(self) -> str | None:
        return self._session.id if self._session else None

    @property
    def sequence(self) -> int:
        return self._session.seq if self._session else 0

    def _current_conn(self) -> _GatewayConn | None:
        if self._session is not None and self._session.conn is not None and not self._session.conn.closed:
            return self._session.conn
        for conn in reversed(self._conns):
            if not conn.closed:
                return conn
        return None

    @property
    def connected(self) -> bool:
        return self._current_conn() is not None

    async def _require_conn(self, timeout: float = 5.0) -> _GatewayConn:
        return await self.wait_until(self._current_conn, timeout, what="a gateway connection")

    async def dispatch(self, event: str, data: Any) -> dict:
        """Send a DISPATCH (op 0) on the current session; buffered for RESUME replay."""
        session = self._session
        if session is None:
            raise RuntimeError("FakeDiscord: no gateway session (has the client identified?)")
        return await self._dispatch(session, event, data)

    async def _dispatch(self, session: _Session, event: str, data: Any) -> dict:
        async with session.lock:
            session.seq += 1
            payload = {"op": 0, "t": event, "s": session.seq, "d": data}
            session.events.append(payload)
            conn = session.conn
            if conn is not None and not conn.closed:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await conn.send(payload)
        return payload

    async def gateway_send_raw(self, payload: dict) -> None:
        """Send an arbitrary payload on the current connection (no sequence number)."""
        conn = await self._require_conn()
        await conn.send(payload)

    async def gateway_close(self, code: int = 4000, reason: str = "") -> None:
        """Close the current gateway connection with ``code`` (4000 -> client resumes).

        Codes 4007 (invalid seq) and 4009 (session timed out) also invalidate the session,
        so the client's RESUME is answered with INVALID_SESSION(false) -> fresh IDENTIFY.
        """
        conn = await self._require_conn()
        if code in (4007, 4009) and conn.session is not None:
            conn.session.invalid = True
        await conn.close(code, reason)

    async def gateway_reconnect(self) -> None:
        """Send op 7 RECONNECT; the client closes and RESUMEs on resume_gateway_url."""
        conn = await self._require_conn()
        await conn.send({"op": 7, "d": None})

    async def gateway_invalid_session(self, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION; with resumable=False the session can no longer be resumed."""
        conn = await self._require_conn()
        if not resumable and conn.session is not None:
            conn.session.invalid = True
        await conn.send({"op": 9, "d": bool(resumable)})

    async def gateway_request_heartbeat(self) -> None:
        """Send op 1 HEARTBEAT (server-requested heartbeat)."""
        conn = await self._require_conn()
        await conn.send({"op": 1, "d": None})

    def stop_heartbeat_acks(self) -> None:
        self._heartbeat_acks = False

    def resume_heartbeat_acks(self) -> None:
        self._heartbeat_acks = True

    async def wait_for_ready(self, count: int = 1, timeout: float = 10.0) -> None:
        """Wait until ``count`` READY dispatches (i.e. successful IDENTIFYs) have been sent in total."""
        await self.wait_until(lambda: self.ready_count >= count, timeout, what=f"READY #{count}")

    async def wait_for_resumed(self, count: int = 1, timeout: float = 10.0) -> None:
        """Wait until ``count`` successful RESUMEs (RESUMED sent) in total."""
        await self.wait_until(lambda: self.resumed_count >= count, timeout, what=f"RESUMED #{count}")

    async def wait_for_heartbeats(self, count: int, timeout: float = 10.0) -> None:
        await self.wait_until(lambda: self.heartbeat_count >= count, timeout, what=f"heartbeat #{count}")

    async def _ws_or_404(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._ws_handler(request)
        return await self._rest_handler(request)

    async def _ws_handler(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(timeout=2.0, max_msg_size=0, autoping=True, heartbeat=None, compress=False)
        await ws.prepare(request)
        compress = self.gateway_compression and request.query.get("compress") == "zlib-stream"
        conn = _GatewayConn(ws, path=request.path, query=request.query, compress=compress)
        record = {"path": request.path, "query": dict(request.query), "close_code": None, "compressed": compress}
        self.gateway_connections.append(record)
        self._conns.append(conn)
        await self._notify()
        try:
            await conn.send(
                {"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms, "_trace": ["fake-gateway"]}}
            )
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    try:
                        payload = json.loads(msg.data)
                        if not isinstance(payload, dict):
                            raise ValueError("payload is not an object")
                    except ValueError:
                        await conn.close(4002, "Error while decoding payload.")
                        break
                    conn.received.append(payload)
                    self.gateway_received.append(payload)
                    await self._on_gateway_payload(conn, payload)
                elif msg.type == WSMsgType.BINARY:
                    await conn.close(4002, "Error while decoding payload.")
                    break
                else:
                    break
        except (ConnectionError, RuntimeError):
            pass
        finally:
            conn.closed = True
            conn.close_code = ws.close_code
            record["close_code"] = ws.close_code
            if conn.session is not None and conn.session.conn is conn:
                conn.session.conn = None
            with contextlib.suppress(ValueError):
                self._conns.remove(conn)
            await self._notify()
        return ws

    async def _on_gateway_payload(self, conn: _GatewayConn, payload: dict) -> None:
        op = payload.get("op")
        d = payload.get("d")
        if op == 1:  # HEARTBEAT
            self.heartbeat_count += 1
            if self._heartbeat_acks:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await conn.send({"op": 11, "d": None})
            await self._notify()
        elif op == 2:  # IDENTIFY
            await self._on_identify(conn, d or {})
        elif op == 6:  # RESUME
            await self._on_resume(conn, d or {})
        elif op in (3, 4, 8, 14, 31):  # presence, voice state, request members, ... : accepted
            if conn.session is None:
                await conn.close(4003, "Not authenticated.")
        else:
            await conn.close(4001, "Unknown opcode.")

    def _token_ok(self, token: str | None) -> bool:
        if not token:
            return False
        if token.startswith("Bot "):
            token = token[4:]
        return self.token is None or token == self.token

    @staticmethod
    def shard_of(guild_id: int, shard_count: int) -> int:
        return (int(guild_id) >> 22) % shard_count

    def add_guild(self, shard: int = 0, name: str | None = None) -> tuple[int, int]:
        """A new server held by `shard` (of `shard_count`), with one text channel: (guild id, channel id)."""
        self._guild_serial += 1
        k = self._guild_serial
        gid = ((k * self.shard_count + shard) << 22) | (k & 0x3FFFFF)
        cid = self._ids()
        self.extra_guilds[gid] = {"name": name or f"Guild {k}", "channel_id": cid}
        self.channels[cid] = dict(self.channels[self.channel_id], id=str(cid), guild_id=str(gid), name="general")
        return gid, cid

    def all_guild_ids(self) -> list[int]:
        return [self.guild_id, *self.extra_guilds]

    async def _on_identify(self, conn: _GatewayConn, d: dict) -> None:
        self.identify_count += 1
        self.identify_payloads.append(d)
        if conn.session is not None:
            await conn.close(4005, "Already authenticated.")
            return
        if not self._token_ok(d.get("token")):
            await conn.close(4004, "Authentication failed.")
            return
        if "intents" not in d:
            await conn.close(4013, "Invalid intent(s).")
            return
        shard = d.get("shard") or [0, 1]
        if not (isinstance(shard, list) and len(shard) == 2 and 0 <= int(shard[0]) < int(shard[1])):
            await conn.close(4010, "Invalid shard.")
            return
        session = _Session(secrets.token_hex(16), d)
        self._sessions[session.id] = session
        self._session = session
        async with session.lock:
            session.conn = conn
            conn.session = session
        shard_id, count = int(shard[0]), int(shard[1])
        self.shard_sessions[shard_id] = session
        held = [g for g in self.all_guild_ids() if self.shard_of(g, count) == shard_id]
        ready = {
            "v": 10,
            "user": dict(self.bot_user, verified=True, mfa_enabled=False, flags=0, email=None),
            "guilds": [{"id": str(g), "unavailable": True} for g in held],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_gateway_url,
            "shard": shard,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["fake"],
            "auth": {},
            "_trace": ["fake-gateway"],
        }
        await self._dispatch(session, "READY", ready)
        if session.intents & INTENT_GUILDS:
            for g in held:
                await self._dispatch(session, "GUILD_CREATE", self.guild_payload(g))
        self.ready_count += 1
        await self._notify()

    async def _on_resume(self, conn: _GatewayConn, d: dict) -> None:
        self.resume_count += 1
        session = self._sessions.get(str(d.get("session_id")))
        if session is None or session.invalid or not self._token_ok(d.get("token")):
            with contextlib.suppress(ConnectionError, RuntimeError):
                await conn.send({"op": 9, "d": False})
            await self._notify()
            return
        last = d.get("seq") or 0
        async with session.lock:
            old = session.conn
            session.conn = conn
            conn.session = session
            try:
                for event in session.events:
                    if event["s"] > last:
                        await conn.send(event)
                session.seq += 1
                resumed = {"op": 0, "t": "RESUMED", "s": session.seq, "d": {"_trace": ["fake-gateway"]}}
                session.events.append(resumed)
                await conn.send(resumed)
            except (ConnectionError, RuntimeError):
                return
        self._session = session
        if old is not None and old is not conn:
            await old.close(4000, "Session resumed elsewhere.")
        self.resumed_count += 1
        await self._notify()

    # ------------------------------------------------------------------ object builders

    def _user_obj(self, user_id: int, username: str | None = None, *, bot: bool = False) -> dict:
        user_id = int(user_id)
        existing = self.users.get(user_id)
        if existing is not None and username is None:
            return existing
        user = {
            "id": str(user_id),
            "username": username or f"user{user_id % 100000}",
            "discriminator": "0",
            "global_name": username,
            "avatar": None,
            "public_flags": 0,
            "bot": bot,
            "flags": 0,
        }
        if bot:
            user["discriminator"] = "0001"
        self.users[user_id] = user
        return user

    def add_user(self, user_id: int | None = None, username: str | None = None) -> int:
        uid = int(user_id) if user_id is not None else self._ids()
        self._user_obj(uid, username)
        return uid

    def _member_obj(self, user: dict, *, roles: Iterable[Any] = (), permissions: str | None = None) -> dict:
        member: dict[str, Any] = {
            "user": user,
            "roles": [str(r) for r in roles],
            "joined_at": _now_iso(),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "nick": None,
            "avatar": None,
            "communication_disabled_until": None,
        }
        if permissions is not None:
            member["permissions"] = str(permissions)
        return member

    def guild_payload(self, guild_id: int | None = None) -> dict:
        """GUILD_CREATE payload of the default guild, or of one added with add_guild (one text channel, the bot
        member)."""
        gid = self.guild_id if guild_id is None else int(guild_id)
        extra = self.extra_guilds.get(gid)
        roles = list(self.roles.values()) if extra is None else [dict(self.roles[self.guild_id], id=str(gid))]
        return {
            "id": str(gid),
            "name": self.guild_name if extra is None else extra["name"],
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "features": [],
            "mfa_level": 0,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "safety_alerts_channel_id": None,
            "unavailable": False,
            "large": False,
            "member_count": 2,
            "joined_at": _now_iso(),
            "lazy": True,
            "roles": roles,
            "emojis": [],
            "stickers": [],
            "channels": [c for c in self.channels.values() if c.get("guild_id") == str(gid)],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "members": [self._member_obj(self.bot_user)],
        }

    async def add_role(
        self,
        name: str,
        permissions: str = "0",
        *,
        role_id: int | None = None,
        managed: bool = False,
        tags: dict | None = None,
    ) -> int:
        """Create a guild role (included in later GUILD_CREATEs; dispatched live if connected).

        ``managed``/``tags`` make an integration's role as Discord sends it: a bot's role has
        ``tags={"bot_id": ...}``, the booster role ``{"premium_subscriber": None}``, a linked
        service's ``{"integration_id": ...}``.
        """
        rid = int(role_id) if role_id is not None else self._ids()
        role = {
            "id": str(rid),
            "name": name,
            "permissions": str(permissions),
            "position": len(self.roles),
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "managed": managed,
            "mentionable": False,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }
        if tags is not None:
            role["tags"] = dict(tags)
        self.roles[rid] = role
        if self._session is not None:
            await self.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(self.guild_id), "role": role})
        return rid

    def _dm_channel(self, user: dict) -> dict:
        for ch in self.channels.values():
            if ch["type"] == 1 and ch["recipients"][0]["id"] == user["id"]:
                return ch
        cid = self._ids()
        ch = {"id": str(cid), "type": 1, "recipients": [user], "last_message_id": None, "flags": 0}
        self.channels[cid] = ch
        return ch

    # -- interactions

    def _base_interaction(
        self,
        itype: int,
        data: dict,
        *,
        user_id: int | None,
        username: str | None,
        member_permissions: str,
        roles: Iterable[Any],
        guild_id: int | None,
        channel_id: int | None,
        locale: str,
        dm: bool,
        app_permissions: str,
    ) -> dict:
        iid = self._ids()
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)
        user = self._user_obj(user_id if user_id is not None else self.user_id, username)
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": itype,
            "data": data,
            "token": token,
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "app_permissions": str(app_permissions),
        }
        if dm:
            channel = self._dm_channel(user)
            payload.update(
                channel_id=channel["id"],
                channel=dict(channel),
                user=user,
                context=1,
                authorizing_integration_owners={"0": str(user["id"])},
            )
        else:
            gid = int(guild_id) if guild_id is not None else self.guild_id
            cid = int(channel_id) if channel_id is not None else self.channel_id
            channel = dict(
                self.channels.get(cid)
                or {
                    "id": str(cid),
                    "type": 0,
                    "guild_id": str(gid),
                    "name": "unknown",
                    "position": 0,
                    "permission_overwrites": [],
                    "flags": 0,
                }
            )
            channel["permissions"] = str(member_permissions)
            payload.update(
                guild_id=str(gid),
                guild={"id": str(gid), "locale": "en-US", "features": []},
                guild_locale="en-US",
                channel_id=channel["id"],
                channel=channel,
                context=0,
                member=self._member_obj(user, roles=roles, permissions=member_permissions),
                authorizing_integration_owners={"0": str(gid)},
            )
        return payload

    def _find_command(self, name: str, guild_id: int | None, ctype: int = 1) -> tuple[dict | None, int | None]:
        if guild_id is not None:
            for cmd in self.guild_commands.get(int(guild_id), []):
                if cmd["name"] == name and cmd.get("type", 1) == ctype:
                    return cmd, int(guild_id)
        for cmd in self.global_commands:
            if cmd["name"] == name and cmd.get("type", 1) == ctype:
                return cmd, None
        return None, None

    @staticmethod
    def _option_defs(cmd: dict | None, group: str | None, subcommand: str | None) -> dict[str, dict]:
        if cmd is None:
            return {}
        opts = cmd.get("options") or []
        for wanted, otype in ((group, 2), (subcommand, 1)):
            if wanted is None:
                continue
            found = next((o for o in opts if o.get("name") == wanted and o.get("type") == otype), None)
            opts = (found or {}).get("options") or []
        return {o["name"]: o for o in opts if "name" in o}

    @staticmethod
    def _infer_type(value: Any) -> int:
        if isinstance(value, bool):
            return 5
        if isinstance(value, int):
            return 4
        if isinstance(value, float):
            return 10
        return 3

    def _leaf_options(self, options: Any, defs: dict[str, dict], resolved: dict, in_guild: bool) -> list[dict]:
        if not options:
            return []
        if isinstance(options, Mapping):
            items = [{"name": k, "value": v} for k, v in options.items()]
        else:
            items = [dict(o) for o in options]
        out = []
        for opt in items:
            d = defs.get(opt["name"], {})
            otype = opt.get("type") or d.get("type") or self._infer_type(opt.get("value"))
            if isinstance(otype, str):
                otype = _OPTION_TYPES_BY_NAME[otype]
            opt["type"] = otype
            if otype in (6, 7, 8, 9, 11) and "value" in opt and not opt.get("focused"):
                opt["value"] = str(opt["value"])
                self._auto_resolve(otype, int(opt["value"]), resolved, in_guild)
            out.append(opt)
        return out

    def _auto_resolve(self, otype: int, snowflake: int, resolved: dict, in_guild: bool) -> None:
        key = str(snowflake)
        if otype == 8 or (otype == 9 and snowflake in self.roles):
            if snowflake in self.roles:
                resolved.setdefault("roles", {}).setdefault(key, self.roles[snowflake])
        elif otype in (6, 9):
            user = self._user_obj(snowflake)
            resolved.setdefault("users", {}).setdefault(key, user)
            if in_guild:
                member = self._member_obj(user, permissions=ALL_PERMISSIONS)
                member.pop("user")
                resolved.setdefault("members", {}).setdefault(key, member)
        elif otype == 7:
            ch = self.channels.get(snowflake)
            if ch is not None:
                entry = {k: ch[k] for k in ("id", "type", "name", "parent_id", "guild_id") if k in ch}
                entry["permissions"] = ALL_PERMISSIONS
                resolved.setdefault("channels", {}).setdefault(key, entry)
        elif otype == 11:
            resolved.setdefault("attachments", {}).setdefault(
                key,
                {
                    "id": key,
                    "filename": f"attachment{key[-4:]}.bin",
                    "size": 0,
                    "url": f"{self.http_url}/attachments/{key}",
                    "proxy_url": f"{self.http_url}/attachments/{key}",
                },
            )

    def _wrap_options(self, leaf: list[dict], subcommand: str | None, group: str | None) -> list[dict]:
        if subcommand is None and group is None:
            return leaf
        if subcommand is None:
            raise ValueError("group requires subcommand")
        sub: dict[str, Any] = {"type": 1, "name": subcommand, "options": leaf}
        if group is None:
            return [sub]
        return [{"type": 2, "name": group, "options": [sub]}]

    def _command_data(
        self, name: str, *, ctype: int, guild_id: int | None, dm: bool, command_guild_id: Any, command_id: Any
    ) -> tuple[dict, dict | None]:
        lookup_gid = None if dm else (int(guild_id) if guild_id is not None else self.guild_id)
        cmd, scope = self._find_command(name, lookup_gid, ctype)
        if command_guild_id is not MISSING:
            scope = int(command_guild_id) if command_guild_id is not None else None
        if command_id is MISSING or command_id is None:
            command_id = cmd["id"] if cmd else self._command_id(scope, name, ctype)
        data: dict[str, Any] = {"id": str(command_id), "name": name, "type": ctype}
        if scope is not None:
            data["guild_id"] = str(scope)
        return data, cmd

    def command(
        self,
        name: str,
        options: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        subcommand: str | None = None,
        group: str | None = None,
        user_id: int | None = None,
        username: str | None = None,
        member_permissions: str = ALL_PERMISSIONS,
        roles: Iterable[Any] = (),
        guild_id: int | None = None,
        channel_id: int | None = None,
        locale: str = "en-US",
        dm: bool = False,
        resolved: dict | None = None,
        command_guild_id: Any = MISSING,
        command_id: Any = MISSING,
        app_permissions: str = ALL_PERMISSIONS,
    ) -> dict:
        """INTERACTION_CREATE payload for a slash command (type 2).

        ``options`` is ``{name: value}`` (types taken from the synced command definition if the
        bot synced, else inferred from the Python type) or a list of raw option dicts.
        ``data.guild_id`` is set automatically when the command was synced as a guild command;
        pass ``command_guild_id`` explicitly for unsynced guild-only commands.
        """
        data, cmd = self._command_data(
            name, ctype=1, guild_id=guild_id, dm=dm, command_guild_id=command_guild_id, command_id=command_id
        )
        res: dict = copy.deepcopy(resolved) if resolved else {}
        leaf = self._leaf_options(options, self._option_defs(cmd, group, subcommand), res, not dm)
        opts = self._wrap_options(leaf, subcommand, group)
        if opts:
            data["options"] = opts
        if res:
            data["resolved"] = res
        return self._base_interaction(
            2,
            data,
            user_id=user_id,
            username=username,
            member_permissions=member_permissions,
            roles=roles,
            guild_id=guild_id,
            channel_id=channel_id,
            locale=locale,
            dm=dm,
            app_permissions=app_permissions,
        )

    def autocomplete(
        self,
        name: str,
        focused_option: str,
        value: Any,
        other_options: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        subcommand: str | None = None,
        group: str | None = None,
        user_id: int | None = None,
        username: str | None = None,
        member_permissions: str = ALL_PERMISSIONS,
        roles: Iterable[Any] = (),
        guild_id: int | None = None,
        channel_id: int | None = None,
        locale: str = "en-US",
        dm: bool = False,
        command_guild_id: Any = MISSING,
        command_id: Any = MISSING,
        app_permissions: str = ALL_PERMISSIONS,
    ) -> dict:
        """INTERACTION_CREATE payload for an autocomplete request (type 4, focused option flagged)."""
        data, cmd = self._command_data(
            name, ctype=1, guild_id=guild_id, dm=dm, command_guild_id=command_guild_id, command_id=command_id
        )
        defs = self._option_defs(cmd, group, subcommand)
        res: dict = {}
        leaf = self._leaf_options(other_options, defs, res, not dm)
        ftype = defs.get(focused_option, {}).get("type") or 3
        leaf.append({"type": ftype, "name": focused_option, "value": value, "focused": True})
        data["options"] = self._wrap_options(leaf, subcommand, group)
        return self._base_interaction(
            4,
            data,
            user_id=user_id,
            username=username,
            member_permissions=member_permissions,
            roles=roles,
            guild_id=guild_id,
            channel_id=channel_id,
            locale=locale,
            dm=dm,
            app_permissions=app_permissions,
        )

    def component(
        self,
        custom_id: str,
        *,
        message_id: int | str,
        component_type: int = 2,
        values: Sequence[str] | None = None,
        user_id: int | None = None,
        username: str | None = None,
        member_permissions: str = ALL_PERMISSIONS,
        roles: Iterable[Any] = (),
        guild_id: int | None = None,
        channel_id: int | None = None,
        locale: str = "en-US",
        dm: bool = False,
        resolved: dict | None = None,
        message: dict | None = None,
        app_permissions: str = ALL_PERMISSIONS,
    ) -> dict:
        """INTERACTION_CREATE payload for a component interaction (type 3) on ``message_id``.

        The ``message`` object is the stored message if the fake knows it (e.g. the bot's
        interaction response), otherwise a minimal message in the default channel.
        """
        mid = int(message_id)
        if message is None:
            stored = self.messages.get(mid)
            message = (
                copy.deepcopy(stored)
                if stored is not None
                else self._message_obj(channel_id if channel_id is not None else self.channel_id, {}, message_id=mid)
            )
        if channel_id is None and not dm:
            ch = self.channels.get(int(message["channel_id"]))
            if ch is not None and ch.get("type") != 1:
                channel_id = int(message["channel_id"])
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
        if values is not None or component_type in (3, 5, 6, 7, 8):
            data["values"] = [str(v) for v in (values or [])]
        if resolved:
            data["resolved"] = resolved
        payload = self._base_interaction(
            3,
            data,
            user_id=user_id,
            username=username,
            member_permissions=member_permissions,
            roles=roles,
            guild_id=guild_id,
            channel_id=channel_id,
            locale=locale,
            dm=dm,
            app_permissions=app_permissions,
        )
        payload["message"] = message
        return payload

    def modal_submit(
        self,
        custom_id: str,
        fields: Mapping[str, str],
        *,
        message_id: int | str | None = None,
        user_id: int | None = None,
        member_permissions: str = ALL_PERMISSIONS,
        guild_id: int | None = None,
        channel_id: int | None = None,
        locale: str = "en-US",
        dm: bool = False,
    ) -> dict:
        """INTERACTION_CREATE payload for a modal submit (type 5) with text inputs ``{custom_id: value}``."""
        rows = [{"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]} for k, v in fields.items()]
        payload = self._base_interaction(
            5,
            {"custom_id": custom_id, "components": rows},
            user_id=user_id,
            username=None,
            member_permissions=member_permissions,
            roles=(),
            guild_id=guild_id,
            channel_id=channel_id,
            locale=locale,
            dm=dm,
            app_permissions=ALL_PERMISSIONS,
        )
        if message_id is not None and int(message_id) in self.messages:
            payload["message"] = copy.deepcopy(self.messages[int(message_id)])
        return payload

    async def send_interaction(self, payload: dict) -> dict:
        """Register the interaction and dispatch INTERACTION_CREATE on the current session."""
        channel_id = payload.get("channel_id") or (payload.get("channel") or {}).get("id")
        # Discord's 3-second window starts when it created the interaction: the time in its snowflake id
        age = max(0.0, time.time() - ((int(payload["id"]) >> 22) + DISCORD_EPOCH_MS) / 1000)
        inter = FakeInteraction(
            id=int(payload["id"]),
            token=payload["token"],
            type=int(payload["type"]),
            payload=payload,
            created=time.monotonic() - age,
            channel_id=int(channel_id) if channel_id else None,
        )
        self.interactions[inter.id] = inter
        guild = payload.get("guild_id")
        if guild and self.shard_sessions and self.shard_count > 1:
            # Discord sends a server's interactions to the shard that holds it, and to no other
            shard = self.shard_of(int(guild), self.shard_count)
            session = self.shard_sessions.get(shard)
            if session is None:
                raise RuntimeError(f"FakeDiscord: no session holds shard {shard} (guild {guild})")
            self.interaction_shards[inter.id] = shard
            await self._dispatch(session, "INTERACTION_CREATE", payload)
            return payload
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    # ------------------------------------------------------------------ messages

    def _normalize_components(self, components: Any, counter: Iterable[int] | None = None) -> Any:
        if not isinstance(components, list):
            return components
        counter = counter if counter is not None else itertools.count(1)
        out = []
        for comp in components:
            if not isinstance(comp, dict):
                out.append(comp)
                continue
            comp = dict(comp)
            comp.setdefault("id", next(counter))  # type: ignore[arg-type]
            if isinstance(comp.get("components"), list):
                comp["components"] = self._normalize_components(comp["components"], counter)
            if isinstance(comp.get("accessory"), dict):
                comp["accessory"] = self._normalize_components([comp["accessory"]], counter)[0]
            out.append(comp)
        return out

    def _attachments(self, body: dict, req: _Request | None, existing: Sequence[dict] = ()) -> list[dict]:
        result: list[dict] = []
        keep = body.get("attachments")
        existing_by_id = {str(a["id"]): a for a in existing}
        uploaded: dict[str, tuple[str, bytes]] = {}
        if req is not None:
            for field, filename in req.file_fields.items():
                m = re.fullmatch(r"files\[(\d+)\]", field)
                idx = m.group(1) if m else field
                uploaded[idx] = (filename, req.files.get(filename, b""))
        if keep is None:
            result.extend(existing)
            keep = [{"id": k, "filename": v[0]} for k, v in uploaded.items()]
        for att in keep or []:
            aid = str(att.get("id"))
            if aid in existing_by_id:
                result.append(existing_by_id[aid])
                continue
            if aid in uploaded:
                filename, content = uploaded[aid]
                new_id = str(self._ids())
                size = _image_size(content)
                kind = mimetypes.guess_type(filename)[0] or "application/octet-stream"
                result.append(
                    {
                        "id": new_id,
                        "filename": att.get("filename") or filename,
                        "size": len(content),
                        "url": f"{self.http_url}/attachments/{new_id}/{filename}",
                        "proxy_url": f"{self.http_url}/attachments/{new_id}/{filename}",
                        "content_type": kind,
                        **({"width": size[0], "height": size[1]} if size and kind.startswith("image/") else {}),
                        **({"description": att["description"]} if att.get("description") else {}),
                    }
                )
        return result

    def _message_obj(
        self,
        channel_id: int,
        body: dict,
        *,
        req: _Request | None = None,
        message_id: int | None = None,
        webhook: bool = False,
        interaction: FakeInteraction | None = None,
        msg_type: int = 0,
    ) -> dict:
        mid = message_id if message_id is not None else self._ids()
        channel = self.channels.get(int(channel_id)) or {}
        embeds = [dict(e, type=e.get("type", "rich")) for e in (body.get("embeds") or [])]
        msg: dict[str, Any] = {
            "id": str(mid),
            "type": msg_type,
            "channel_id": str(channel_id),
            "content": body.get("content") or "",
            "embeds": embeds,
            "components": self._normalize_components(body.get("components") or []),
            "attachments": self._attachments(body, req),
            "author": self.bot_user,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "pinned": False,
            "flags": int(body.get("flags") or 0),
            "sticker_items": [],
        }
        msg["embeds"] = _resolve_attachment_refs(msg["embeds"], msg["attachments"])
        if channel.get("guild_id"):
            msg["guild_id"] = channel["guild_id"]
        if body.get("nonce") is not None:
            msg["nonce"] = body["nonce"]
        if body.get("message_reference"):
            ref = dict(body["message_reference"])
            ref.setdefault("channel_id", str(channel_id))
            msg["message_reference"] = ref
            msg["type"] = 19
        if webhook:
            msg["webhook_id"] = str(self.application_id)
            msg["application_id"] = str(self.application_id)
        if interaction is not None:
            user = (interaction.payload.get("member") or {}).get("user") or interaction.payload.get("user")
            msg["interaction_metadata"] = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": user,
                "authorizing_integration_owners": interaction.payload.get("authorizing_integration_owners", {}),
            }
            if interaction.type == 2:
                msg["interaction_metadata"]["name"] = interaction.payload["data"].get("name")
                msg["type"] = 20
        return msg

    def _store_message(self, msg: dict) -> dict:
        self.messages[int(msg["id"])] = msg
        ch = self.channels.get(int(msg["channel_id"]))
        if ch is not None:
            ch["last_message_id"] = msg["id"]
        return msg

    def _edit_message(self, msg: dict, body: dict, req: _Request | None) -> dict:
        if "content" in body:
            msg["content"] = body["content"] or ""
        if "embeds" in body:
            msg["embeds"] = [dict(e, type=e.get("type", "rich")) for e in (body["embeds"] or [])]
        if "components" in body:
            msg["components"] = self._normalize_components(body["components"] or [])
        if "flags" in body and body["flags"] is not None:
            # only SUPPRESS_EMBEDS / IS_COMPONENTS_V2 can be changed; ephemeral stays as it was
            msg["flags"] = (msg["flags"] & EPHEMERAL) | (int(body["flags"]) & ~EPHEMERAL)
        if "attachments" in body or (req is not None and req.files):
            msg["attachments"] = self._attachments(body, req, msg.get("attachments") or [])
        if "embeds" in body or "attachments" in body or (req is not None and req.files):
            msg["embeds"] = _resolve_attachment_refs(msg["embeds"], msg["attachments"])
        msg["flags"] &= ~LOADING
        msg["edited_timestamp"] = _now_iso()
        return msg

    # ------------------------------------------------------------------ validation (Discord-like 400s)

    def _validate_message(self, body: Any, req: _Request | None, *, create: bool) -> dict | None:
        if not self.strict:
            return None
        if not isinstance(body, dict):
            return _form_error(
                {"_errors": [{"code": "DICT_TYPE_CONVERT", "message": "Only dictionaries may be used in a DictType"}]}
            )
        errors: dict = {}
        flags = int(body.get("flags") or 0)
        content = body.get("content")
        if content is not None and len(str(content)) > 2000:
            errors["content"] = _max_len_error(2000)
        embeds = body.get("embeds") or []
        if len(embeds) > 10:
            errors["embeds"] = _max_len_error(10)
        else:
            total_ok = True
            for i, e in enumerate(embeds):
                total = 0
                for key, limit in (("title", 256), ("description", 4096)):
                    value = e.get(key)
                    if value is not None:
                        total += len(str(value))
                        if len(str(value)) > limit:
                            _set_path(errors, ["embeds", i, key], _max_len_error(limit))
                for key, sub, limit in (("footer", "text", 2048), ("author", "name", 256)):
                    value = (e.get(key) or {}).get(sub)
                    if value is not None:
                        total += len(str(value))
                        if len(str(value)) > limit:
                            _set_path(errors, ["embeds", i, key, sub], _max_len_error(limit))
                fields = e.get("fields") or []
                if len(fields) > 25:
                    _set_path(errors, ["embeds", i, "fields"], _max_len_error(25))
                for j, f in enumerate(fields):
                    for key, limit in (("name", 256), ("value", 1024)):
                        value = f.get(key)
                        if value is None or str(value) == "":
                            _set_path(
                                errors,
                                ["embeds", i, "fields", j, key],
                                _field_error("BASE_TYPE_REQUIRED", "This field is required"),
                            )
                        else:
                            total += len(str(value))
                            if len(str(value)) > limit:
                                _set_path(errors, ["embeds", i, "fields", j, key], _max_len_error(limit))
                if total > 6000:
                    total_ok = False
            if not total_ok and "embeds" not in errors:
                errors["embeds"] = _field_error("MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
        for i, att in enumerate(body.get("attachments") or []):
            if isinstance(att, dict) and len(str(att.get("description") or "")) > 1024:
                _set_path(errors, ["attachments", i, "description"], _max_len_error(1024))  # the alt text
        components = body.get("components") or []
        if components and not flags & IS_COMPONENTS_V2:
            self._validate_components_v1(components, errors)
        if errors:
            return _form_error(errors)
        if create and not flags & IS_COMPONENTS_V2:
            has_files = bool(req is not None and req.files) or bool(body.get("attachments"))
            if not (content or embeds or components or has_files or body.get("sticker_ids") or body.get("poll")):
                return _error("Cannot send an empty message", 50006)
        return None

    @staticmethod
    def _validate_components_v1(rows: list, errors: dict) -> None:
        if len(rows) > 5:
            errors["components"] = _max_len_error(5)
            return
        seen: set = set()
        for i, row in enumerate(rows):
            if not isinstance(row, dict) or row.get("type") != 1:
                _set_path(
                    errors,
                    ["components", i, "type"],
                    _field_error("UNION_TYPE_CHOICES", 'Value of field "type" must be one of (1,).'),
                )
                continue
            children = row.get("components") or []
            if not children:
                _set_path(
                    errors,
                    ["components", i, "components"],
                    _field_error("BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length."),
                )
            selects = [c for c in children if c.get("type") in (3, 5, 6, 7, 8)]
            if len(children) > 5 or (selects and len(children) > 1):
                _set_path(
                    errors,
                    ["components", i, "components"],
                    _field_error(
                        "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "The specified component exceeds the maximum width"
                    ),
                )
            for j, comp in enumerate(children):
                cid = comp.get("custom_id")
                if cid is not None:
                    if len(cid) > 100:
                        _set_path(errors, ["components", i, "components", j, "custom_id"], _max_len_error(100))
                    if cid in seen:
                        _set_path(
                            errors,
                            ["components", i, "components", j, "custom_id"],
                            _field_error("COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated"),
                        )
                    seen.add(cid)
                elif comp.get("type") == 2 and comp.get("style") != 5 and comp.get("style") != 6:
                    _set_path(
                        errors,
                        ["components", i, "components", j, "custom_id"],
                        _field_error("BASE_TYPE_REQUIRED", "This field is required"),
                    )
                label = comp.get("label")
                if label is not None and len(label) > 80:
                    _set_path(errors, ["components", i, "components", j, "label"], _max_len_error(80))
                if comp.get("type") == 3 and len(comp.get("options") or []) > 25:
                    _set_path(errors, ["components", i, "components", j, "options"], _max_len_error(25))

    def _validate_choices(self, data: Any) -> dict | None:
        if not self.strict:
            return None
        choices = (data or {}).get("choices")
        if choices is None:
            return _form_error({"data": {"choices": _field_error("BASE_TYPE_REQUIRED", "This field is required")}})
        errors: dict = {}
        if len(choices) > 25:
            _set_path(errors, ["data", "choices"], _max_len_error(25))
        for i, ch in enumerate(choices[:25]):
            name = str(ch.get("name", ""))
            if not 1 <= len(name) <= 100:
                _set_path(
                    errors,
                    ["data", "choices", i, "name"],
                    _field_error("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."),
                )
            value = ch.get("value")
            if isinstance(value, str) and len(value) > 100:
                _set_path(errors, ["data", "choices", i, "value"], _max_len_error(100))
        return _form_error(errors) if errors else None

    _NAME_RE = re.compile(r"^[-_\w]{1,32}$", re.UNICODE)

    def _validate_commands(self, commands: Any, *, bulk: bool) -> dict | None:
        if not self.strict:
            return None
        items = commands if bulk else [commands]
        if not isinstance(items, list) or not all(isinstance(c, dict) for c in items):
            return _form_error({"_errors": [{"code": "BASE_TYPE_ARRAY", "message": "Must be an array."}]})
        errors: dict = {}
        if len(items) > 100:
            errors["_errors"] = _max_len_error(100)["_errors"]
        seen: set = set()

        def check_options(opts: list, path: list) -> None:
            if len(opts) > 25:
                _set_path(errors, [*path, "options"], _max_len_error(25))
            optional_seen = False
            names: set = set()
            for k, o in enumerate(opts):
                p = [*path, "options", k]
                name = o.get("name", "")
                if not self._NAME_RE.match(name) or name != name.lower():
                    _set_path(
                        errors,
                        [*p, "name"],
                        _field_error("APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"),
                    )
                if name in names:
                    _set_path(
                        errors,
                        [*p, "name"],
                        _field_error("APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS", "Option name already exists"),
                    )
                names.add(name)
                if not 1 <= len(o.get("description") or "") <= 100:
                    _set_path(
                        errors,
                        [*p, "description"],
                        _field_error("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."),
                    )
                if len(o.get("choices") or []) > 25:
                    _set_path(errors, [*p, "choices"], _max_len_error(25))
                if o.get("type") in (1, 2):
                    check_options(o.get("options") or [], p)
                else:
                    if o.get("required"):
                        if optional_seen:
                            _set_path(
                                errors,
                                [*p, "required"],
                                _field_error(
                                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                                    "Required options must be placed before non-required options",
                                ),
                            )
                    else:
                        optional_seen = True

        for i, cmd in enumerate(items):
            path: list = [i] if bulk else []
            ctype = cmd.get("type", 1)
            name = cmd.get("name", "")
            if ctype == 1:
                if not self._NAME_RE.match(name) or name != name.lower():
                    _set_path(
                        errors,
                        [*path, "name"],
                        _field_error("APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"),
                    )
                if not 1 <= len(cmd.get("description") or "") <= 100:
                    _set_path(
                        errors,
                        [*path, "description"],
                        _field_error("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."),
                    )
                check_options(cmd.get("options") or [], path)
            elif not 1 <= len(name) <= 32:
                _set_path(
                    errors, [*path, "name"], _field_error("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")
                )
            key = (name, ctype)
            if key in seen:
                _set_path(
                    errors,
                    [*path, "name"],
                    _field_error("APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique"),
                )
            seen.add(key)
        return _form_error(errors) if errors else None

    # ------------------------------------------------------------------ REST plumbing

    def _build_routes(self) -> list[tuple[str, Pattern[str], Handler]]:
        app = r"/applications/(?P<app>\d+)"
        guild_cmds = app + r"/guilds/(?P<guild>\d+)/commands"
        hook = r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)"
        table: list[tuple[str, str, Handler]] = [
            ("GET", r"/users/@me", self._h_me),
            ("GET", r"/users/(?P<uid>\d+)", self._h_user),
            ("POST", r"/users/@me/channels", self._h_create_dm),
            ("GET", r"/oauth2/applications/@me", self._h_app_info),
            ("GET", r"/applications/@me", self._h_app_info),
            ("GET", r"/gateway", self._h_gateway),
            ("GET", r"/gateway/bot", self._h_gateway_bot),
            ("GET", app + r"/commands", self._h_get_commands),
            ("PUT", app + r"/commands", self._h_put_commands),
            ("POST", app + r"/commands", self._h_post_command),
            ("GET", app + r"/commands/(?P<cmd>\d+)", self._h_get_command),
            ("PATCH", app + r"/commands/(?P<cmd>\d+)", self._h_patch_command),
            ("DELETE", app + r"/commands/(?P<cmd>\d+)", self._h_delete_command),
            ("GET", guild_cmds, self._h_get_commands),
            ("PUT", guild_cmds, self._h_put_commands),
            ("POST", guild_cmds, self._h_post_command),
            ("GET", guild_cmds + r"/(?P<cmd>\d+)", self._h_get_command),
            ("PATCH", guild_cmds + r"/(?P<cmd>\d+)", self._h_patch_command),
            ("DELETE", guild_cmds + r"/(?P<cmd>\d+)", self._h_delete_command),
            ("POST", r"/interactions/(?P<iid>\d+)/(?P<token>[^/]+)/callback", self._h_interaction_callback),
            ("POST", hook, self._h_followup),
            ("GET", hook + r"/messages/(?P<mid>@original|\d+)", self._h_get_webhook_message),
            ("PATCH", hook + r"/messages/(?P<mid>@original|\d+)", self._h_edit_webhook_message),
            ("DELETE", hook + r"/messages/(?P<mid>@original|\d+)", self._h_delete_webhook_message),
            ("GET", r"/channels/(?P<cid>\d+)", self._h_get_channel),
            ("POST", r"/channels/(?P<cid>\d+)/messages", self._h_create_message),
            ("GET", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", self._h_get_message),
            ("PATCH", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", self._h_edit_message),
            ("DELETE", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", self._h_delete_message),
            ("POST", r"/channels/(?P<cid>\d+)/typing", self._h_typing),
            ("GET", r"/guilds/(?P<gid>\d+)", self._h_get_guild),
        ]
        return [(m, re.compile(p), h) for m, p, h in table]

    def _response(self, status: int, body: Any, headers: Mapping[str, str | None] | None = None) -> web.Response:
        hdrs: dict[str, str | None] = {"Via": "1.1 google"}
        if body is not None:
            hdrs["Content-Type"] = "application/json"  # exactly; discord.py compares the whole header
        hdrs.update(headers or {})
        final = {k: v for k, v in hdrs.items() if v is not None}
        if body is None:
            return web.Response(status=status, headers=final)
        return web.Response(status=status, body=json.dumps(body).encode("utf-8"), headers=final)

    async def _parse_request(
        self, request: web.Request
    ) -> tuple[Any, dict[str, bytes], dict[str, str], dict[str, str], bytes]:
        files: dict[str, bytes] = {}
        file_fields: dict[str, str] = {}
        form: dict[str, str] = {}
        raw = b""
        body: Any = None
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                content = bytes(await part.read(decode=False))  # type: ignore[union-attr]
                name = part.name or ""
                filename = getattr(part, "filename", None)
                if name == "payload_json":
                    body = json.loads(content.decode("utf-8"))
                elif filename is not None:
                    files[filename] = content
                    file_fields[name] = filename
                else:
                    form[name] = content.decode("utf-8", "replace")
        else:
            raw = await request.read()
            if raw:
                try:
                    body = json.loads(raw.decode("utf-8"))
                except ValueError:
                    body = None
        return body, files, file_fields, form, raw

    def _requires_auth(self, path: str) -> bool:
        return not (
            path.startswith("/interactions/")
            or re.match(r"^/webhooks/\d+/[^/]+", path) is not None
            or path in ("/gateway",)
        )

    async def _rest_handler(self, request: web.Request) -> web.StreamResponse:
        arrived = time.monotonic()
        raw_path = request.path
        m = API_PREFIX.match(raw_path)
        path = raw_path[m.end() :] if m else raw_path
        if not path:
            path = "/"
        method = request.method.upper()
        body, files, file_fields, form, raw = await self._parse_request(request)
        rec = RecordedRequest(
            method=method,
            path=path,
            query=dict(request.query),
            json=body,
            form_files=files,
            headers=CIMultiDict(request.headers),
            time=arrived,
            raw_path=raw_path,
            form=form,
            body=raw,
        )
        headers: Mapping[str, str | None] | None = None

        delay = self._take_fault(method, path, delay=True)
        if delay is not None:
            await asyncio.sleep(delay.delay)

        fault = self._take_fault(method, path, delay=False)
        if fault is not None and fault.status == RESET:
            # a connection reset: record the request, then drop the connection without an answer
            rec.fault = True
            rec.status = RESET
            self.requests.append(rec)
            await self._notify()
            if request.transport is not None:
                request.transport.abort()
            raise ConnectionResetError("fake connection reset")
        if fault is not None:
            status, resp, headers = int(fault.status or 500), fault.json, fault.headers
            rec.fault = True
        elif m is None:
            status, resp = 404, _error("404: Not Found", 0)
            self.unknown_requests.append(rec)
        elif self._requires_auth(path) and not self._token_ok(request.headers.get("Authorization")):
            status, resp = 401, _error("401: Unauthorized", 0)
        elif self.strict and any(len(content) > self.upload_limit for content in files.values()):
            # Discord refuses an upload over the limit before looking at the rest of the request
            status, resp = 413, _error("Request entity too large", 40005)
        else:
            status, resp = await self._route(
                method, path, _Request(method, path, rec.query, body, files, file_fields, rec.headers), rec
            )
        rec.status = status
        rec.response = resp
        self.requests.append(rec)
        await self._notify()
        return self._response(status, resp, headers)

    async def _route(self, method: str, path: str, req: _Request, rec: RecordedRequest) -> tuple[int, Any]:
        path_matched = False
        for route_method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            path_matched = True
            if route_method != method:
                continue
            try:
                return await handler(req, **match.groupdict())
            except Exception as exc:  # a bug in the fake must not look like a hang
                return 500, _error(f"500: Internal Server Error (fake: {exc!r})", 0)
        self.unknown_requests.append(rec)
        if path_matched:
            return 405, _error("405: Method Not Allowed", 0)
        return 404, _error("404: Not Found", 0)

    # ------------------------------------------------------------------ REST handlers

    async def _h_me(self, req: _Request) -> tuple[int, Any]:
        return 200, dict(self.bot_user, verified=True, mfa_enabled=False, flags=0, email=None, locale="en-US")

    async def _h_user(self, req: _Request, uid: str) -> tuple[int, Any]:
        user = self.users.get(int(uid))
        if user is None:
            return 404, _error("Unknown User", 10013)
        return 200, user

    async def _h_create_dm(self, req: _Request) -> tuple[int, Any]:
        rid = int((req.json or {}).get("recipient_id", 0))
        return 200, self._dm_channel(self._user_obj(rid))

    async def _h_app_info(self, req: _Request) -> tuple[int, Any]:
        return 200, {
            "id": str(self.application_id),
            "name": self.bot_name,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": 0,
            "owner": self.users[self.owner_id],
            "team": None,
            "bot": self.bot_user,
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "approximate_guild_count": 1,
            "tags": [],
            "integration_types_config": {"0": {}},
        }

    async def _h_gateway(self, req: _Request) -> tuple[int, Any]:
        return 200, {"url": self.gateway_url}

    async def _h_gateway_bot(self, req: _Request) -> tuple[int, Any]:
        return 200, {
            "url": self.gateway_url,
            "shards": self.shard_count,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1},
        }

    # -- application commands

    def _command_id(self, guild: int | None, name: str, ctype: int) -> int:
        key = (guild, name, ctype)
        if key not in self._command_ids:
            self._command_ids[key] = self._ids()
        return self._command_ids[key]

    def _store_command(self, guild: int | None, payload: dict) -> dict:
        ctype = int(payload.get("type", 1))
        cmd = {
            "description": "",
            "options": [],
            "default_member_permissions": None,
            "dm_permission": True,
            "nsfw": False,
            "name_localizations": None,
            "description_localizations": None,
            "contexts": None,
            "integration_types": [0],
        }
        cmd.update(copy.deepcopy(payload))
        cmd.update(
            id=str(self._command_id(guild, payload["name"], ctype)),
            application_id=str(self.application_id),
            type=ctype,
            version=str(self._ids()),
        )
        if guild is not None:
            cmd["guild_id"] = str(guild)
            cmd.pop("dm_permission", None)
        return cmd

    def _command_list(self, guild: str | None) -> list[dict]:
        if guild is None:
            return self.global_commands
        return self.guild_commands.setdefault(int(guild), [])

    def _check_app(self, app: str, guild: str | None) -> tuple[int, Any] | None:
        if int(app) != self.application_id:
            return 403, _error("Missing Access", 50001)
        if guild is not None and int(guild) != self.guild_id:
            return 403, _error("Missing Access", 50001)
        return None

    async def _h_get_commands(self, req: _Request, app: str, guild: str | None = None) -> tuple[int, Any]:
        return self._check_app(app, guild) or (200, self._command_list(guild))

    async def _h_put_commands(self, req: _Request, app: str, guild: str | None = None) -> tuple[int, Any]:
        bad = self._check_app(app, guild)
        if bad:
            return bad
        err = self._validate_commands(req.json, bulk=True)
        if err:
            return 400, err
        gid = int(guild) if guild is not None else None
        stored = [self._store_command(gid, c) for c in req.json or []]
        if gid is None:
            self.global_commands = stored
        else:
            self.guild_commands[gid] = stored
        self.sync_count += 1
        self.command_syncs.append(CommandSync(gid, copy.deepcopy(req.json), time.monotonic()))
        return 200, stored

    async def _h_post_command(self, req: _Request, app: str, guild: str | None = None) -> tuple[int, Any]:
        bad = self._check_app(app, guild)
        if bad:
            return bad
        err = self._validate_commands(req.json, bulk=False)
        if err:
            return 400, err
        gid = int(guild) if guild is not None else None
        cmd = self._store_command(gid, req.json)
        lst = self._command_list(guild)
        for i, existing in enumerate(lst):
            if existing["id"] == cmd["id"]:
                lst[i] = cmd
                return 200, cmd
        lst.append(cmd)
        return 201, cmd

    def _find_stored(self, guild: str | None, cmd_id: str) -> dict | None:
        return next((c for c in self._command_list(guild) if c["id"] == cmd_id), None)

    async def _h_get_command(self, req: _Request, app: str, cmd: str, guild: str | None = None) -> tuple[int, Any]:
        bad = self._check_app(app, guild)
        if bad:
            return bad
        found = self._find_stored(guild, cmd)
        return (200, found) if found else (404, _error("Unknown application command", 10063))

    async def _h_patch_command(self, req: _Request, app: str, cmd: str, guild: str | None = None) -> tuple[int, Any]:
        bad = self._check_app(app, guild)
        if bad:
            return bad
        found = self._find_stored(guild, cmd)
        if found is None:
            return 404, _error("Unknown application command", 10063)
        found.update(copy.deepcopy(req.json or {}))
        found["version"] = str(self._ids())
        return 200, found

    async def _h_delete_command(self, req: _Request, app: str, cmd: str, guild: str | None = None) -> tuple[int, Any]:
        bad = self._check_app(app, guild)
        if bad:
            return bad
        lst = self._command_list(guild)
        found = self._find_stored(guild, cmd)
        if found is None:
            return 404, _error("Unknown application command", 10063)
        lst.remove(found)
        return 204, None

    # -- interactions

    def _callback_response(
        self, inter: FakeInteraction, resource_type: int, message: dict | None, include_message: bool
    ) -> dict:
        body: dict[str, Any] = {"interaction": {"id": str(inter.id), "type": inter.type}}
        if message is not None:
            body["interaction"]["response_message_id"] = message["id"]
            body["interaction"]["response_message_loading"] = bool(message["flags"] & LOADING)
            body["interaction"]["response_message_ephemeral"] = bool(message["flags"] & EPHEMERAL)
        if resource_type in (4, 5, 6, 7):
            body["resource"] = {"type": resource_type}
            if include_message and message is not None:
                body["resource"]["message"] = message
        return body

    async def _h_interaction_callback(self, req: _Request, iid: str, token: str) -> tuple[int, Any]:
        inter = self.interactions.get(int(iid))
        if inter is None or inter.token != token:
            return 404, _error("Unknown interaction", 10062)
        if self.callback_deadline is not None and time.monotonic() - inter.created > self.callback_deadline:
            return 404, _error("Unknown interaction", 10062)
        if inter.responded:
            return 400, _error("Interaction has already been acknowledged.", 40060)
        body = req.json if isinstance(req.json, dict) else {}
        ctype = body.get("type")
        data = body.get("data") or {}
        if ctype not in _ALLOWED_CALLBACKS.get(inter.type, set()):
            return 400, _form_error(
                {
                    "type": _field_error(
                        "INTERACTION_RESPONSE_TYPE_INVALID", "Interaction response type is invalid for this interaction"
                    )
                }
            )
        message: dict | None = None
        channel_id = inter.channel_id or self.channel_id
        if ctype == 4:
            err = self._validate_message(data, req, create=True)
            if err:
                return 400, err
            message = self._store_message(self._message_obj(channel_id, data, req=req, webhook=True, interaction=inter))
            inter.original_message_id = int(message["id"])
        elif ctype == 5:
            flags = (int(data.get("flags") or 0) & EPHEMERAL) | LOADING
            message = self._store_message(
                self._message_obj(channel_id, {"flags": flags}, webhook=True, interaction=inter)
            )
            inter.original_message_id = int(message["id"])
        elif ctype in (6, 7):
            target_id = int((inter.payload.get("message") or {}).get("id", 0))
            message = self.messages.get(target_id)
            if message is None and inter.payload.get("message"):
                message = self._store_message(copy.deepcopy(inter.payload["message"]))
            if ctype == 7:
                err = self._validate_message(data, req, create=False)
                if err:
                    return 400, err
                if message is not None:
                    self._edit_message(message, data, req)
            if message is not None:
                inter.original_message_id = int(message["id"])
        elif ctype == 8:
            err = self._validate_choices(data)
            if err:
                return 400, err
        elif (
            ctype == 9
            and self.strict
            and (not data.get("custom_id") or not data.get("title") or not data.get("components"))
        ):
            return 400, _form_error({"data": _field_error("BASE_TYPE_REQUIRED", "This field is required")})
        inter.responded = True
        inter.callback_type = ctype
        inter.callback = body
        if req.query.get("with_response", "").lower() not in ("1", "true"):
            return 204, None
        return 200, self._callback_response(inter, ctype, message, include_message=ctype in (4, 7))

    def _webhook_interaction(self, app: str, token: str) -> FakeInteraction | None:
        if int(app) != self.application_id:
            return None
        return next((i for i in self.interactions.values() if i.token == token), None)

    async def _h_followup(self, req: _Request, app: str, token: str) -> tuple[int, Any]:
        inter = self._webhook_interaction(app, token)
        if inter is None or not inter.responded:
            return 404, _error("Unknown Webhook", 10015)
        body = req.json if isinstance(req.json, dict) else {}
        original = self.messages.get(inter.original_message_id or 0)
        if inter.callback_type == 5 and original is not None and original["flags"] & LOADING:
            # first followup after a "thinking" defer replaces the loading message
            err = self._validate_message(body, req, create=True)
            if err:
                return 400, err
            message = self._edit_message(original, body, req)
            message["edited_timestamp"] = None
        else:
            err = self._validate_message(body, req, create=True)
            if err:
                return 400, err
            message = self._store_message(
                self._message_obj(inter.channel_id or self.channel_id, body, req=req, webhook=True, interaction=inter)
            )
            inter.followup_ids.append(int(message["id"]))
        if req.query.get("wait", "").lower() not in ("1", "true"):
            return 204, None
        return 200, message

    def _webhook_message(self, inter: FakeInteraction, mid: str) -> dict | None:
        if mid == "@original":
            return self.messages.get(inter.original_message_id or 0)
        if int(mid) == inter.original_message_id or int(mid) in inter.followup_ids:
            return self.messages.get(int(mid))
        return None

    async def _h_get_webhook_message(self, req: _Request, app: str, token: str, mid: str) -> tuple[int, Any]:
        inter = self._webhook_interaction(app, token)
        if inter is None:
            return 404, _error("Unknown Webhook", 10015)
        msg = self._webhook_message(inter, mid)
        return (200, msg) if msg is not None else (404, _error("Unknown Message", 10008))

    async def _h_edit_webhook_message(self, req: _Request, app: str, token: str, mid: str) -> tuple[int, Any]:
        inter = self._webhook_interaction(app, token)
        if inter is None:
            return 404, _error("Unknown Webhook", 10015)
        msg = self._webhook_message(inter, mid)
        if msg is None:
            return 404, _error("Unknown Message", 10008)
        body = req.json if isinstance(req.json, dict) else {}
        err = self._validate_message(body, req, create=False)
        if err:
            return 400, err
        return 200, self._edit_message(msg, body, req)

    async def _h_delete_webhook_message(self, req: _Request, app: str, token: str, mid: str) -> tuple[int, Any]:
        inter = self._webhook_interaction(app, token)
        if inter is None:
            return 404, _error("Unknown Webhook", 10015)
        msg = self._webhook_message(inter, mid)
        if msg is None:
            return 404, _error("Unknown Message", 10008)
        self.messages.pop(int(msg["id"]), None)
        return 204, None

    # -- channels / messages

    async def _h_get_channel(self, req: _Request, cid: str) -> tuple[int, Any]:
        ch = self.channels.get(int(cid))
        return (200, ch) if ch is not None else (404, _error("Unknown Channel", 10003))

    async def _h_create_message(self, req: _Request, cid: str) -> tuple[int, Any]:
        if int(cid) not in self.channels:
            return 404, _error("Unknown Channel", 10003)
        body = req.json if isinstance(req.json, dict) else {}
        err = self._validate_message(body, req, create=True)
        if err:
            return 400, err
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            # Discord: a message with the same nonce from the same author in the last few minutes is
            # returned instead of creating a new one
            seen = self._nonces.get((cid, str(nonce)))
            if seen is not None and time.time() - seen[0] < self.nonce_window and seen[1] in self.messages:
                return 200, self.messages[seen[1]]
        msg = self._store_message(self._message_obj(int(cid), body, req=req))
        if nonce is not None:
            self._nonces[(cid, str(nonce))] = (time.time(), int(msg["id"]))
        return 200, msg

    def _channel_message(self, cid: str, mid: str) -> dict | None:
        msg = self.messages.get(int(mid))
        if msg is None or msg["channel_id"] != cid:
            return None
        return msg

    async def _h_get_message(self, req: _Request, cid: str, mid: str) -> tuple[int, Any]:
        msg = self._channel_message(cid, mid)
        return (200, msg) if msg is not None else (404, _error("Unknown Message", 10008))

    async def _h_edit_message(self, req: _Request, cid: str, mid: str) -> tuple[int, Any]:
        msg = self._channel_message(cid, mid)
        if msg is None:
            return 404, _error("Unknown Message", 10008)
        if msg["author"]["id"] != str(self.bot_user_id):
            return 403, _error("Cannot edit a message authored by another user", 50005)
        body = req.json if isinstance(req.json, dict) else {}
        err = self._validate_message(body, req, create=False)
        if err:
            return 400, err
        return 200, self._edit_message(msg, body, req)

    async def _h_delete_message(self, req: _Request, cid: str, mid: str) -> tuple[int, Any]:
        msg = self._channel_message(cid, mid)
        if msg is None:
            return 404, _error("Unknown Message", 10008)
        self.messages.pop(int(mid), None)
        return 204, None

    async def _h_typing(self, req: _Request, cid: str) -> tuple[int, Any]:
        if int(cid) not in self.channels:
            return 404, _error("Unknown Channel", 10003)
        return 204, None

    async def _h_get_guild(self, req: _Request, gid: str) -> tuple[int, Any]:
        if int(gid) != self.guild_id:
            return 404, _error("Unknown Guild", 10004)
        g = self.guild_payload()
        for key in (
            "channels",
            "members",
            "threads",
            "presences",
            "voice_states",
            "joined_at",
            "large",
            "member_count",
            "unavailable",
            "lazy",
            "stage_instances",
            "guild_scheduled_events",
            "soundboard_sounds",
        ):
            g.pop(key, None)
        return 200, g

    # -- synthetic user messages

    def user_message(self, content: str, *, user_id: int | None = None, channel_id: int | None = None) -> dict:
        """A MESSAGE_CREATE payload from a user (send with ``await fake.dispatch("MESSAGE_CREATE", msg)``)."""
        user = self._user_obj(user_id if user_id is not None else self.user_id)
        cid = int(channel_id) if channel_id is not None else self.channel_id
        msg = self._message_obj(cid, {"content": content})
        msg["author"] = user
        if msg.get("guild_id"):
            member = self._member_obj(user)
            member.pop("user")
            msg["member"] = member
        return self._store_message(msg)


def disable_identify_delay(client: Any) -> None:
    """discord.py sleeps 5 s before every non-initial IDENTIFY (Client.before_identify_hook).

    Call this on a test client so INVALID_SESSION / re-identify scenarios run fast.
    """

    async def _no_delay(shard_id: int | None, *, initial: bool = False) -> None:
        return None

    client.before_identify_hook = _no_delay


class _DiscordPatch:
    """Patches discord.py's REST base URL and default gateway; ``restore()`` undoes it."""

    def __init__(self, base_url: str, gateway_url: str) -> None:
        import discord.gateway
        import discord.http
        import yarl

        self._http = discord.http
        self._gateway = discord.gateway
        self._old_base = discord.http.Route.BASE
        self._old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = base_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
        self.active = True

    def restore(self) -> None:
        if self.active:
            self._http.Route.BASE = self._old_base
            self._gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._old_gateway
            self.active = False

    def __enter__(self) -> _DiscordPatch:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.restore()

    async def __aenter__(self) -> _DiscordPatch:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.restore()
