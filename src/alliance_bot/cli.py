"""The `alliance-bot` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Sequence

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2


def default_content_dir() -> Path:
    env = os.environ.get("ALLIANCE_BOT_CONTENT_DIR")
    if env:
        return Path(env)
    here = Path.cwd() / "content"
    if here.is_dir():
        return here
    # a source checkout: <repo>/src/alliance_bot/cli.py -> <repo>/content
    return Path(__file__).resolve().parents[2] / "content"


def _cmd_content_check(args: argparse.Namespace) -> int:
    from alliance_bot.digest.loader import load_digest

    root = Path(args.dir) if args.dir else default_content_dir()
    result = load_digest(root)
    if result.ok:
        assert result.digest is not None
        print(f"{root}: ok: {result.digest.summary_line()}")
        return EXIT_OK
    for problem in result.problems:
        print(problem)
    n = len(result.problems)
    print(f"{root}: {n} problem{'s' if n != 1 else ''}; nothing was changed", file=sys.stderr)
    return EXIT_PROBLEMS


def _cmd_content_schema(args: argparse.Namespace) -> int:
    from alliance_bot.digest.model import ContentFile

    schema = ContentFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    text = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    if args.output and args.output != "-":
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alliance-bot",
        description="A Discord bot on the history and debates of the US–ROK alliance, and its offline tools.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    content = sub.add_parser("content", help="check the content files or write their JSON Schema")
    content_sub = content.add_subparsers(dest="content_command", metavar="ACTION")
    content_sub.required = True
    check = content_sub.add_parser("check", help="validate every content file and report all problems")
    check.add_argument("dir", nargs="?", help="content folder (default: ./content or ALLIANCE_BOT_CONTENT_DIR)")
    check.set_defaults(func=_cmd_content_check)
    schema = content_sub.add_parser("schema", help="write a JSON Schema of the content files for YAML editors")
    schema.add_argument("-o", "--output", help="file to write (default: standard output)")
    schema.set_defaults(func=_cmd_content_schema)

    from alliance_bot.ask import add_ask_parser

    add_ask_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # `alliance-bot ... | head`
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
