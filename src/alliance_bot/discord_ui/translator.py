"""The commands' descriptions in Korean (#18), through discord.py's `app_commands.Translator`: Discord shows a
reader the descriptions of their client's language.

Every string is looked up by a message key made from where it is, not from its English wording, so that
rewording the English never silently drops a translation: a command's description is keyed by its qualified
name (`today`, `content reload`), a group's by its name, an option's by the command's qualified name and the
option's name (`timeline tag`), a choice's by `choice` and its value. Command, group and option names stay
English: they are what people type, the same in both languages, and the guides stay true; a localised name
would also have to pass Discord's name rules, where one bad name makes Discord refuse the whole sync.
`tests/test_translator.py` checks that every string of the tree has a Korean text and that the translated
payload keeps Discord's rules and limits (`sync.validate_payload`).
"""

from __future__ import annotations

import discord
from discord import app_commands

KO: dict[str, str] = {
    "today": "한미동맹의 역사에서 이날 있었던 일",
    "today date": "다른 날짜: 07-27, July 27, 27 July, 2026-07-27 (기본값: 오늘)",
    "treaty": "조약·협정·법안: 요약, 주요 조항, 출처",
    "treaty name": "이름, 약칭(MDT, KORUS, SMA…) 또는 연도. 비워 두면 목록을 보여 줍니다",
    "fact": "사실과 수치를 출처와 함께 찾아봅니다",
    "fact query": "알고 싶은 내용 (예: 주한미군 몇 명, how many US troops are in Korea)",
    "viewpoints": "논쟁 중인 주제에 대한 여러 입장",
    "viewpoints topic": "주제 (예: cost sharing, wartime OPCON). 비워 두면 목록을 보여 줍니다",
    "timeline": "두 연도 또는 날짜 사이의 사건을 순서대로",
    "timeline start": "처음 연도 또는 날짜 (예: 1950, 1950-06)",
    "timeline end": "마지막 연도 또는 날짜 (예: 1953)",
    "timeline tag": "이 태그가 붙은 사건만 (예: provocation)",
    "source": "출처 문서: 누가 썼는지, 관점, 다이제스트가 인용한 내용",
    "source source": "출처 id, 저자 또는 제목. 비워 두면 목록을 보여 줍니다",
    "help": "이 봇으로 할 수 있는 일과 묻는 방법",
    "about": "이 봇과 콘텐츠에 대하여",
    "content": "운영진: 봇의 콘텐츠",
    "content reload": "콘텐츠 파일을 다시 읽고 검사해, 문제가 없을 때만 바꿉니다",
    "content status": "지금 제공 중인 콘텐츠와 마지막으로 실패한 다시 읽기",
    "content moderator-role": "운영진 명령을 쓸 수 있는 역할 (비우면 없음)",
    "content moderator-role role": "역할. 비워 두면 지정을 해제합니다",
    "content upload": "새 콘텐츠 제안: YAML 파일 하나 또는 zip, 먼저 검사합니다",
    "content upload file": "콘텐츠 파일(.yaml) 또는 콘텐츠 폴더의 .zip",
    "content upload note": "무엇을 바꾸는지",
    "content proposals": "열려 있는 콘텐츠 제안",
    "content apply": "제안을 적용합니다 (확인 후): 쓰기, 다시 읽기, 알림",
    "content apply id": "제안 번호 (/content proposals 참고)",
    "content cancel": "열린 제안을 적용하지 않고 닫습니다",
    "content cancel id": "제안 번호",
    "content history": "이 서버에서 적용한 콘텐츠 변경",
    "content rollback": "적용한 변경을 되돌립니다 (검사 후 확인)",
    "content rollback id": "변경 번호 (/content history 참고)",
    "content rollback note": "이유",
    "content export": "편집할 현재 콘텐츠 파일 (전부 zip으로, 또는 하나)",
    "content export file": "파일 하나, 예: events.yaml (비우면 모든 파일을 zip으로)",
    "content settings": "변경 알림을 올릴 채널과, 다른 운영진이 적용해야 하는지",
    "content settings channel": "한 줄 변경 알림을 올릴 채널",
    "content settings second_moderator": "올린 사람이 아닌 다른 운영진만 제안을 적용할 수 있음",
    "content settings no_channel": "변경 알림을 올리지 않음",
    "stats": "운영진: 사용량, 오류, 응답 시간, 다이제스트에 없던 질문",
    "stats days": "며칠 전까지 볼지 (기본값 7)",
    "anniversaries": "운영진: 기념일 예약 게시",
    "anniversaries set": "정해진 현지 시각에 채널로 기념일을 게시합니다",
    "anniversaries set channel": "게시할 채널",
    "anniversaries set time": "현지 시각, HH:MM (24시간제), 예: 09:00",
    "anniversaries set timezone": "IANA 시간대, 예: Asia/Seoul, America/New_York",
    "anniversaries set role": "게시할 때 멘션할 역할 (선택)",
    "anniversaries set webhook": "봇 대신 이 Discord 웹후크 URL로 게시 (선택)",
    "anniversaries show": "설정, 다음 게시, 마지막 게시 또는 실패",
    "anniversaries preview": "어느 날의 기념일 게시물을 미리 봅니다 (나에게만)",
    "anniversaries preview date": "07-27, July 27… (기본값: 기념일이 있는 다음 날)",
    "anniversaries off": "이 서버의 기념일 게시를 멈춥니다",
}

CATALOGUES: dict[discord.Locale, dict[str, str]] = {discord.Locale.korean: KO}

_NAMES = {
    app_commands.TranslationContextLocation.command_name,
    app_commands.TranslationContextLocation.group_name,
    app_commands.TranslationContextLocation.parameter_name,
}


def message_key(context: app_commands.TranslationContextTypes) -> str | None:
    """Where a string is, as its key in the catalogues; None for names, which stay English."""
    location, data = context.location, context.data
    if location in _NAMES:
        return None
    if location in (
        app_commands.TranslationContextLocation.command_description,
        app_commands.TranslationContextLocation.group_description,
    ):
        return str(getattr(data, "qualified_name", ""))
    if location is app_commands.TranslationContextLocation.parameter_description and isinstance(
        data, app_commands.Parameter
    ):
        return f"{data.command.qualified_name} {data.name}"
    if location is app_commands.TranslationContextLocation.choice_name:
        return f"choice {getattr(data, 'value', '')}"
    return None


class CommandTranslator(app_commands.Translator):
    """The catalogues above, for the locales they cover; anything else is left to Discord's default (English)."""

    async def translate(
        self, string: app_commands.locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        catalogue = CATALOGUES.get(locale)
        key = message_key(context) if catalogue else None
        return catalogue.get(key) if catalogue is not None and key is not None else None
