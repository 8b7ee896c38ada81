"""The README's examples are what the CLI prints: each example block under a `/command options` line (and the
`alliance-bot ask …` example) is checked line by line against the terminal form of that command. A line cut
with "…" (abridged) is checked up to the cut; a block whose day changes (the order of positions, an empty day
seen from another date) is checked line by line wherever the line is, not in order."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from alliance_bot.cli import main
from conftest import CONTENT

README = Path(__file__).resolve().parents[1] / "README.md"

# a README example's header -> the CLI arguments that print it
COMMANDS = {
    "/today date:07-27": ["today", "--date", "07-27"],
    "/treaty name:mdt": ["treaty", "mdt"],
    "/viewpoints topic:cost sharing": ["viewpoints", "cost", "sharing"],
    "/timeline from:1950 to:1954": ["timeline", "1950", "1954"],
    "alliance-bot ask fact korean war american deaths": ["fact", "korean", "war", "american", "deaths"],
}


def _examples() -> list[tuple[str, list[str]]]:
    """(header, block lines) for every example block that follows a header line naming a command."""
    text = README.read_text(encoding="utf-8")
    found = []
    for header in COMMANDS:
        start = text.index(f"`{header}`")
        block = re.search(r"^```\n(.*?)^```$", text[start:], re.S | re.M)
        assert block, header
        found.append((header, block.group(1).splitlines()))
    return found


def _squash(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(("header", "lines"), _examples(), ids=[h for h, _ in _examples()])
def test_every_line_of_an_example_is_what_the_cli_prints(
    capsys: pytest.CaptureFixture[str], header: str, lines: list[str]
) -> None:
    assert main(["ask", *COMMANDS[header], "--content", str(CONTENT)]) == 0
    out = _squash(capsys.readouterr().out)
    # the README wraps long lines where the terminal form does: compare runs of words, one README line at a time
    checked = 0
    for line in lines:
        shown = _squash(line.split("…")[0])
        if not shown or set(shown) <= set("=-"):
            continue
        assert shown in out, f"README example {header!r}: {line!r} is not in the output"
        checked += 1
    assert checked >= 3, header
