"""`alliance-bot ask …`: every bot command answered in the terminal, as text or JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from alliance_bot.answers.errors import InvalidInput
from alliance_bot.termio import user_text, write_json

if TYPE_CHECKING:
    from alliance_bot.answers.model import Answer
    from alliance_bot.answers.service import Answers
    from alliance_bot.present.pictures import Picture

DEFAULT_TIMEZONE = "Asia/Seoul"


def add_ask_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # every argument but --content is user text: made plain text on the way in (termio.user_text)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print the stable machine-readable form")
    common.add_argument(
        "--content", metavar="DIR", help="content folder (default: ./content or ALLIANCE_BOT_CONTENT_DIR)"
    )
    common.add_argument(
        "--timezone",
        metavar="TZ",
        help=f"IANA time zone for 'today' (default: ALLIANCE_BOT_TIMEZONE or {DEFAULT_TIMEZONE})",
        type=user_text,
    )

    ask = sub.add_parser("ask", help="ask any bot command in the terminal")
    ask_sub = ask.add_subparsers(dest="ask_command", metavar="QUESTION")
    ask_sub.required = True

    p = ask_sub.add_parser("today", parents=[common], help="today in history, or any date")
    p.add_argument("--date", type=user_text, help="07-27, July 27, 27 July or 2026-07-27 (default: today)")
    p.set_defaults(func=run_ask, question="today")

    p = ask_sub.add_parser("event", parents=[common], help="one event's card: date, summary, every source")
    p.add_argument("id", type=user_text, help="the event's id, as today and timeline show it (e.g. armistice-signed)")
    p.set_defaults(func=run_ask, question="event")

    p = ask_sub.add_parser("treaty", parents=[common], help="a treaty or agreement by name, alias, year")
    p.add_argument("name", type=user_text, nargs="*", help="e.g. MDT, 'armistice', '1953 treaty' (none: list them)")
    p.set_defaults(func=run_ask, question="treaty")

    p = ask_sub.add_parser("fact", parents=[common], help="look up facts and figures")
    p.add_argument("query", type=user_text, nargs="+", help="e.g. how many us troops are in korea")
    p.set_defaults(func=run_ask, question="fact")

    p = ask_sub.add_parser("viewpoints", parents=[common], help="positions on a debated topic, side by side")
    p.add_argument("topic", type=user_text, nargs="*", help="e.g. cost sharing (none: list the topics)")
    p.set_defaults(func=run_ask, question="viewpoints")

    p = ask_sub.add_parser("timeline", parents=[common], help="events between two years or dates")
    p.add_argument("start", type=user_text, nargs="?", metavar="FROM", help="1950, 1950-06 or 1950-06-25")
    p.add_argument("end", type=user_text, nargs="?", metavar="TO", help="1953, 1953-07 or 1953-07-27")
    p.add_argument("--tag", type=user_text, help="only events with this tag (e.g. provocation)")
    p.add_argument("--image", metavar="PNG", help="also draw the timeline as a picture into this file")
    p.set_defaults(func=run_ask, question="timeline")

    p = ask_sub.add_parser("source", parents=[common], help="a source document and what the digest cites from it")
    p.add_argument("id", type=user_text, nargs="*", help="source id or part of its title/author (none: list them)")
    p.set_defaults(func=run_ask, question="source")


def load_answers(content: str | None, timezone: str | None) -> Answers | None:
    import os

    from alliance_bot.answers.service import Answers
    from alliance_bot.answers.zones import ZoneError, load_zone
    from alliance_bot.digest.files import shown
    from alliance_bot.digest.loader import load_digest
    from alliance_bot.settings import configured_cache, default_content_dir

    env_tz = os.environ.get("ALLIANCE_BOT_TIMEZONE")
    tz = timezone or env_tz or DEFAULT_TIMEZONE
    try:
        tz = load_zone(tz).key
    except ZoneError as exc:
        where = "--timezone" if timezone else "ALLIANCE_BOT_TIMEZONE"
        raise InvalidInput(f"{where}: {exc.message}") from None
    root = Path(content) if content else default_content_dir()
    result = load_digest(root, configured_cache())
    if not result.ok or result.digest is None:
        for problem in result.problems:
            print(problem.opened_from(root.parent), file=sys.stderr)
        check = "alliance-bot content check" + (f" {shown(root)}" if content else "")
        print(f"{shown(root)}: the content has problems; run `{check}`", file=sys.stderr)
        return None
    return Answers(result.digest, timezone=tz)


def answer(answers: Answers, question: str, args: argparse.Namespace) -> Answer:
    if question == "today":
        return answers.today(args.date)
    if question == "event":
        return answers.event(args.id)
    if question == "treaty":
        return answers.treaty(" ".join(args.name))
    if question == "fact":
        return answers.fact(" ".join(args.query))
    if question == "viewpoints":
        return answers.viewpoints(" ".join(args.topic))
    if question == "timeline":
        return answers.timeline(args.start, args.end, args.tag)
    if question == "source":
        return answers.source(" ".join(args.id))
    raise ValueError(question)


def run_ask(args: argparse.Namespace) -> int:
    from alliance_bot.present.jsonout import to_json
    from alliance_bot.present.text import to_text

    try:
        answers = load_answers(args.content, args.timezone)
        if answers is None:
            return 1
        result = answer(answers, args.question, args)
    except InvalidInput as exc:
        print(f"alliance-bot: {exc.message}", file=sys.stderr)
        return 2
    if args.json:
        write_json(to_json(result))
    else:
        sys.stdout.write(to_text(result))
    if getattr(args, "image", None):
        return write_timeline_image(answers, result, Path(args.image))
    return 0


def write_timeline_image(answers: Answers, result: Answer, path: Path) -> int:
    """`ask timeline … --image out.png`: the picture the bot attaches, for today in the bot's time zone."""
    import datetime as dt

    from alliance_bot.answers.model import TimelineAnswer
    from alliance_bot.present.pictures.timeline_image import render_timeline_png

    assert isinstance(result, TimelineAnswer)
    if not result.events:
        print(f"alliance-bot: no events in this range, so no picture: {path} not written", file=sys.stderr)
        return 0
    return write_picture(render_timeline_png(result, today=dt.datetime.now(answers.tz).date()), path)


def write_picture(picture: Picture, path: Path) -> int:
    try:
        path.write_bytes(picture.png)
    except OSError as exc:
        print(f"alliance-bot: could not write {path}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"{path}: {picture.width}×{picture.height} PNG, {len(picture.png) // 1024} KB", file=sys.stderr)
    return 0
