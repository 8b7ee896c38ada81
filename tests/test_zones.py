"""Time zones: one rule for the names the bot accepts, the same on every host, and one clear line for every
bad name wherever it is typed (settings, `ask`, `/anniversaries set`); a stored zone that no longer loads
pauses only its own server."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from dataclasses import replace
from pathlib import Path

import pytest

from alliance_bot.anniversaries.ledger import ServerSchedule
from alliance_bot.anniversaries.scheduler import LAST_TICK_META
from alliance_bot.answers.errors import InvalidInput
from alliance_bot.answers.zones import ZoneError, load_zone, zone_names
from alliance_bot.cli import main
from alliance_bot.library import ContentStore
from alliance_bot.settings import SettingsError, load_settings
from conftest import MANAGE_GUILD, BotEnv, Clock
from test_anniversaries import Recorder, make, run_until, seoul, utc
from test_anniversaries_e2e import text_of
from test_ops import run_cli

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GAbCdE.abcdefghijklmnopqrstuvwxyz0123456789AB"
LONG = "a" * 256


# ---------------------------------------------------------------- the rule


def test_the_accepted_names_load_without_the_hosts_zoneinfo() -> None:
    """What a slim container has: the tzdata package and no system zoneinfo folder."""
    names = zone_names()
    assert "Asia/Seoul" in names and "UTC" in names and len(names) > 400
    zoneinfo.reset_tzpath(to=[])
    try:
        for name in sorted(names):
            assert load_zone(name).key == name
            zoneinfo.ZoneInfo.no_cache(name)  # from the tzdata package itself, not a cached copy
        # names only a host's own zoneinfo folder may have are refused here as they are on the host
        for name in ("right/Asia/Seoul", "posix/Asia/Seoul", "localtime", "posixrules"):
            with pytest.raises(ZoneError):
                load_zone(name)
    finally:
        zoneinfo.reset_tzpath()
    assert zone_names() == names


@pytest.mark.parametrize("name", ["right/Asia/Seoul", "posix/Asia/Seoul", "localtime", "posixrules"])
def test_names_only_the_host_has_are_refused(name: str) -> None:
    with pytest.raises(ZoneError):
        load_zone(name)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Asia", "“Asia” is a region, not a time zone: name a place in it, e.g. Asia/Seoul"),
        ("America", "e.g. America/New_York"),
        ("Etc", "e.g. Etc/UTC"),
        ("asia", "e.g. Asia/Seoul"),
        ("America/Argentina", "e.g. America/Argentina/Buenos_Aires"),
        ("asia/seoul", "unknown time zone “asia/seoul”: did you mean Asia/Seoul?"),
        ("right/Asia/Seoul", "did you mean Asia/Seoul?"),
        ("posix/Asia/Seoul", "did you mean Asia/Seoul?"),
        ("Seoul", "did you mean Asia/Seoul?"),
        ("Asia/Seol", "did you mean Asia/Seoul?"),
        ("america/new york", "did you mean America/New_York?"),
        ("localtime", "unknown time zone “localtime”: use an IANA name such as Asia/Seoul or America/New_York"),
        ("posixrules", "unknown time zone"),
        ("Mars/Olympus", "unknown time zone “Mars/Olympus”"),
        (LONG, "is not a time zone name"),
        ("../../etc/passwd", "unknown time zone"),
        ("/etc/localtime", "unknown time zone"),
        ("Asia/Seoul\x00", "is not a time zone name"),
        ("", "no time zone given"),
    ],
)
def test_a_bad_name_gets_one_clear_line(name: str, expected: str) -> None:
    with pytest.raises(InvalidInput) as err:
        load_zone(name)
    message = err.value.message
    assert expected in message
    assert "\n" not in message and "\x00" not in message and len(message) < 200


def test_a_good_name_is_kept_as_its_key() -> None:
    assert load_zone(" America/New_York ").key == "America/New_York"
    assert load_zone("UTC").key == "UTC"


# ---------------------------------------------------------------- where names are typed


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Asia", "ALLIANCE_BOT_TIMEZONE: “Asia” is a region, not a time zone"),
        ("Etc", "ALLIANCE_BOT_TIMEZONE: “Etc” is a region"),
        (LONG, "ALLIANCE_BOT_TIMEZONE: “aaaa"),
        ("right/Asia/Seoul", "ALLIANCE_BOT_TIMEZONE: unknown time zone “right/Asia/Seoul”: did you mean Asia/Seoul?"),
        ("Mars/Olympus", "ALLIANCE_BOT_TIMEZONE: unknown time zone “Mars/Olympus”"),
    ],
)
def test_a_bad_timezone_setting_names_the_setting(clean_env: pytest.MonkeyPatch, value: str, expected: str) -> None:
    clean_env.setenv("ALLIANCE_BOT_TIMEZONE", value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert str(err.value).startswith(expected)
    assert "CONFIG" not in str(err.value) and "\n" not in str(err.value)


def test_settings_keep_the_zones_key(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("ALLIANCE_BOT_TIMEZONE", " Europe/Paris ")
    assert load_settings().timezone == "Europe/Paris"


@pytest.mark.parametrize(
    "args", [["today", "--timezone", "Asia"], ["today", "--timezone", LONG], ["today", "--timezone", "asia/seoul"]]
)
def test_ask_with_a_bad_timezone_gets_one_line(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    assert main(["ask", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("alliance-bot: --timezone: "), captured.err


def test_ask_names_the_environment_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALLIANCE_BOT_TIMEZONE", "Asia")
    assert main(["ask", "today"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("alliance-bot: ALLIANCE_BOT_TIMEZONE: “Asia” is a region") and "e.g. Asia/Seoul" in err


def test_doctor_and_run_blame_the_timezone_not_the_config(tmp_path: Path) -> None:
    env = {"DISCORD_TOKEN": TOKEN, "ALLIANCE_BOT_DB": str(tmp_path / "bot.db"), "ALLIANCE_BOT_TIMEZONE": "Asia"}
    done = run_cli("doctor", env=env, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout.splitlines()[0].startswith("FAIL  settings: ALLIANCE_BOT_TIMEZONE: “Asia” is a region"), (
        done.stdout
    )
    assert "CONFIG" not in done.stdout and "Traceback" not in done.stdout + done.stderr
    done = run_cli("run", env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "alliance-bot: ALLIANCE_BOT_TIMEZONE: “Asia” is a region, not a time zone: name a place in it, e.g. Asia/Seoul"
    ]


# ---------------------------------------------------------------- a stored zone that no longer loads


async def test_a_stored_zone_that_does_not_load_pauses_only_its_server(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    library = ContentStore(Path(__file__).resolve().parents[1] / "content")
    assert library.load().ok
    clock, rec = Clock(utc(2026, 7, 26, 20, 0)), Recorder()
    db, store, sched = await make(tmp_path, library, clock, rec)
    for guild, zone in ((1, "right/Asia/Seoul"), (2, "Asia/Seoul"), (3, "Asia"), (4, "x" * 300)):
        await store.save(replace(seoul(guild), timezone=zone))  # stored by an older version, or edited by hand
    await db.set_meta(LAST_TICK_META, utc(2026, 7, 20).isoformat())  # downtime to examine, for every row
    caplog.set_level(logging.WARNING, logger="alliance_bot.anniversaries.scheduler")
    await sched.startup()  # raised IsADirectoryError before: start-up retried every minute, nobody posted
    await sched.rebuild()  # a content reload: the same pause is not logged again
    await sched.rebuild()
    assert sched.paused(2) is None
    assert "did you mean Asia/Seoul?" in (sched.paused(1) or "")
    assert "is a region" in (sched.paused(3) or "") and "is not a time zone name" in (sched.paused(4) or "")
    assert sched.upcoming(1) == [] and len(sched.upcoming(2)) == 3
    await run_until(sched, clock, utc(2026, 7, 27, 1, 0), dt.timedelta(minutes=1))
    assert [guild for guild, _, _ in rec.posts] == [2]
    paused_lines = [r.getMessage() for r in caplog.records if "paused" in r.getMessage()]
    assert len(paused_lines) == 3 and any("guild 1" in line for line in paused_lines), paused_lines
    # the owner sets a zone that loads: the posts resume
    sched.update(seoul(1))
    assert sched.paused(1) is None and len(sched.upcoming(1)) == 3
    await db.close()


async def test_show_says_the_posts_are_paused_and_why(bot_env: BotEnv) -> None:
    fake, sched = bot_env.fake, bot_env.scheduler
    await bot_env.anniversaries.save(
        ServerSchedule(fake.guild_id, dt.time(9, 0), "right/Asia/Seoul", channel_id=fake.channel_id)
    )
    await sched.startup()
    show = await bot_env.ask("anniversaries", subcommand="show", member_permissions=MANAGE_GUILD)
    text = text_of(show["data"])
    assert "Posts are **paused**" in text and "Posts are **on**" not in text
    assert "did you mean Asia/Seoul?" in text and "/anniversaries set" in text
    preview = await bot_env.ask(
        "anniversaries", {"date": "07-27"}, subcommand="preview", member_permissions=MANAGE_GUILD
    )
    assert "73rd anniversary" in text_of(preview["data"])
    cb = await bot_env.ask(
        "anniversaries",
        {"channel": fake.channel_id, "time": "09:00", "timezone": "Asia/Seoul"},
        subcommand="set",
        member_permissions=MANAGE_GUILD,
    )
    assert "Posts are **on**" in text_of(cb["data"]) and sched.paused(fake.guild_id) is None


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Asia", "is a region, not a time zone"),
        ("Etc", "e.g. Etc/UTC"),
        ("a" * 64, "Unknown time zone"),  # a sentence
        ("asia/seoul", "did you mean Asia/Seoul?"),
        ("right/Asia/Seoul", "did you mean Asia/Seoul?"),
    ],
)
async def test_set_refuses_a_bad_zone_clearly(bot_env: BotEnv, zone: str, expected: str) -> None:
    cb = await bot_env.ask(
        "anniversaries", {"time": "09:00", "timezone": zone}, subcommand="set", member_permissions=MANAGE_GUILD
    )
    text = text_of(cb["data"])
    assert expected in text and "error id" not in text.lower(), text
    assert await bot_env.anniversaries.get(bot_env.fake.guild_id) is None
