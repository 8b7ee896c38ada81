"""The commands in Korean (#18): every description of the tree has its Korean text, keyed by where it is; the
translated payload keeps Discord's rules and limits; and `alliance-bot sync` sends it, as Discord receives it."""

from __future__ import annotations

import discord
from discord import app_commands

from alliance_bot.discord_ui.sync import command_payload, validate_payload
from alliance_bot.discord_ui.translator import KO, CommandTranslator, message_key
from conftest import BotEnv


class _Keys(app_commands.Translator):
    """Records the key of every string the tree asks to translate."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    async def translate(
        self, string: app_commands.locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        key = message_key(context)
        if locale is discord.Locale.korean and key is not None:
            self.keys.append(key)
        return None


async def _keys_of(tree: app_commands.CommandTree) -> list[str]:
    recorder = _Keys()
    for command in tree.get_commands():
        await command.get_translated_payload(tree, recorder)
    return recorder.keys


async def test_every_description_has_a_korean_text_and_none_is_stale(bot_env: BotEnv) -> None:
    keys = await _keys_of(bot_env.bot.tree)
    assert len(keys) >= 30, "the tree's descriptions, options and groups"
    assert sorted(set(keys) - set(KO)) == [], "strings with no Korean text"
    assert sorted(set(KO) - set(keys)) == [], "Korean texts for strings the tree no longer has"


async def test_the_translated_payload_keeps_discords_rules(bot_env: BotEnv) -> None:
    tree = bot_env.bot.tree
    assert isinstance(tree.translator, CommandTranslator)
    payload = await command_payload(tree)
    assert validate_payload(payload) == []

    def walk(items: list[dict]) -> list[dict]:
        return [x for item in items for x in (item, *walk(item.get("options") or []))]

    every = walk(payload)
    assert every and all(item["description_localizations"].get("ko") for item in every)
    assert all(not item.get("name_localizations") for item in every), "names stay English"
    assert any("기념일" in item["description_localizations"]["ko"] for item in every)


def test_a_bad_localisation_is_refused_before_discord_refuses_the_whole_sync() -> None:
    bad = [
        {
            "name": "fact",
            "description": "Look up facts",
            "description_localizations": {"ko": "가" * 101},
            "name_localizations": {"ko": "사실 찾기"},
            "type": 1,
            "options": [
                {"name": "query", "description": "What", "name_localizations": {"ko": "Query"}, "type": 3},
            ],
        }
    ]
    problems = validate_payload(bad)
    assert any("/fact: ko name" in p for p in problems)  # a space
    assert any("/fact/query: ko name" in p for p in problems)  # upper case
    assert any("/fact: ko description must be 1-100 characters (has 101)" in p for p in problems)


async def test_sync_sends_the_korean_descriptions(bot_env: BotEnv, tmp_path) -> None:
    from alliance_bot.discord_ui.sync import sync_commands
    from alliance_bot.settings import Settings

    settings = Settings(db=tmp_path / "sync.db", content_dir=bot_env.content)
    assert await sync_commands(settings, "MTA.fake.token", bot_env.store, None) == 0
    registered = {c["name"]: c for c in bot_env.fake.commands()}
    assert registered["today"]["description_localizations"] == {"ko": KO["today"]}
    timeline = {o["name"]: o for o in registered["timeline"]["options"]}
    assert timeline["tag"]["description_localizations"] == {"ko": KO["timeline tag"]}
