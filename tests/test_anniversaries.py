"""Anniversary rules and the scheduler, with a controllable clock and a recording deliverer (no Discord)."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from alliance_bot.anniversaries.ledger import AnniversaryStore, ServerSchedule, target_for
from alliance_bot.anniversaries.rules import (
    anniversary_days,
    items_on,
    next_due,
    parse_post_time,
    post_instant,
)
from alliance_bot.anniversaries.scheduler import LAST_TICK_META, Scheduler
from alliance_bot.anniversaries.webhook import (
    DeliveryError,
    InvalidWebhook,
    WebhookSender,
    mask,
    validate_webhook_url,
)
from alliance_bot.answers.errors import InvalidInput
from alliance_bot.digest.dates import PartialDate
from alliance_bot.library import ContentStore
from alliance_bot.storage.backends import open_database
from alliance_bot.storage.db import Database
from conftest import CONTENT, Clock

UTC = dt.UTC
HOOK = "https://discord.com/api/webhooks/123456789012345678/" + "A" * 68


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.fixture(scope="module")
def library() -> ContentStore:
    store = ContentStore(CONTENT)
    assert store.load().ok
    return store


# ---------------------------------------------------------------- rules


def test_items_on_the_armistice_day(library: ContentStore) -> None:
    items = items_on(library.current.digest, dt.date(2026, 7, 27))
    assert [i.event.id for i in items] == ["armistice-signed"]
    assert items[0].years == 73 and items[0].ordinal == "73rd" and "73rd" in items[0].message
    assert items_on(library.current.digest, dt.date(2026, 7, 28)) == []


def test_february_29_is_marked_on_the_28th_in_common_years(library: ContentStore) -> None:
    digest = library.current.digest
    base = digest.events["armistice-signed"]
    leap = base.model_copy(update={"id": "leap-event", "date": PartialDate.parse("1952-02-29")})
    ann = digest.anniversaries["armistice-signed"].model_copy(
        update={"event": "leap-event", "message": "{ordinal} of {title}"}
    )
    d2 = replace(
        digest, events={**digest.events, "leap-event": leap}, anniversaries={**digest.anniversaries, "leap-event": ann}
    )
    common = items_on(d2, dt.date(2026, 2, 28))
    assert [i.event.id for i in common] == ["leap-event"] and "February 28" in (common[0].note or "")
    assert items_on(d2, dt.date(2028, 2, 28)) == []
    assert [i.event.id for i in items_on(d2, dt.date(2028, 2, 29))] == ["leap-event"]
    days = anniversary_days(d2)
    assert (2, 29) in days
    at = dt.time(9, 0)
    assert next_due(days, at, ZoneInfo("UTC"), utc(2026, 2, 1)).day == dt.date(2026, 2, 28)
    assert next_due(days, at, ZoneInfo("UTC"), utc(2028, 2, 1)).day == dt.date(2028, 2, 29)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Asia/Seoul", utc(2026, 7, 27, 0, 0)),  # 09:00 KST = 00:00 UTC the same day
        ("Pacific/Auckland", utc(2026, 7, 26, 21, 0)),  # 09:00 NZST = 21:00 UTC the day before
        ("America/Los_Angeles", utc(2026, 7, 27, 16, 0)),  # 09:00 PDT
    ],
)
def test_right_local_instant_on_either_side_of_the_date_line(
    library: ContentStore, zone: str, expected: dt.datetime
) -> None:
    days = anniversary_days(library.current.digest)
    due = next_due(days, dt.time(9, 0), ZoneInfo(zone), utc(2026, 7, 20))
    assert due.day == dt.date(2026, 7, 27) and due.at == expected


def test_daylight_saving_both_ways() -> None:
    la = ZoneInfo("America/Los_Angeles")
    # the local time stays the local time across DST
    assert post_instant(dt.date(2026, 1, 21), dt.time(9, 0), la) == utc(2026, 1, 21, 17, 0)  # PST
    assert post_instant(dt.date(2026, 7, 27), dt.time(9, 0), la) == utc(2026, 7, 27, 16, 0)  # PDT
    # spring forward: 02:30 does not exist on 2026-03-08; posted at 03:30 PDT
    assert post_instant(dt.date(2026, 3, 8), dt.time(2, 30), la) == utc(2026, 3, 8, 10, 30)
    # fall back: 01:30 happens twice on 2026-11-01; posted at the first
    assert post_instant(dt.date(2026, 11, 1), dt.time(1, 30), la) == utc(2026, 11, 1, 8, 30)
    nz = ZoneInfo("Pacific/Auckland")  # southern hemisphere: DST ends in April, starts in September
    assert post_instant(dt.date(2026, 6, 25), dt.time(9, 0), nz) == utc(2026, 6, 24, 21, 0)  # NZST +12
    assert post_instant(dt.date(2026, 10, 1), dt.time(9, 0), nz) == utc(2026, 9, 30, 20, 0)  # NZDT +13


@pytest.mark.parametrize("bad", ["25:00", "9", "noon", "12:60", ""])
def test_bad_times(bad: str) -> None:
    with pytest.raises(InvalidInput):
        parse_post_time(bad)


# ---------------------------------------------------------------- scheduler


class Recorder:
    """A deliverer that records posts and can be told to fail."""

    def __init__(self) -> None:
        self.posts: list[tuple[int, dict[str, Any], str | None]] = []
        self.fail: dict[int, DeliveryError] = {}
        self.fail_times: dict[int, int] = {}

    async def __call__(self, schedule: ServerSchedule, payload: dict[str, Any], nonce: str | None) -> str:
        err = self.fail.get(schedule.guild_id)
        if err is not None and self.fail_times.get(schedule.guild_id, 1) > 0:
            self.fail_times[schedule.guild_id] = self.fail_times.get(schedule.guild_id, 1) - 1
            raise err
        self.posts.append((schedule.guild_id, payload, nonce))
        return str(len(self.posts))


async def no_sleep(seconds: float) -> None:
    await asyncio.sleep(0)


async def make(
    db_target: Path | str, library: ContentStore, clock: Clock, recorder: Recorder, **kwargs: Any
) -> tuple[Database, AnniversaryStore, Scheduler]:
    if isinstance(db_target, Path) and db_target.is_dir():  # a test's folder (other modules call make so)
        db_target = db_target / "bot.db"
    db = await open_database(db_target, lock=False)
    store = AnniversaryStore(db)
    return db, store, Scheduler(store, library, recorder, clock=clock, sleep=no_sleep, **kwargs)


def seoul(guild: int, **kw: Any) -> ServerSchedule:
    return ServerSchedule(guild_id=guild, post_time=dt.time(9, 0), timezone="Asia/Seoul", channel_id=guild * 10, **kw)


async def run_until(scheduler: Scheduler, clock: Clock, end: dt.datetime, step: dt.timedelta) -> None:
    while clock.now < end:
        clock.now = min(clock.now + step, end)
        await scheduler.tick()
        await scheduler.drain()


async def test_posts_once_at_the_local_time(db_target: Path | str, library: ContentStore) -> None:
    clock, rec = Clock(utc(2026, 7, 26, 20, 0)), Recorder()
    db, store, sched = await make(db_target, library, clock, rec)
    await store.save(seoul(1))
    await sched.startup()
    assert sched.next_due_at() == utc(2026, 7, 27, 0, 0)
    await run_until(sched, clock, utc(2026, 7, 26, 23, 59), dt.timedelta(minutes=1))
    assert rec.posts == []
    await run_until(sched, clock, utc(2026, 7, 27, 6, 0), dt.timedelta(minutes=1))
    assert len(rec.posts) == 1
    _guild, payload, nonce = rec.posts[0]
    assert "Korean Armistice Agreement" in str(payload["embeds"]) and "73rd anniversary" in str(payload["embeds"])
    assert payload["allowed_mentions"] == {"parse": []} and nonce
    assert (await store.status_of("guild:1", dt.date(2026, 7, 27))) == {"armistice-signed": "sent"}
    assert sched.next_due_at() > utc(2026, 7, 27, 6, 0)
    await db.close()


async def test_role_mention_is_the_only_mention(db_target: Path | str, library: ContentStore) -> None:
    clock, rec = Clock(utc(2026, 7, 26, 23, 59)), Recorder()
    db, store, sched = await make(db_target, library, clock, rec)
    await store.save(seoul(1, role_id=555))
    await sched.startup()
    await run_until(sched, clock, utc(2026, 7, 27, 0, 1), dt.timedelta(minutes=1))
    payload = rec.posts[0][1]
    assert payload["content"].startswith("<@&555>")
    assert payload["allowed_mentions"] == {"parse": [], "roles": ["555"]}
    await db.close()


async def test_restart_and_reconnect_make_no_duplicate(db_target: Path | str, library: ContentStore) -> None:
    clock, rec = Clock(utc(2026, 7, 26, 23, 0)), Recorder()
    db, store, sched = await make(db_target, library, clock, rec)
    await store.save(seoul(1))
    await sched.startup()
    await run_until(sched, clock, utc(2026, 7, 27, 0, 30), dt.timedelta(minutes=1))
    assert len(rec.posts) == 1
    # a restart 30 minutes later, inside the grace period: the post is due again in the index, but the ledger says no
    second = Scheduler(store, library, rec, clock=clock, sleep=no_sleep)
    await second.startup()
    await second.startup()  # and a second start-up (what a reconnect's on_ready must not cause, but if it did)
    await run_until(second, clock, utc(2026, 7, 27, 2, 0), dt.timedelta(minutes=1))
    assert len(rec.posts) == 1
    await db.close()


async def test_two_loops_racing_make_one_post(db_target: Path | str, library: ContentStore) -> None:
    clock, rec = Clock(utc(2026, 7, 26, 23, 59)), Recorder()
    db, store, a = await make(db_target, library, clock, rec)
    other_db = await open_database(db_target, lock=False)  # a second connection, as a cron job would
    b = Scheduler(AnniversaryStore(other_db), library, rec, clock=clock, sleep=no_sleep)
    await store.save(seoul(1))
    await a.startup()
    await b.startup()
    clock.now = utc(2026, 7, 27, 0, 0, 30)
    await asyncio.gather(a.tick(), b.tick())
    await asyncio.gather(a.drain(), b.drain())
    assert len(rec.posts) == 1
    await other_db.close()
    await db.close()


async def test_downtime_inside_the_grace_period_is_caught_up(db_target: Path | str, library: ContentStore) -> None:
    clock, rec = Clock(utc(2026, 7, 26, 22, 0)), Recorder()
    db, store, sched = await make(db_target, library, clock, rec)
    await store.save(seoul(1))
    await sched.startup()
    await sched.tick()
    # the bot is down from 22:00 until 02:00 UTC (the post was due at 00:00): back inside 3 hours
    clock.now = utc(2026, 7, 27, 2, 0)
    restarted = Scheduler(store, library, rec, clock=clock, sleep=no_sleep)
    await restarted.startup()
    await restarted.tick()
    await restarted.drain()
    assert len(rec.posts) == 1
    await db.close()


async def test_downtime_beyond_the_grace_period_is_skipped_and_recorded(
    db_target: Path | str, library: ContentStore
) -> None:
    clock, rec = Clock(utc(2026, 7, 26, 22, 0)), Recorder()
    db, store, sched = await make(db_target, library, clock, rec)
    await store.save(seoul(1))
    await sched.startup()
    await sched.tick()
    clock.now = utc(2026, 7, 27, 5, 0)  # five hours late
    restarted = Scheduler(store, library, rec, clock=clock, sleep=no_sleep)
    await restarted.startup()
    await restarted.tick()
    await restarted.drain()
    assert rec.posts == []
    recent = await store.recent(1)
    assert [(r.day, r.event_id, r.status) for r in recent] == [("2026-07-27", "armistice-signed", "skipped")]
    assert "grace period" in recent[0].error
    await db.close()


async def test_one_server_failing_does_not_stop_the_others(db_target: Path | str, library: ContentStore) -> None:
    clock, rec = Clock(utc(2026, 7, 26, 23, 59)), Recorder()
    db, store, sched = await make(db_target, library, clock, rec)
    for g in (1, 2, 3):
        await store.save(seoul(g))
    rec.fail[2] = DeliveryError("the bot may not post in <#20>", permanent=True, status=403)
    await sched.startup()
    await run_until(sched, clock, utc(2026, 7, 27, 0, 5), dt.timedelta(minutes=1))
    assert sorted(g for g, _, _ in rec.posts) == [1, 3]
    failed = await store.recent(2)
    assert failed[0].status == "failed" and "may not post" in failed[0].error
    await db.close()


async def test_transient_failures_are_retried(db_target: Path | str, library: ContentStore) -> None:
    clock, rec = Clock(utc(2026, 7, 26, 23, 59)), Recorder()
    db, store, sched = await make(db_target, library, clock, rec)
    await store.save(seoul(1))
    rec.fail[1] = DeliveryError("Discord answered 503", permanent=False, status=503)
    rec.fail_times[1] = 2
    await sched.startup()
    await run_until(sched, clock, utc(2026, 7, 27, 0, 1), dt.timedelta(minutes=1))
    assert len(rec.posts) == 1
    row = (await store.recent(1))[0]
    assert row.status == "sent" and row.attempts == 2
    await db.close()


async def test_an_unexpected_error_is_recorded_and_the_loop_goes_on(
    db_target: Path | str, library: ContentStore
) -> None:
    clock = Clock(utc(2026, 7, 26, 23, 59))

    async def broken(schedule: ServerSchedule, payload: dict, nonce: str | None) -> str:
        raise RuntimeError("bug")

    db = await open_database(db_target, lock=False)
    store = AnniversaryStore(db)
    sched = Scheduler(store, library, broken, clock=clock, sleep=no_sleep)
    await store.save(seoul(1))
    await sched.startup()
    await run_until(sched, clock, utc(2026, 7, 27, 0, 1), dt.timedelta(minutes=1))
    row = (await store.recent(1))[0]
    assert row.status == "failed" and "error id" in row.error
    assert sched.next_due_at() is not None  # still scheduled for the next anniversary
    await db.close()


async def test_a_crash_between_claim_and_send(db_target: Path | str, library: ContentStore) -> None:
    """The documented decision: a recent claim is resent with the same nonce; an old one is marked unknown."""
    clock, rec = Clock(utc(2026, 7, 27, 0, 0, 30)), Recorder()
    db, store, sched = await make(db_target, library, clock, rec)
    await store.save(seoul(1))
    await store.save(seoul(2, webhook_url=HOOK))
    # a process claimed both posts, then died before sending
    await store.claim("guild:1", 1, dt.date(2026, 7, 27), ["armistice-signed"], "nonce-one", clock.now.timestamp())
    await store.claim(target_for(2, HOOK), 2, dt.date(2026, 7, 27), ["armistice-signed"], None, clock.now.timestamp())
    clock.advance(seconds=30)  # restarted within the nonce window
    await sched.startup()
    await sched.drain()
    assert [(g, n) for g, _, n in rec.posts] == [(1, "nonce-one")]  # resent with the same nonce: Discord dedups
    assert (await store.recent(2))[0].status == "unknown"  # a webhook has no nonce: not resent
    # the same on a late restart: not resent at all
    await store.claim("guild:1", 1, dt.date(2027, 7, 27), ["armistice-signed"], "nonce-two", clock.now.timestamp())
    clock.advance(minutes=10)
    late = Scheduler(store, library, rec, clock=clock, sleep=no_sleep)
    await late.startup()
    await late.drain()
    assert len(rec.posts) == 1
    assert (await store.status_of("guild:1", dt.date(2027, 7, 27))) == {"armistice-signed": "unknown"}
    await db.close()


async def test_gone_webhook_is_disabled(db_target: Path | str, library: ContentStore) -> None:
    clock, rec = Clock(utc(2026, 7, 26, 23, 59)), Recorder()
    db, store, sched = await make(db_target, library, clock, rec)
    await store.save(seoul(1, webhook_url=HOOK))
    rec.fail[1] = DeliveryError("the webhook answered 404", permanent=True, disable=True, status=404)
    await sched.startup()
    await run_until(sched, clock, utc(2026, 7, 27, 0, 1), dt.timedelta(minutes=1))
    s = await store.get(1)
    assert not s.enabled and "404" in s.disabled_reason
    assert sched.next_due_at() is None
    await db.close()


async def test_scale_ten_thousand_servers(db_target: Path | str, library: ContentStore) -> None:
    """The index: a tick with nothing due does no per-server work; building it is done once."""
    clock, rec = Clock(utc(2026, 7, 20, 0, 0)), Recorder()
    db, _store, sched = await make(db_target, library, clock, rec, concurrency=50)
    zones = ["Asia/Seoul", "America/New_York", "Europe/Berlin", "Pacific/Auckland", "America/Los_Angeles"]
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO anniversary_settings (guild_id, channel_id, post_time, timezone, enabled, updated_at) "
            "VALUES (?, ?, ?, ?, 1, 0)",
            [
                (
                    g,
                    g,
                    f"{g % 24:02d}:{g % 60:02d}",
                    zones[g % 5],
                )
                for g in range(1, 10_001)
            ],
        )
    await sched.startup()
    assert len(sched._heap) == 10_000
    queries_before = sched.ticks
    started = await sched.tick()  # nothing due on July 20
    assert started == 0 and sched.ticks == queries_before + 1
    # July 27 ends at 07:00 UTC on the 28th in Los Angeles
    await run_until(sched, clock, utc(2026, 7, 28, 12, 0), dt.timedelta(hours=1))
    assert len(rec.posts) == 10_000  # every server got its July 27 post, once
    await db.close()


async def test_last_tick_is_remembered(db_target: Path | str, library: ContentStore) -> None:
    clock, rec = Clock(utc(2026, 7, 20)), Recorder()
    db, _store, sched = await make(db_target, library, clock, rec)
    await sched.startup()
    await sched.tick()
    assert await db.get_meta(LAST_TICK_META) == clock.now.isoformat()
    await db.close()


# ---------------------------------------------------------------- webhooks (httpx, mock transport)


@pytest.mark.parametrize(
    "url",
    [
        HOOK,
        "https://discordapp.com/api/webhooks/123456/" + "b" * 40,
        "https://ptb.discord.com/api/v10/webhooks/123456/" + "c" * 40,
        "https://canary.discord.com/api/webhooks/123456/" + "d" * 40 + "/",
    ],
)
def test_valid_webhook_urls(url: str) -> None:
    assert validate_webhook_url(url) == url
    assert validate_webhook_url(f"  {url}  ") == url  # pasted with spaces around it


TOKEN40 = "a" * 40


@pytest.mark.parametrize(
    "url",
    [
        "http://discord.com/api/webhooks/123456/" + TOKEN40,
        "https://evil.example/api/webhooks/123456/" + TOKEN40,
        "https://discord.com/api/webhooks/123456",
        "https://discord.com/api/channels/1/messages",
        "ftp://x",
        "",
        "http://10.0.0.1/api/webhooks/123456/" + TOKEN40,
        # loopback: services on the bot's own host (#13.1)
        "http://127.0.0.1:6379/api/webhooks/123456/" + TOKEN40,
        "http://localhost:8080/api/webhooks/123456/" + TOKEN40,
        "http://[::1]:9000/api/webhooks/123456/" + TOKEN40,
        "https://127.0.0.1/api/webhooks/123456/" + TOKEN40,
        # ports, brackets, whitespace, control and full-width characters (#13.16)
        "https://discord.com:abc/api/webhooks/123456/" + TOKEN40,
        "https://discord.com:443/api/webhooks/123456/" + TOKEN40,
        "https://discord.com/api/webhooks/123456/" + "a" * 20 + "\t" + "a" * 20,
        "https://discord.com/api/webhooks/123456/" + "a" * 20 + "\n" + "a" * 20,
        "https://disc\nord.com/api/webhooks/123456/" + TOKEN40,
        "https://discord.com/api/webhooks/123456/" + "a" * 20 + "\x00" + "a" * 20,
        "https://[::1/api/webhooks/123456/" + TOKEN40,
        "https://[zz]/api/webhooks/123456/" + TOKEN40,
        "https://evil.example＃@discord.com/api/webhooks/123456/" + TOKEN40,
        "https://evil.example#@discord.com/api/webhooks/123456/" + TOKEN40,
        "https://user@discord.com/api/webhooks/123456/" + TOKEN40,
        "https://discord.com/api/webhooks/１２３４５６/" + TOKEN40,
        "https://ｄiscord.com/api/webhooks/123456/" + TOKEN40,
        "https://discord.com./api/webhooks/123456/" + TOKEN40,
        "https://discord.com/api/webhooks/123456/" + TOKEN40 + "?wait=false",
        "https://discord.com/api/webhooks/123456/" + TOKEN40 + "#x",
    ],
)
def test_invalid_webhook_urls(url: str) -> None:
    with pytest.raises(InvalidWebhook) as err:
        validate_webhook_url(url)
    message = str(err.value)
    assert "\n" not in message and "https://discord.com/api/webhooks/ID/TOKEN" in message
    assert TOKEN40 not in message  # the refusal never repeats the secret


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/api/webhooks/1/abc", "the webhook ID has 1 digit; Discord's have 17 to 20"),
        ("/api/webhooks/123456789012345678/abc", "the webhook token has 3 characters; Discord's have about 68"),
        ("/api/webhooks/12345678901234567x/" + TOKEN40, "the webhook ID should be digits only"),
        ("/api/webhooks/123456789012345678", "the webhook token is missing after the ID"),
        ("/api/webhooks/123456789012345678/" + "a" * 20 + "!" + "a" * 20, "the webhook token has characters a token"),
        ("/api/v10/webhooks/123456789012345678/" + "b" * 101, "the webhook token has 101 characters"),
        ("/api/channels/1/messages", "that is not the address of a webhook"),
    ],
)
def test_a_refused_webhook_url_says_which_part_is_wrong(path: str, why: str) -> None:
    """Not only the shape again: the ID's length, the token's, what is missing (issue 14)."""
    with pytest.raises(InvalidWebhook) as err:
        validate_webhook_url("https://discord.com" + path)
    assert str(err.value).startswith(why), str(err.value)
    assert TOKEN40 not in str(err.value) and "b" * 101 not in str(err.value)


def test_webhook_urls_are_masked() -> None:
    assert mask(HOOK) == "https://discord.com/api/webhooks/123456789012345678/••••"
    assert "AAAA" not in mask(HOOK)


def sender_with(responses: list[httpx.Response], calls: list[httpx.Request]) -> WebhookSender:
    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return responses.pop(0)

    return WebhookSender(httpx.AsyncClient(transport=httpx.MockTransport(handler)), sleep=no_sleep)


async def test_webhook_429_honours_retry_after() -> None:
    calls: list[httpx.Request] = []
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)

    sender = sender_with(
        [httpx.Response(429, json={"retry_after": 1.5, "global": False}), httpx.Response(200, json={"id": "42"})], calls
    )
    sender.sleep = sleep
    result = await sender.send(HOOK, {"content": "x"})
    assert result.message_id == "42" and len(calls) == 2 and slept == [1.5]
    assert calls[0].url.params["wait"] == "true"


async def test_webhook_500_is_retried_with_backoff() -> None:
    calls: list[httpx.Request] = []
    sender = sender_with([httpx.Response(500), httpx.Response(502), httpx.Response(200, json={"id": "7"})], calls)
    assert (await sender.send(HOOK, {"content": "x"})).message_id == "7" and len(calls) == 3


async def test_webhook_keeps_failing_then_gives_up() -> None:
    calls: list[httpx.Request] = []
    sender = sender_with([httpx.Response(503)] * 4, calls)
    with pytest.raises(DeliveryError) as err:
        await sender.send(HOOK, {"content": "x"})
    assert not err.value.permanent and len(calls) == 4


@pytest.mark.parametrize("status", [401, 404])
async def test_webhook_gone_is_permanent_and_disables(status: int) -> None:
    sender = sender_with([httpx.Response(status, json={"message": "Unknown Webhook", "code": 10015})], [])
    with pytest.raises(DeliveryError) as err:
        await sender.send(HOOK, {"content": "x"})
    assert err.value.permanent and err.value.disable


async def test_webhook_timeout_is_retried() -> None:
    attempts = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if len(attempts) == 1:
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(204)

    sender = WebhookSender(httpx.AsyncClient(transport=httpx.MockTransport(handler)), sleep=no_sleep)
    assert (await sender.send(HOOK, {"content": "x"})).attempts == 2


async def test_a_webhook_reply_body_is_never_shown() -> None:
    """A 4xx reply's body is the answer of whatever listens there: never in the reason, the ledger or the log."""
    calls: list[httpx.Request] = []
    sender = sender_with([httpx.Response(400, text="-ERR redis secret-answer")], calls)
    with pytest.raises(DeliveryError) as err:
        await sender.send(HOOK, {"content": "x"})
    assert err.value.permanent and err.value.status == 400
    assert "secret-answer" not in err.value.reason and "400" in err.value.reason
    assert "Bad Request" in err.value.reason


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/api/webhooks/123456/" + "c" * 40,
        "https://discord.com:abc/api/webhooks/123456/" + "c" * 40,
        "https://[::1/api/webhooks/123456/" + "c" * 40,
    ],
)
async def test_the_sender_refuses_a_stored_url_that_is_not_a_discord_webhook(url: str) -> None:
    """A URL saved by an older version (or edited in the database) is refused before any request, clearly."""
    calls: list[httpx.Request] = []
    sender = sender_with([httpx.Response(200, json={"id": "1"})], calls)
    with pytest.raises(DeliveryError) as err:
        await sender.send(url, {"content": "x"})
    assert calls == [] and err.value.permanent and err.value.disable
    assert "not a Discord webhook URL" in err.value.reason and "c" * 40 not in err.value.reason


@pytest.mark.parametrize("exc", [httpx.InvalidURL("bad"), RuntimeError("a bug in a transport")])
async def test_any_error_of_the_http_client_is_a_delivery_error(exc: Exception) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    sender = WebhookSender(httpx.AsyncClient(transport=httpx.MockTransport(handler)), sleep=no_sleep)
    with pytest.raises(DeliveryError) as err:
        await sender.send(HOOK, {"content": "x"})
    assert err.value.permanent and type(exc).__name__ in err.value.reason and "A" * 68 not in err.value.reason


async def test_discord_down_while_running_is_retried_through_the_grace_period(
    tmp_path: Path, library: ContentStore
) -> None:
    clock, rec = Clock(utc(2026, 7, 26, 23, 59)), Recorder()

    async def sleep_moves_clock(seconds: float) -> None:
        clock.advance(seconds=seconds)
        await asyncio.sleep(0)

    # SQLite only, like the test below: both servers' retries move one shared virtual clock, so the interleaving
    # (not the scheduler) would differ with a backend that answers over the network
    db = await open_database(tmp_path / "bot.db", lock=False)
    store = AnniversaryStore(db)
    sched = Scheduler(store, library, rec, clock=clock, sleep=sleep_moves_clock)
    await store.save(seoul(1))
    await store.save(seoul(2))
    rec.fail[1] = DeliveryError("network error: ClientConnectorError", permanent=False)
    rec.fail_times[1] = 6  # about an hour of outage: 30 s, 2, 5, 15, 15, 15 minutes
    rec.fail[2] = DeliveryError("Discord answered 503", permanent=False, status=503)
    rec.fail_times[2] = 1000  # down for good
    await sched.startup()
    clock.now = utc(2026, 7, 27, 0, 0, 1)
    await sched.tick()
    await sched.drain()
    assert [g for g, _, _ in rec.posts] == [1]
    assert (await store.recent(1))[0].attempts == 6
    failed = (await store.recent(2))[0]
    assert failed.status == "failed" and clock.now - utc(2026, 7, 27) <= dt.timedelta(hours=3, minutes=16)
    await db.close()


async def test_a_stored_webhook_url_that_is_not_discord_fails_clearly_in_the_bot(
    db_target: Path | str, library: ContentStore
) -> None:
    """A URL an older version let through (a loopback, a port that is not a number) is a clear, recorded refusal
    with nothing sent: not an "unexpected error" every time, and not a request to that address."""
    from alliance_bot.discord_ui.cogs.anniversaries import make_deliverer

    calls: list[httpx.Request] = []
    sender = sender_with([httpx.Response(200, json={"id": "1"})], calls)
    clock = Clock(utc(2026, 7, 26, 23, 59))
    db = await open_database(db_target, lock=False)
    store = AnniversaryStore(db)
    sched = Scheduler(store, library, make_deliverer(None, sender), clock=clock, sleep=no_sleep)  # type: ignore[arg-type]
    await store.save(seoul(1, webhook_url="https://discord.com:abc/api/webhooks/123456/" + "k" * 40))
    await store.save(seoul(2, webhook_url="http://127.0.0.1:6379/api/webhooks/654321/" + "k" * 40))
    await sched.startup()
    await run_until(sched, clock, utc(2026, 7, 27, 0, 1), dt.timedelta(minutes=1))
    assert calls == []
    for guild in (1, 2):
        row = (await store.recent(guild))[0]
        assert row.status == "failed" and "not a Discord webhook URL" in row.error and "error id" not in row.error
        assert not (await store.get(guild)).enabled
    await db.close()


async def test_failing_posts_waiting_to_retry_do_not_hold_up_a_healthy_one(
    tmp_path: Path, library: ContentStore
) -> None:
    """Eight servers whose webhooks keep failing, and a healthy one due at the same minute: the eight wait for their
    retries (30 s, 2, 5, 15 minutes… through the grace period) without holding the eight sending slots, so the
    healthy post goes out at its time, not when the first of the eight gives up hours later."""
    clock, rec = Clock(utc(2026, 7, 26, 23, 59)), Recorder()
    sent_at: dict[int, dt.datetime] = {}

    async def timed(schedule: ServerSchedule, payload: dict[str, Any], nonce: str | None) -> str:
        message_id = await rec(schedule, payload, nonce)
        sent_at[schedule.guild_id] = clock()
        return message_id

    async def sleep_moves_clock(seconds: float) -> None:
        clock.advance(seconds=seconds)
        await asyncio.sleep(0)

    # SQLite only: the clock here moves at each retry's sleep, so a backend with network round trips would let the
    # failing eight run through hours of virtual time while the healthy claim waits for its reply (the slots
    # logic under test is the scheduler's, the same on either backend)
    db = await open_database(tmp_path / "bot.db", lock=False)
    store = AnniversaryStore(db)
    sched = Scheduler(store, library, timed, clock=clock, sleep=sleep_moves_clock, concurrency=8)
    for guild in range(1, 10):  # 1 to 8 fail; 9, started last, is healthy
        await store.save(seoul(guild))
        if guild <= 8:
            rec.fail[guild] = DeliveryError("Discord error 503", permanent=False, status=503)
            rec.fail_times[guild] = 1000
    await sched.startup()
    due = utc(2026, 7, 27, 0, 0)
    clock.now = due
    assert await sched.tick() == 9
    await sched.drain()
    assert [g for g, _, _ in rec.posts] == [9]
    assert sent_at[9] - due < dt.timedelta(seconds=30)  # before even the first retry of the others
    for guild in range(1, 9):
        row = (await store.recent(guild))[0]
        assert row.status == "failed" and row.attempts > 1
    await db.close()


# ---------------------------------------------------------------- who owns a webhook's posts


async def test_another_server_with_the_same_webhook_id_cannot_cancel_the_owners_post(
    db_target: Path | str, library: ContentStore
) -> None:
    """A webhook's id is visible to anyone who sees its messages; its token is not. A server that sets the id with a
    junk token, an hour earlier, fails on its own: the owner's post still goes out, and each sees its own outcome."""
    clock, rec = Clock(utc(2026, 7, 26, 22, 0)), Recorder()
    db, store, sched = await make(db_target, library, clock, rec)
    await store.save(seoul(1, webhook_url=HOOK))  # the owner, 09:00
    junk = HOOK.replace("A" * 68, "B" * 68)
    await store.save(replace(seoul(2, webhook_url=junk), post_time=dt.time(8, 0)))  # 08:00, the same id
    rec.fail[2] = DeliveryError(
        "the webhook answered 401: it was deleted or its token was reset; set a new one",
        permanent=True,
        disable=True,
        status=401,
    )
    await sched.startup()
    await run_until(sched, clock, utc(2026, 7, 27, 0, 5), dt.timedelta(minutes=1))
    assert [g for g, _, _ in rec.posts] == [1]
    owner = await store.recent(1, target=(await store.get(1)).target)
    assert [(r.day, r.event_id, r.status) for r in owner] == [("2026-07-27", "armistice-signed", "sent")]
    other = await store.recent(2, target=(await store.get(2)).target)
    assert [r.status for r in other] == ["failed"] and "401" in other[0].error
    assert not (await store.get(2)).enabled
    await db.close()


async def test_one_webhook_is_one_destination_whatever_form_its_url_takes(
    db_target: Path | str, library: ContentStore
) -> None:
    """The bot and cron (or two servers) with the same webhook and token share its ledger rows: never two posts; and
    the server sees the post cron made instead of nothing."""
    clock, rec = Clock(utc(2026, 7, 26, 23, 59)), Recorder()
    db, store, sched = await make(db_target, library, clock, rec)
    await store.save(seoul(1, webhook_url=HOOK))
    cron_form = HOOK.replace("https://discord.com/api/", "https://discordapp.com/api/v10/")
    cron_target = target_for(None, cron_form)
    assert cron_target == target_for(1, HOOK) != target_for(1, HOOK.replace("A" * 68, "B" * 68))
    # cron made the post a minute before the bot's time
    day = dt.date(2026, 7, 27)
    assert await store.claim(cron_target, None, day, ["armistice-signed"], None, clock.now.timestamp()) == [
        "armistice-signed"
    ]
    await store.complete(cron_target, day, ["armistice-signed"], "99", clock.now.timestamp())
    await sched.startup()
    await run_until(sched, clock, utc(2026, 7, 27, 0, 5), dt.timedelta(minutes=1))
    assert rec.posts == []
    shown = await store.recent(1, target=(await store.get(1)).target)
    assert [(r.event_id, r.status, r.message_id) for r in shown] == [("armistice-signed", "sent", "99")]
    assert "A" * 68 not in cron_target  # only a fingerprint of the token is kept
    await db.close()


async def test_the_migration_rekeys_existing_webhook_posts(tmp_path: Path) -> None:
    """Rows written under `webhook:<id>` by the earlier schema move to the owner's key; a reply body an earlier
    version stored in an error is dropped."""
    import sqlite3

    from alliance_bot.storage.migrations import MIGRATIONS

    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    for step in MIGRATIONS[:2]:
        for statement in step:
            con.execute(statement)
    con.execute("PRAGMA user_version = 2")
    con.execute(
        "INSERT INTO anniversary_settings (guild_id, webhook_url, post_time, timezone, updated_at) "
        "VALUES (1, ?, '09:00', 'Asia/Seoul', 0)",
        (HOOK,),
    )
    rows = [
        ("webhook:123456789012345678", "2026-07-27", "armistice-signed", 1, "sent", None),
        (
            "webhook:123456789012345678",
            "2026-10-01",
            "mutual-defense-treaty",
            1,
            "failed",
            "the webhook refused the post (400): -ERR redis secret-answer",
        ),
        ("webhook:555555", "2026-07-27", "armistice-signed", None, "sent", None),  # cron: no token known
        ("guild:7", "2026-07-27", "armistice-signed", 7, "sent", None),
    ]
    con.executemany(
        "INSERT INTO anniversary_posts (target, day, event_id, guild_id, status, error) VALUES (?, ?, ?, ?, ?, ?)", rows
    )
    con.commit()
    con.close()
    db = await Database.open(path, lock=False)
    store = AnniversaryStore(db)
    owner = target_for(1, HOOK)
    assert await store.status_of(owner, dt.date(2026, 7, 27)) == {"armistice-signed": "sent"}
    failed = [r for r in await store.recent(1, target=owner) if r.status == "failed"]
    assert failed[0].error == "the webhook refused the post (400)"
    assert await store.status_of("webhook:555555", dt.date(2026, 7, 27)) == {"armistice-signed": "sent"}
    assert await store.status_of("guild:7", dt.date(2026, 7, 27)) == {"armistice-signed": "sent"}
    assert await db.scalar("SELECT count(*) FROM anniversary_posts WHERE target = 'webhook:123456789012345678'") == 0
    await db.close()
