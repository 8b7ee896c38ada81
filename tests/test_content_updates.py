"""Moderators change the content from Discord (#21): upload, check, review, apply with a confirmation, announce,
history, rollback, export; through the fake Discord with the real discord.py client, the attachments served by a
fake CDN (an httpx transport given to the bot's download client), and hostile files of every kind."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import re
import shutil
import subprocess
import zipfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from alliance_bot.discord_ui.bot import AllianceBot
from alliance_bot.discord_ui.content_updates import confirm_id
from alliance_bot.library import ContentStore
from alliance_bot.storage.db import Database
from alliance_bot.storage.usage import UsageLog
from alliance_bot.updates import workspace
from alliance_bot.updates.service import ContentUpdates, Refused
from conftest import CONTENT, MANAGE_GUILD, MEMBER_PERMISSIONS, Clock, eventually, running
from fakediscord import FakeDiscord

EPHEMERAL = 1 << 6
CDN = "https://cdn.discordapp.com/attachments/111111/{id}/{name}?ex=1&is=2&hm=abc"
OLD_TITLE = "Korean Armistice Agreement signed, halting the fighting of the Korean War"
NEW_TITLE = "Korean Armistice Agreement signed, stopping the fighting of the Korean War"


@dataclass
class FakeCDN:
    """Discord's attachment host, for the bot's download client: URL -> body (bytes, or a chunk generator)."""

    bodies: dict[str, bytes | Callable[[], object]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        self.requests.append(url)
        body = self.bodies.get(url)
        if body is None:
            return httpx.Response(404)
        if callable(body):
            return httpx.Response(200, content=body())  # type: ignore[arg-type]
        return httpx.Response(200, content=body)


@dataclass
class Env:
    fake: FakeDiscord
    bot: AllianceBot
    store: ContentStore
    db: Database
    usage: UsageLog
    content: Path
    cdn: FakeCDN
    updates: ContentUpdates
    _ids: int = 900000

    def attach(self, name: str, body: bytes | Callable[[], object], size: int | None = None) -> tuple[str, dict]:
        """An attachment on the fake CDN: its option value and the `resolved` part of the interaction."""
        self._ids += 1
        aid = str(self._ids)
        url = CDN.format(id=aid, name=name)
        self.cdn.bodies[url] = body
        n = size if size is not None else (len(body) if isinstance(body, bytes) else 0)
        att = {
            "id": aid,
            "filename": name,
            "size": n,
            "url": url,
            "proxy_url": url.replace("cdn.discordapp.com", "media.discordapp.net"),
        }
        return aid, {"attachments": {aid: att}}

    async def upload(self, name: str, body: bytes, note: str | None = "wording", **kwargs: object) -> dict:
        aid, resolved = self.attach(name, body, kwargs.pop("size", None))  # type: ignore[arg-type]
        options = {"file": aid} | ({"note": note} if note else {})
        return await self.command("upload", options, resolved=resolved, **kwargs)

    async def command(self, sub: str, options: dict | None = None, **kwargs: object) -> dict:
        kwargs.setdefault("member_permissions", MANAGE_GUILD)
        payload = await self.fake.send_interaction(self.fake.command("content", options, subcommand=sub, **kwargs))  # type: ignore[arg-type]
        cb = await self.fake.wait_for_callback(payload)
        if cb["type"] == 5:  # deferred: the answer is the first follow-up (it replaces the "thinking" message)
            msg = await eventually(lambda: _answered(self.fake.original_message(payload)), 20, "the answer")
            return {"type": 5, "data": msg, "payload": payload}
        return cb | {"payload": payload}

    async def press(self, message: dict, label: str, **kwargs: object) -> dict:
        cid = next(
            c["custom_id"] for row in message["components"] for c in row["components"] if c.get("label") == label
        )
        return await self.press_id(cid, message, **kwargs)

    async def press_id(self, cid: str, message: dict, **kwargs: object) -> dict:
        kwargs.setdefault("member_permissions", MANAGE_GUILD)
        payload = await self.fake.send_interaction(self.fake.component(cid, message_id=message["id"], **kwargs))  # type: ignore[arg-type]
        cb = await self.fake.wait_for_callback(payload)
        if cb["type"] == 6:  # deferred update: the message is edited when the work is done
            before = json.dumps(message.get("embeds"))
            msg = await eventually(
                lambda: (
                    (m := self.fake.messages.get(int(message["id"]))) and json.dumps(m.get("embeds")) != before and m
                ),
                20,
                "the edited message",
            )
            return {"type": 6, "data": msg}
        return cb

    async def proposals(self) -> list[tuple]:
        return [tuple(r) for r in await self.db.fetchall("SELECT id, guild_id, status FROM content_proposals")]


def _answered(msg: dict | None) -> dict | None:
    return msg if msg is not None and not (msg.get("flags", 0) & (1 << 7)) else None  # LOADING


def text_of(data: dict) -> str:
    out = []
    for e in data.get("embeds", []):
        out += [e.get("title", ""), e.get("description", "")]
        out += [f["name"] + " " + f["value"] for f in e.get("fields", [])]
    return " ".join(out)


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    store = ContentStore(content)
    assert store.load().ok
    cdn = FakeCDN()
    async with FakeDiscord() as fake, httpx.AsyncClient(transport=httpx.MockTransport(cdn.handler)) as downloads:
        with fake.patch_discord():
            db = await Database.open(tmp_path / "bot.db")
            usage = UsageLog(db, interval=0.05)
            usage.start()
            updates = ContentUpdates(store, db)
            bot = AllianceBot(
                store=store,
                db=db,
                usage=usage,
                hash_key=b"test-key",
                guild_ready_timeout=0.05,
                clock=Clock(dt.datetime(2026, 7, 26, 12, 0, tzinfo=dt.UTC)),
                updates=updates,
                downloads=downloads,
            )
            try:
                async with running(fake, bot):
                    yield Env(fake, bot, store, db, usage, content, cdn, updates)
            finally:
                await usage.close()
                await db.close()


def edited_events(content: Path) -> bytes:
    text = (content / "events.yaml").read_text(encoding="utf-8")
    assert OLD_TITLE in text
    return text.replace(OLD_TITLE, NEW_TITLE, 1).encode()


def zipped(files: dict[str, bytes], *, links: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            info = zipfile.ZipInfo("placeholder")
            info.filename = name  # as written: ZipInfo() would strip a leading "/"
            z.writestr(info, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o120777 << 16
            z.writestr(info, target)
    return buf.getvalue()


# ---------------------------------------------------------------- the flow


async def test_a_member_is_refused_before_anything_is_downloaded(env: Env) -> None:
    cb = await env.upload("events.yaml", edited_events(env.content), member_permissions=MEMBER_PERMISSIONS)
    assert cb["data"]["flags"] & EPHEMERAL
    assert "moderator" in text_of(cb["data"]).lower()
    assert env.cdn.requests == [] and await env.proposals() == []
    for sub, options in (("apply", {"id": 1}), ("history", None), ("rollback", {"id": 1}), ("export", None)):
        cb = await env.command(sub, options, member_permissions=MEMBER_PERMISSIONS)
        assert "moderator" in text_of(cb["data"]).lower(), sub


async def test_an_upload_with_problems_is_answered_with_them_and_nothing_stored(env: Env) -> None:
    body = edited_events(env.content).replace(b'"1953-07-27"', b'"1953-02-30"', 1)
    before = (env.content / "events.yaml").read_bytes()
    cb = await env.upload("events.yaml", body)
    text = text_of(cb["data"])
    assert "Upload not valid" in text and "nothing is stored" in text
    # the problems are the checker's own lines, file:line: field: message
    assert re.search(r"content/events\.yaml:\d+: events\.armistice-signed\.date:", text)
    assert "February 1953 has no day 30" in text
    assert not cb["data"].get("attachments")
    # many problems: the first ones shown, the whole list as a file
    many = edited_events(env.content).replace(b'quote: "', b'quote: "zz ')
    cb = await env.upload("events.yaml", many)
    assert [a["filename"] for a in cb["data"]["attachments"]] == ["content-problems.txt"]
    assert "the full list is in the attached file" in text_of(cb["data"])
    assert await env.proposals() == []
    assert (env.content / "events.yaml").read_bytes() == before
    assert env.store.current.digest.events["armistice-signed"].title == OLD_TITLE


async def test_a_good_upload_is_reviewed_applied_reloaded_announced_and_committed(env: Env) -> None:
    subprocess.run(["git", "init", "-q", str(env.content)], check=True)
    subprocess.run(["git", "-C", str(env.content), "add", "-A"], check=True)
    subprocess.run(
        ["git", "-C", str(env.content), "-c", "user.name=op", "-c", "user.email=op@x", "commit", "-qm", "start"],
        check=True,
    )
    cb = await env.command("settings", {"channel": str(env.fake.channel_id)})
    assert "Change notes go to" in text_of(cb["data"])

    cb = await env.upload("events.yaml", edited_events(env.content), note="clearer armistice title")
    text = text_of(cb["data"])
    assert "Proposal #1 is ready for review" in text and "Nothing has changed yet" in text
    assert "armistice-signed" in text and "halting" in text and "stopping" in text  # the field's short diff
    assert "~ events.yaml" in text
    assert await env.proposals() == [(1, env.fake.guild_id, "open")]
    assert env.store.current.digest.events["armistice-signed"].title == OLD_TITLE  # nothing changed yet

    cb = await env.command("proposals")
    assert "#1" in text_of(cb["data"]) and "clearer armistice title" in text_of(cb["data"])

    cb = await env.command("apply", {"id": 1})
    assert "Apply proposal #1?" in text_of(cb["data"])
    message = await eventually(lambda: env.fake.original_message(cb["payload"]), what="the confirmation")
    done = await env.press(message, "Apply")
    assert "Change #1 applied" in text_of(done["data"]) and not done["data"].get("components")
    assert "Committed as" in text_of(done["data"]) and "Posted in" in text_of(done["data"])
    assert NEW_TITLE in (env.content / "events.yaml").read_text(encoding="utf-8")
    assert env.store.current.digest.events["armistice-signed"].title == NEW_TITLE  # reloaded: served now
    # the one-line change note in the chosen channel
    notes = [
        m
        for m in env.fake.messages.values()
        if m.get("channel_id") == str(env.fake.channel_id) and "Content change #1" in m.get("content", "")
    ]
    assert len(notes) == 1 and "clearer armistice title" in notes[0]["content"]
    # the git commit carries the moderator's name and the note
    log = subprocess.run(
        ["git", "-C", str(env.content), "log", "-1", "--format=%an|%s"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert log.endswith("|clearer armistice title")
    assert await env.proposals() == [(1, env.fake.guild_id, "applied")]
    # the usage log has each step
    await env.usage.flush()
    rows = [tuple(r) for r in await env.db.fetchall("SELECT command, outcome FROM usage ORDER BY id")]
    assert ("content upload", "answered") in rows and ("content confirm", "answered") in rows

    cb = await env.command("history")
    assert "#1" in text_of(cb["data"]) and "clearer armistice title" in text_of(cb["data"])


async def test_a_stale_proposal_is_refused_with_the_conflict_named(env: Env) -> None:
    first = await env.upload("events.yaml", edited_events(env.content), note="first")
    assert "Proposal #1" in text_of(first["data"])
    other = edited_events(env.content).replace(NEW_TITLE.encode(), b"Armistice signed", 1)
    second = await env.upload("events.yaml", other, note="second")
    assert "Proposal #2" in text_of(second["data"])
    await env.updates.apply(1, guild_id=env.fake.guild_id, by_id=1, by_name="Ann")
    cb = await env.command("apply", {"id": 2})
    message = await eventually(lambda: env.fake.original_message(cb["payload"]), what="the confirmation")
    done = await env.press(message, "Apply")
    text = text_of(done["data"])
    assert "Proposal out of date" in text and "events.yaml" in text and "change #1 by Ann: first" in text
    assert env.store.current.digest.events["armistice-signed"].title == NEW_TITLE  # not merged
    assert (2, env.fake.guild_id, "stale") in await env.proposals()


async def test_rollback_restores_the_exact_files(env: Env) -> None:
    original = {p: (env.content / p).read_bytes() for p in ("events.yaml", "facts.yaml")}
    await env.upload("events.yaml", edited_events(env.content))
    await env.updates.apply(1, guild_id=env.fake.guild_id, by_id=1, by_name="Ann")
    assert (env.content / "events.yaml").read_bytes() != original["events.yaml"]
    cb = await env.command("rollback", {"id": 1, "note": "back"})
    assert "Apply proposal #2?" in text_of(cb["data"])
    done = await env.press(cb["data"], "Apply")  # a deferred reply: its data is the message
    assert "Change #2 applied" in text_of(done["data"])
    assert {p: (env.content / p).read_bytes() for p in original} == original
    assert env.store.current.digest.events["armistice-signed"].title == OLD_TITLE
    changes = await env.db.fetchall("SELECT id, rollback_of, status FROM content_changes ORDER BY id")
    assert [tuple(c) for c in changes] == [(1, None, "applied"), (2, 1, "applied")]


async def test_the_buttons_are_the_askers_signed_and_expire(env: Env) -> None:
    await env.upload("events.yaml", edited_events(env.content))
    cb = await env.command("apply", {"id": 1})
    message = await eventually(lambda: env.fake.original_message(cb["payload"]), what="the confirmation")
    ids = {c["label"]: c["custom_id"] for row in message["components"] for c in row["components"]}
    other = env.fake.add_user()
    refused = await env.press(message, "Apply", user_id=other)
    assert "Not your button" in text_of(refused["data"])
    # a forged id (another proposal, a made-up signature) and an expired one do nothing
    cid = next(c["custom_id"] for row in message["components"] for c in row["components"] if c["label"] == "Apply")
    forged = cid.replace(":a:1:", ":a:7:")
    assert "Unknown button" in text_of((await env.press_id(forged, message))["data"])
    expired = confirm_id(b"test-key", "a", 1, env.fake.user_id, env.fake.guild_id, 1000)
    assert "Confirmation expired" in text_of((await env.press_id(expired, message))["data"])
    cancelled = await env.press_id(ids["Cancel"], message)
    assert "Not applied" in text_of(cancelled["data"])
    assert await env.proposals() == [(1, env.fake.guild_id, "open")]
    assert env.store.current.digest.events["armistice-signed"].title == OLD_TITLE


async def test_another_servers_proposal_is_not_found(env: Env) -> None:
    await env.upload("events.yaml", edited_events(env.content), guild_id=env.fake.guild_id)
    cb = await env.command("apply", {"id": 1}, guild_id=424242424242)
    assert "No such proposal" in text_of(cb["data"])
    # and a button made for this server is refused in another
    cid = confirm_id(b"test-key", "a", 1, env.fake.user_id, env.fake.guild_id, 2**40)
    msg = env.fake.original_message(cb["payload"])
    assert msg is not None
    assert "Unknown button" in text_of((await env.press_id(cid, msg, guild_id=424242424242))["data"])
    assert await env.proposals() == [(1, env.fake.guild_id, "open")]


async def test_second_moderator_rule(env: Env) -> None:
    await env.command("settings", {"second_moderator": True})
    await env.upload("events.yaml", edited_events(env.content))
    cb = await env.command("apply", {"id": 1})
    assert "Another moderator must apply it" in text_of(cb["data"])
    cb = await env.command("apply", {"id": 1}, user_id=env.fake.add_user())
    assert "Apply proposal #1?" in text_of(cb["data"])


async def test_export_gives_the_files_and_the_schema(env: Env) -> None:
    cb = await env.command("export")
    names = [a["filename"] for a in cb["data"]["attachments"]]
    assert names == ["content.zip", "content.schema.json"]
    cb = await env.command("export", {"file": "events.yaml"})
    assert [a["filename"] for a in cb["data"]["attachments"]] == ["events.yaml", "content.schema.json"]
    cb = await env.command("export", {"file": "../etc/passwd"})
    assert "No such file" in text_of(cb["data"])


async def test_a_zip_of_the_folder_round_trips(env: Env) -> None:
    files = workspace.snapshot(env.content)
    files["events.yaml"] = edited_events(env.content)
    cb = await env.upload("content.zip", zipped({f"content/{p}": b for p, b in files.items()}))
    text = text_of(cb["data"])
    assert "Proposal #1" in text and "~ events.yaml" in text


# ---------------------------------------------------------------- hostile files


@pytest.mark.parametrize(
    ("name", "body", "expect"),
    [
        ("content.zip", zipped({"../../evil.yaml": b"events: []\n"}), "could lead outside"),
        ("content.zip", zipped({"/etc/cron.d/x.yaml": b"events: []\n"}), "absolute path"),
        (
            "content.zip",
            zipped({"events.yaml": b"events: []\n"}, links={"sources/link.txt": "/etc/passwd"}),
            "symbolic link",
        ),
        ("content.zip", zipped({"a\\..\\b.yaml": b"events: []\n"}), "backslash"),
        ("content.zip", zipped({"run.sh": b"rm -rf /"}), "not a content file"),
        ("content.zip", zipped({"events.yaml": b"x" * (3 * 1024 * 1024)}), "limited to"),  # a bomb: 3 MB of x
        ("content.zip", b"PK\x03\x04 not really a zip", "cannot be read"),
        ("evil.exe", b"MZ", "Upload one content file"),
        ("events.yaml", b"\xff\xfe events", "not UTF-8"),
    ],
)
async def test_hostile_files_are_refused_clearly_and_nothing_is_stored(
    env: Env, name: str, body: bytes, expect: str
) -> None:
    before = workspace.snapshot(env.content)
    cb = await env.upload(name, body)
    text = text_of(cb["data"])
    assert "File not accepted" in text and expect in text and "Nothing was stored" in text, text
    assert await env.proposals() == []
    assert workspace.snapshot(env.content) == before
    assert not (env.content.parent / "evil.yaml").exists()


async def test_a_yaml_bomb_and_deep_nesting_are_problems(env: Env) -> None:
    bomb = (
        b"a: &a [x, x, x, x, x, x, x, x, x]\n"
        b"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        b"c: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    )
    cb = await env.upload("bomb.yaml", bomb)
    assert "Upload not valid" in text_of(cb["data"]) and "anchors and aliases" in text_of(cb["data"])
    deep = b"events:\n  - " + b"[" * 200 + b"]" * 200 + b"\n"
    cb = await env.upload("deep.yaml", deep)
    assert "Upload not valid" in text_of(cb["data"]) and "nested too deeply" in text_of(cb["data"])
    assert await env.proposals() == []


async def test_a_1_gb_attachment_is_never_downloaded_and_a_lying_one_is_cut_off(env: Env) -> None:
    cb = await env.upload("events.yaml", b"", size=1024**3)
    assert "File not accepted" in text_of(cb["data"]) and "1,073,741,824 bytes" in text_of(cb["data"])
    assert env.cdn.requests == []

    sent: list[int] = []

    async def endless() -> object:
        for _ in range(1024):  # 1 GB, in 1 MB chunks, if it were all read
            sent.append(1)
            yield b"x" * (1024 * 1024)

    aid, resolved = env.attach("events.yaml", endless, size=10)  # Discord's figure lies
    cb = await env.command("upload", {"file": aid}, resolved=resolved)
    assert "larger than 8,388,608 bytes" in text_of(cb["data"])
    assert len(sent) <= 10  # stopped while streaming
    assert await env.proposals() == []


async def test_an_attachment_url_off_discords_cdn_is_not_fetched(env: Env) -> None:
    for url in (
        "https://evil.example/attachments/1/2/events.yaml",
        "http://cdn.discordapp.com/attachments/1/2/events.yaml",
        "https://cdn.discordapp.com:8443/attachments/1/2/events.yaml",
        "https://user@cdn.discordapp.com/attachments/1/2/events.yaml",
        "https://cdn.discordapp.com/avatars/1/2/events.yaml",
    ):
        aid = "777"
        resolved = {
            "attachments": {aid: {"id": aid, "filename": "events.yaml", "size": 5, "url": url, "proxy_url": url}}
        }
        cb = await env.command("upload", {"file": aid}, resolved=resolved)
        assert "File not accepted" in text_of(cb["data"]), url
    assert env.cdn.requests == []


# ---------------------------------------------------------------- crashes and races (the domain, no Discord needed)


async def test_a_crash_between_write_and_reload_leaves_valid_content(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    await env.upload("events.yaml", edited_events(env.content))

    async def crash() -> object:
        raise KeyboardInterrupt  # the process dies after the files were written, before the reload

    monkeypatch.setattr(env.store, "reload", crash)
    with pytest.raises(KeyboardInterrupt):
        await env.updates.apply(1, guild_id=env.fake.guild_id, by_id=1, by_name="Ann")
    monkeypatch.undo()
    # a new process: the files on disk load, and are valid
    fresh = ContentStore(env.content)
    assert fresh.load().ok
    assert fresh.current.digest.events["armistice-signed"].title in (OLD_TITLE, NEW_TITLE)


async def test_a_crash_in_the_middle_of_the_writes_is_finished_from_the_journal(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = workspace.snapshot(env.content)
    files["events.yaml"] = edited_events(env.content)
    new_id = "armistice-signed-note"
    files["facts.yaml"] = files["facts.yaml"].replace(b"facts:\n", b"facts:\n", 1)
    await env.upload("content.zip", zipped(files))
    real_write = workspace.write
    calls = []

    def die_after_one_file(root: Path, written: dict) -> None:
        calls.append(1)
        first = dict(list(written.items())[:1])
        real_write(root, first)
        raise SystemExit("killed")  # BaseException: the put-back cannot run either, as in a real kill

    monkeypatch.setattr(workspace, "write", die_after_one_file)
    monkeypatch.setattr("alliance_bot.updates.service.ContentUpdates._put_back", _no_put_back)
    with pytest.raises(SystemExit):
        await env.updates.apply(1, guild_id=env.fake.guild_id, by_id=1, by_name="Ann")
    monkeypatch.undo()
    assert [tuple(r) for r in await env.db.fetchall("SELECT status FROM content_changes")] == [("writing",)]
    assert await env.updates.recover() == [1]
    assert ContentStore(env.content).load().ok
    assert env.store.current.digest.events["armistice-signed"].title == NEW_TITLE
    del new_id


async def _no_put_back(self: ContentUpdates, change_id: int, before: dict) -> None:
    return None


async def test_two_applies_at_once_one_wins_the_other_is_told(env: Env) -> None:
    await env.upload("events.yaml", edited_events(env.content))
    results = await asyncio.gather(
        env.updates.apply(1, guild_id=env.fake.guild_id, by_id=1, by_name="Ann"),
        env.updates.apply(1, guild_id=env.fake.guild_id, by_id=2, by_name="Bob"),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, Refused)]
    assert len(refused) == 1 and refused[0].title in ("Already being applied", "Not open")
    assert [tuple(r) for r in await env.db.fetchall("SELECT status FROM content_changes")] == [("applied",)]


async def test_a_failed_write_puts_the_previous_files_back(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    before = workspace.snapshot(env.content)
    await env.upload("events.yaml", edited_events(env.content))
    real_write = workspace.write
    state = {"n": 0}

    def fail_first(root: Path, files: dict) -> None:
        state["n"] += 1
        if state["n"] == 1:
            real_write(root, files)
            raise OSError(28, "No space left on device")
        real_write(root, files)

    monkeypatch.setattr(workspace, "write", fail_first)
    with pytest.raises(Refused, match="previous files were put back"):
        await env.updates.apply(1, guild_id=env.fake.guild_id, by_id=1, by_name="Ann")
    assert workspace.snapshot(env.content) == before
    assert env.store.current.digest.events["armistice-signed"].title == OLD_TITLE
    assert (1, env.fake.guild_id, "open") in await env.proposals()


# ---------------------------------------------------------------- the command line, on the same records


def test_the_cli_proposes_applies_lists_and_rolls_back(tmp_path: Path) -> None:
    from test_ops import run_cli

    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    original = (content / "events.yaml").read_bytes()
    subprocess.run(["git", "init", "-q", str(content)], check=True)
    subprocess.run(["git", "-C", str(content), "add", "-A"], check=True)
    subprocess.run(
        ["git", "-C", str(content), "-c", "user.name=op", "-c", "user.email=op@x", "commit", "-qm", "start"], check=True
    )
    env = {
        "ALLIANCE_BOT_CONTENT_DIR": str(content),
        "ALLIANCE_BOT_DB": str(tmp_path / "bot.db"),
        "ALLIANCE_BOT_CACHE_DIR": str(tmp_path / "cache"),  # not the sandbox home's cache (test_home_isolation)
    }
    upload = tmp_path / "events.yaml"
    upload.write_bytes(edited_events(content))

    done = run_cli("content", "propose", str(upload), "--note", "clearer title", "--by", "Op", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "proposal #1 stored" in done.stdout and "armistice-signed" in done.stdout and "stopping" in done.stdout

    bad = tmp_path / "bad.yaml"
    bad.write_bytes(edited_events(content).replace(b'"1953-07-27"', b'"1953-02-30"', 1))
    done = run_cli("content", "propose", str(bad), env=env, cwd=tmp_path)
    assert done.returncode == 1 and "February 1953 has no day 30" in done.stderr

    done = run_cli("content", "proposals", "--json", env=env, cwd=tmp_path)
    assert [p["id"] for p in json.loads(done.stdout)] == [1]

    done = run_cli("content", "apply", "1", env=env, cwd=tmp_path)  # not a terminal, no --yes: nothing applied
    assert done.returncode == 1 and "add --yes" in done.stderr
    assert (content / "events.yaml").read_bytes() == original

    done = run_cli("content", "apply", "1", "--yes", "--by", "Op", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "change #1 applied" in done.stdout and "git commit" in done.stdout
    assert NEW_TITLE in (content / "events.yaml").read_text(encoding="utf-8")

    done = run_cli("content", "history", "--json", env=env, cwd=tmp_path)
    (change,) = json.loads(done.stdout)
    assert change["applied_by"] == "Op" and change["note"] == "clearer title" and change["files"] == ["events.yaml"]

    done = run_cli("content", "rollback", "1", "--yes", "--by", "Op", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (content / "events.yaml").read_bytes() == original
    log = subprocess.run(
        ["git", "-C", str(content), "log", "--format=%an|%s"], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert log[:2] == ["Op|roll back change #1 (clearer title)", "Op|clearer title"]

    done = run_cli("content", "apply", "1", "--yes", env=env, cwd=tmp_path)
    assert done.returncode == 1 and "is applied" in done.stderr


async def test_a_failed_git_commit_is_reported_and_the_change_stays(env: Env) -> None:
    subprocess.run(["git", "init", "-q", str(env.content)], check=True)
    (env.content / ".git" / "index.lock").write_text("")  # another git holds the index: add and commit fail
    await env.upload("events.yaml", edited_events(env.content))
    applied = await env.updates.apply(1, guild_id=env.fake.guild_id, by_id=1, by_name="Ann")
    assert applied.git_commit is None and applied.git_error and "index.lock" in applied.git_error
    assert env.store.current.digest.events["armistice-signed"].title == NEW_TITLE
    row = await env.db.fetchall("SELECT status, git_error FROM content_changes")
    assert row[0][0] == "applied" and "index.lock" in row[0][1]


async def test_a_change_note_that_cannot_be_posted_is_said_and_the_change_stays(env: Env) -> None:
    from alliance_bot.storage import content_changes as records

    await records.save_settings(env.db, env.fake.guild_id, records.ContentSettings(announce_channel=123456789))
    await env.upload("events.yaml", edited_events(env.content))
    cb = await env.command("apply", {"id": 1})
    done = await env.press(await eventually(lambda: env.fake.original_message(cb["payload"])), "Apply")
    assert "Change #1 applied" in text_of(done["data"]) and "Could not be posted in <#123456789>" in text_of(
        done["data"]
    )
    assert env.store.current.digest.events["armistice-signed"].title == NEW_TITLE


def test_a_large_review_fits_one_page_and_the_whole_goes_in_a_file() -> None:
    from alliance_bot.present.embed_moderation import render_review, review_is_long, review_text
    from alliance_bot.present.limits import EMBED_TOTAL_MAX, FIELD_VALUE_MAX, FIELDS_MAX
    from alliance_bot.updates.workspace import Review

    changed = {f"entry-{i}": [f"summary: {'old ' * 40} → {'new ' * 40}"] * 8 for i in range(60)}
    review = Review([f"new-{i}" for i in range(80)], changed, [], ["~ events.yaml"], {"events": 45}, [])
    assert review_is_long(review)
    rendered = render_review(7, review, author="A" * 100, note="n" * 300, attached=True, asking=True)
    assert rendered.page_count == 1
    (embed,) = rendered.pages[0]
    fields = embed.get("fields", [])
    assert len(fields) <= FIELDS_MAX and all(len(f["value"]) <= FIELD_VALUE_MAX for f in fields)
    size = (
        len(embed["title"]) + len(embed.get("description", "")) + sum(len(f["name"]) + len(f["value"]) for f in fields)
    )
    assert size + len(embed["footer"]["text"]) <= EMBED_TOTAL_MAX
    assert "and 65 more" in str(fields) and "…and 59 more entries" in str(fields)  # one entry's diffs fill a field
    assert fields[-1]["name"] == "After the change"  # nothing after the cut is lost from the page
    text = review_text(review)
    assert all(f"entry-{i}" in text for i in range(60)) and "new-79" in text
    small = Review([], {"armistice-signed": ["title: a → b"]}, [], ["~ events.yaml"], {"events": 45}, [])
    assert not review_is_long(small)


def test_writes_and_reads_stay_inside_the_content_folder(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    outside = tmp_path / "outside"
    outside.mkdir()
    (content / "out").symlink_to(outside, target_is_directory=True)
    with pytest.raises(workspace.FolderProblem, match="outside the content folder"):
        workspace.write(content, {"out/x.yaml": "events: []\n"})
    assert list(outside.iterdir()) == []
    (outside / "secret.txt").write_text("not content")
    (content / "sources" / "leak.txt").symlink_to(outside / "secret.txt")
    with pytest.raises(workspace.FolderProblem, match="cannot be read safely"):
        workspace.snapshot(content)


async def test_a_start_after_a_kill_mid_write_finishes_the_change_before_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_ops import run_cli

    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    store = ContentStore(content)
    assert store.load().ok
    db = await Database.open(tmp_path / "bot.db")
    updates = ContentUpdates(store, db)
    files = workspace.snapshot(content)
    renamed = {p: re.sub(rb"armistice-signed(?![-\w])", b"armistice-signed-1953", b) for p, b in files.items()}
    assert renamed["events.yaml"] != files["events.yaml"] and renamed["facts.yaml"] != files["facts.yaml"]
    await updates.propose_upload(
        guild_id=1, author_id=1, author_name="Ann", note="rename", filename="c.zip", data=zipped(renamed)
    )
    real_write = workspace.write

    def killed_after_events(root: Path, written: dict) -> None:
        real_write(root, {"events.yaml": written["events.yaml"]})
        raise SystemExit("killed")

    monkeypatch.setattr(workspace, "write", killed_after_events)
    monkeypatch.setattr("alliance_bot.updates.service.ContentUpdates._put_back", _no_put_back)
    with pytest.raises(SystemExit):
        await updates.apply(1, guild_id=1, by_id=1, by_name="Ann")
    monkeypatch.undo()
    await db.close()
    assert not ContentStore(content).load().ok  # half-written: the events renamed, the references not yet

    env = {
        "ALLIANCE_BOT_CONTENT_DIR": str(content),
        "ALLIANCE_BOT_DB": str(tmp_path / "bot.db"),
        "ALLIANCE_BOT_CACHE_DIR": str(tmp_path / "cache"),
    }
    done = run_cli("run", env=env, cwd=tmp_path)  # no token: the offline demo, after the start's recovery
    assert done.returncode == 0, done.stderr
    assert "all valid" in done.stdout and "content change #1 was interrupted" in done.stderr
    fresh = ContentStore(content)
    assert fresh.load().ok and "armistice-signed-1953" in fresh.current.digest.events


async def test_a_rollback_under_a_later_change_is_refused_naming_it(env: Env) -> None:
    g = env.fake.guild_id
    await env.upload("events.yaml", edited_events(env.content), note="first")
    await env.updates.apply(1, guild_id=g, by_id=1, by_name="Ann")
    again = (env.content / "events.yaml").read_bytes().replace(NEW_TITLE.encode(), b"Armistice signed", 1)
    await env.upload("events.yaml", again, note="second")
    await env.updates.apply(2, guild_id=g, by_id=2, by_name="Bob")
    cb = await env.command("rollback", {"id": 1})
    text = text_of(cb["data"])
    assert "Cannot roll back: changed since" in text and "change #2 by Bob (second)" in text
    assert env.store.current.digest.events["armistice-signed"].title == "Armistice signed"
    # another server cannot roll back this server's change
    cb = await env.command("rollback", {"id": 2}, guild_id=424242424242)
    assert "No such change" in text_of(cb["data"])


async def test_a_proposal_is_stale_after_an_edit_outside_the_bot(env: Env) -> None:
    await env.upload("events.yaml", edited_events(env.content))
    path = env.content / "events.yaml"
    path.write_bytes(path.read_bytes() + b"\n")  # an operator's edit on the host
    with pytest.raises(Refused, match=r"events\.yaml changed since \(edited outside the bot\?\)"):
        await env.updates.apply(1, guild_id=env.fake.guild_id, by_id=1, by_name="Ann")
    assert OLD_TITLE in path.read_text(encoding="utf-8")


async def test_autocomplete_offers_open_proposals_and_files_to_moderators_only(env: Env) -> None:
    await env.upload("events.yaml", edited_events(env.content), note="clearer title")

    async def choices(sub: str, option: str, value: str, perms: str = MANAGE_GUILD) -> list[dict]:
        payload = await env.fake.send_interaction(
            env.fake.autocomplete("content", option, value, subcommand=sub, member_permissions=perms)
        )
        return (await env.fake.wait_for_callback(payload))["data"]["choices"]

    (choice,) = await choices("apply", "id", "")
    assert choice["value"] == 1 and "clearer title" in choice["name"]
    assert await choices("apply", "id", "", MEMBER_PERMISSIONS) == []
    files = [c["value"] for c in await choices("export", "file", "eve")]
    assert files == ["events.yaml"]
    assert await choices("export", "file", "", MEMBER_PERMISSIONS) == []


async def test_a_flood_of_proposals_is_refused_past_the_limit(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("alliance_bot.updates.service.MAX_OPEN", 2)
    base = edited_events(env.content)
    for n in range(2):
        cb = await env.upload("events.yaml", base + f"\n# {n}\n".encode())
        assert f"Proposal #{n + 1}" in text_of(cb["data"])
    cb = await env.upload("events.yaml", base + b"\n# 3\n")
    assert "Too many open proposals" in text_of(cb["data"])
    assert len(await env.proposals()) == 2
    (listed, _) = await env.updates.open_proposals(env.fake.guild_id)
    assert listed.files == {} and (await env.updates.proposal(listed.id, env.fake.guild_id)).files
