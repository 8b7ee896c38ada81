"""The checks of issue #17: nothing shown that the cited documents do not say, positions held by their sources,
and a checker that points at the real mistake (no cascade, every problem of a file at once, the nearest passage)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.test_content_check import EVENTS, REPO_CONTENT, make_content, problems

from alliance_bot.cli import main
from alliance_bot.digest.crosscheck import nearest_passage, normalise_for_quote
from alliance_bot.digest.loader import load_digest


def valid(root: Path) -> bool:
    result = load_digest(root)
    assert result.problems == []
    return result.ok


TREATY = """\
treaties:
  - id: armistice-1953
    name: Korean Armistice
    aliases: [{aliases}]
    search_terms: [ceasefire of 1953]
    kind: armistice
    date: "1953-07-27"
    parties: [United States]
    status: Signed
    summary: The armistice halted the fighting.
    citations:
      - source: doc-one
        quote: "The armistice was signed on July 27, 1953."
"""

VIEWPOINT = """\
viewpoints:
  - id: armistice-debate
    topic: The armistice
    question: Should the armistice stay?
    positions:
      - label: Keep it
        summary: The document says it halted the fighting.
        citations:
          - source: doc-one
            quote: "It halted the fighting."
            {holds}
      - label: Replace it
        summary: Something else.
        citations:
          - source: doc-one
            quote: "The armistice was signed on July 27, 1953."
            holds: true
"""


def test_a_shown_alias_must_be_in_a_cited_source(tmp_path: Path) -> None:
    ok = make_content(tmp_path / "ok", treaties_yaml=TREATY.format(aliases="The armistice"))
    assert valid(ok)
    bad = make_content(tmp_path / "bad", treaties_yaml=TREATY.format(aliases="The armistice, Panmunjom Agreement"))
    found = problems(bad)
    assert len(found) == 1
    assert found[0].startswith("content/treaties.yaml:4: treaties.armistice-1953.aliases[1]: alias 'Panmunjom")
    assert "search_terms" in found[0]


def test_search_terms_are_searched_but_never_shown(tmp_path: Path) -> None:
    from alliance_bot.answers.service import Answers

    root = make_content(tmp_path, treaties_yaml=TREATY.format(aliases="The armistice"))
    digest = load_digest(root).digest
    assert digest is not None
    answers = Answers(digest)
    found = answers.treaty("ceasefire of 1953")
    assert found.results and found.results[0].id == "armistice-1953"
    assert found.results[0].aliases == ("The armistice",)


def test_a_position_needs_a_citation_that_holds_it(tmp_path: Path) -> None:
    ok = make_content(tmp_path / "ok", viewpoints_yaml=VIEWPOINT.format(holds="holds: true"))
    assert valid(ok)
    bad = make_content(tmp_path / "bad", viewpoints_yaml=VIEWPOINT.format(holds=""))
    found = problems(bad)
    assert len(found) == 1
    assert "viewpoints.armistice-debate.positions[0].citations" in found[0]
    assert "holds: true" in found[0]


def test_a_position_cites_only_sources_that_hold_it(tmp_path: Path) -> None:
    second_source = (
        "  - id: doc-two\n    title: Another document\n    author: Someone Else\n    published: '2024'\n"
        "    kind: op-ed\n    perspective: Neutral.\n    text: sources/doc.txt\n"
    )
    root = make_content(tmp_path, viewpoints_yaml=VIEWPOINT.format(holds="holds: true"))
    (root / "sources.yaml").write_text((root / "sources.yaml").read_text() + second_source)
    vp = (root / "viewpoints.yaml").read_text()
    vp = vp.replace(
        "            holds: true\n      - label: Replace it",
        '            holds: true\n          - source: doc-two\n            quote: "It halted the fighting."\n'
        "      - label: Replace it",
    )
    (root / "viewpoints.yaml").write_text(vp)
    found = problems(root)
    assert len(found) == 1
    assert "positions[0].citations[1].source: 'doc-two' is cited for position 'Keep it'" in found[0]


def test_a_file_that_cannot_be_read_does_not_cascade(tmp_path: Path) -> None:
    """One over-indented line in events.yaml: its syntax error first, with line, column and a hint, then one line
    saying the references were not checked; no 'unknown event id' in the other files."""
    root = tmp_path / "content"
    shutil.copytree(REPO_CONTENT, root)
    lines = (root / "events.yaml").read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("    date:"))
    lines[at] = "  " + lines[at]
    (root / "events.yaml").write_text("\n".join(lines), encoding="utf-8")
    result = load_digest(root)
    assert not result.ok
    shown = [str(p) for p in result.problems]
    assert len(shown) == 2, shown
    assert shown[0].startswith(f"content/events.yaml:{at + 1}:")
    assert result.problems[0].column is not None
    assert "mapping values are not allowed" in shown[0]
    assert "check the indentation of this line against the one above" in shown[0]
    assert "were not checked" in shown[1]
    assert not any("unknown" in s for s in shown)


def test_a_tab_gets_its_own_hint(tmp_path: Path) -> None:
    root = make_content(tmp_path, events_yaml="events:\n  - id: x-event\n\tdate: '1953'\n")
    found = problems(root)
    assert "YAML does not allow tabs for indentation" in found[0]


def test_every_problem_of_a_file_at_once(tmp_path: Path) -> None:
    """A duplicate key, an alias and a python tag in one file: all three in one run, each at its line."""
    facts = """\
    facts:
      - id: fact-one
        statement: &s "The armistice was signed."
        statement: "Again."
        keywords: [*s]
        tags: !!python/tuple [a, b]
        citations:
          - source: doc-one
            quote: "The armistice was signed on July 27, 1953."
    """
    found = problems(make_content(tmp_path, facts_yaml=facts))
    assert any("facts.yaml:4:" in p and "duplicate key 'statement'" in p for p in found), found
    assert any("facts.yaml:3:" in p and "anchors and aliases" in p for p in found), found
    assert any("facts.yaml:6:" in p and "python/tuple" in p for p in found), found


def _event_quoting(quote: str) -> str:
    return EVENTS.replace('quote: "The armistice was signed on July 27, 1953."', f'quote: "{quote}"')


def test_a_quote_not_found_shows_the_nearest_passage(tmp_path: Path) -> None:
    found = problems(make_content(tmp_path, events_yaml=_event_quoting("The armistice was signed on 27 July 1953.")))
    assert len(found) == 1
    assert "the nearest passage of the source is: 'The armistice was signed on July 27, 1953." in found[0]


def test_nearest_passage_in_a_long_text_and_nothing_close() -> None:
    text = normalise_for_quote((REPO_CONTENT / "sources" / "000_e7b595273e348be6.txt").read_text(encoding="utf-8"))
    retyped = "Since the Free Trade Agreement with Korea was signed in 2012, two way trade increased"
    got = nearest_passage(text, retyped)
    assert got is not None and got.startswith("Since the Free Trade Agreement with South Korea was established")
    assert nearest_passage(text, "Bananas are yellow and grow in bunches on tall plants") is None


def test_a_long_quote_is_marked_as_cut(tmp_path: Path) -> None:
    long_quote = "The armistice was signed on July 27 in the year 1953 " + "and so on " * 20
    found = problems(make_content(tmp_path, events_yaml=_event_quoting(long_quote.strip())))
    assert "…'" in found[0]


def test_a_yaml_file_in_sources_is_not_content(tmp_path: Path) -> None:
    root = make_content(tmp_path)
    (root / "sources" / "notes.yaml").write_text("this: [is not content\n", encoding="utf-8")
    assert valid(root)


def test_check_paths_open_from_where_the_command_ran(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_content(tmp_path / "deep" / "er", events_yaml="events: [\n")
    monkeypatch.chdir(tmp_path)
    assert main(["content", "check", "deep/er/content"]) == 1
    out = capsys.readouterr()
    assert out.out.startswith("deep/er/content/events.yaml:")
    assert "problem found; fix them and check again" in out.err or "problems found" in out.err
    assert "nothing was changed" not in out.err
    assert root.is_dir()


def test_ask_on_broken_content_names_the_folder_to_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_content(tmp_path, events_yaml="events: [\n")
    assert main(["ask", "fact", "armistice", "--content", str(root)]) == 1
    err = capsys.readouterr().err
    assert f"run `alliance-bot content check {root}`" in err
    assert err.startswith(f"{root}/events.yaml:2:")


def test_shipped_positions_cite_only_sources_that_hold_them() -> None:
    digest = load_digest(REPO_CONTENT).digest
    assert digest is not None
    for vp in digest.viewpoints.values():
        for pos in vp.positions:
            held = pos.held_by()
            assert held, (vp.id, pos.label)
            assert {c.source for c in pos.citations} == set(held), (vp.id, pos.label)


def test_shipped_aliases_are_in_their_sources() -> None:
    digest = load_digest(REPO_CONTENT).digest
    assert digest is not None
    for tr in digest.treaties.values():
        texts = [normalise_for_quote(digest.source_texts[c.source]) for c in tr.citations]
        for alias in tr.aliases:
            assert any(normalise_for_quote(alias) in t for t in texts), (tr.id, alias)
    assert "SMA" not in digest.treaties["cost-sharing-2024"].aliases
    assert "SMA" in digest.treaties["cost-sharing-2024"].search_terms


def test_a_positions_lead_quote_is_one_that_holds_it(tmp_path: Path) -> None:
    from alliance_bot.answers.service import Answers

    vp = VIEWPOINT.format(holds="").replace(
        '            quote: "It halted the fighting."\n',
        '            quote: "It halted the fighting."\n          - source: doc-one\n'
        '            quote: "The armistice was signed on July 27, 1953."\n            holds: true\n',
        1,
    )
    digest = load_digest(make_content(tmp_path, viewpoints_yaml=vp)).digest
    assert digest is not None
    keep = next(p for p in Answers(digest).viewpoints("armistice").results[0].positions if p.label == "Keep it")
    assert [(s.quote, s.holds) for s in keep.sources] == [
        ("The armistice was signed on July 27, 1953.", True),
        ("It halted the fighting.", False),
    ]
