"""The content checker: every kind of error names its file, line and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from alliance_bot.cli import main
from alliance_bot.digest.crosscheck import normalise_for_quote
from alliance_bot.digest.loader import load_digest

REPO_CONTENT = Path(__file__).resolve().parents[1] / "content"

SOURCE_TEXT = "The armistice was signed on July 27, 1953. It halted the fighting.\nTroops: 28,500 “in Korea”.\n"

SOURCES = """\
sources:
  - id: doc-one
    title: A document
    author: Someone
    outlet: null
    published: "2023-07"
    kind: essay
    perspective: A neutral description.
    text: sources/doc.txt
"""

EVENTS = """\
events:
  - id: armistice-signed
    date: "1953-07-27"
    title: Armistice signed
    summary: The armistice halted the fighting.
    tags: [korean-war]
    citations:
      - source: doc-one
        quote: "The armistice was signed on July 27, 1953."
"""


def make_content(tmp_path: Path, **files: str) -> Path:
    root = tmp_path / "content"
    (root / "sources").mkdir(parents=True)
    (root / "sources" / "doc.txt").write_text(SOURCE_TEXT, encoding="utf-8")
    defaults = {"sources.yaml": SOURCES, "events.yaml": EVENTS}
    defaults.update({name.replace("__", "/").replace("_yaml", ".yaml"): text for name, text in files.items()})
    for name, text in defaults.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def problems(root: Path) -> list[str]:
    result = load_digest(root)
    assert result.digest is None, "expected the content to be refused"
    return [str(p) for p in result.problems]


def test_shipped_content_is_valid() -> None:
    result = load_digest(REPO_CONTENT)
    assert [str(p) for p in result.problems] == []
    counts = result.digest.counts()
    assert counts["sources"] == 5
    assert counts["events"] >= 30
    assert counts["treaties"] >= 12
    assert counts["facts"] >= 70
    assert counts["viewpoints"] >= 6


def test_minimal_fixture_is_valid(tmp_path: Path) -> None:
    result = load_digest(make_content(tmp_path))
    assert result.ok, result.problems
    event = result.digest.events["armistice-signed"]
    assert event.date.precision.value == "day"


def test_schema_error_names_file_line_and_field(tmp_path: Path) -> None:
    root = make_content(tmp_path, events_yaml=EVENTS.replace("    title: Armistice signed\n", ""))
    assert problems(root) == ["content/events.yaml:2: events.armistice-signed.title: required field is missing"]


def test_unknown_field_and_wrong_type(tmp_path: Path) -> None:
    text = EVENTS.replace("    tags: [korean-war]\n", "    tags: korean-war\n    colour: red\n")
    found = problems(make_content(tmp_path, events_yaml=text))
    assert "content/events.yaml:6: events.armistice-signed.tags: Input should be a valid list" in found
    assert any(p.startswith("content/events.yaml:7: events.armistice-signed.colour: unknown field") for p in found)


def test_duplicate_ids_across_kinds(tmp_path: Path) -> None:
    facts = """\
    facts:
      - id: armistice-signed
        statement: The armistice was signed in 1953.
        citations:
          - {source: doc-one, quote: "It halted the fighting."}
    """
    found = problems(make_content(tmp_path, facts_yaml=facts))
    assert found == [
        "content/facts.yaml:2: facts.armistice-signed.id: duplicate id 'armistice-signed': "
        "already used at content/events.yaml:2"
    ]


def test_unknown_source_and_event_references(tmp_path: Path) -> None:
    treaties = """\
    treaties:
      - id: the-armistice
        name: Korean Armistice Agreement
        kind: armistice
        date: "1953-07-27"
        parties: [UN Command, North Korea, China]
        status: In force
        summary: Halted the fighting.
        related_events: [armistice-signed, no-such-event]
        citations:
          - source: doc-two
            quote: "It halted the fighting."
    """
    found = problems(make_content(tmp_path, treaties_yaml=treaties))
    assert found == [
        "content/treaties.yaml:9: treaties.the-armistice.related_events[1]: unknown event id 'no-such-event'",
        "content/treaties.yaml:11: treaties.the-armistice.citations[0].source: unknown source 'doc-two'",
    ]


def test_impossible_date(tmp_path: Path) -> None:
    found = problems(make_content(tmp_path, events_yaml=EVENTS.replace('"1953-07-27"', '"1953-02-30"')))
    assert found == [
        "content/events.yaml:3: events.armistice-signed.date: "
        "'1953-02-30' is not a real date: February 1953 has no day 30"
    ]


def test_impossible_unquoted_date(tmp_path: Path) -> None:
    found = problems(make_content(tmp_path, events_yaml=EVENTS.replace('"1953-07-27"', "1953-13-01")))
    assert found == ["content/events.yaml:3: events.armistice-signed.date: '1953-13-01': there is no month 13"]


def test_unquoted_date_in_a_date_field_is_accepted(tmp_path: Path) -> None:
    result = load_digest(make_content(tmp_path, events_yaml=EVENTS.replace('"1953-07-27"', "1953-07-27")))
    assert result.ok, result.problems
    assert result.digest.events["armistice-signed"].date.iso() == "1953-07-27"


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        ("no", "YAML reads the unquoted 'no' as False; put it in quotes"),
        ("On", "YAML reads the unquoted 'On' as True; put it in quotes"),
        ("1953-07-27", "YAML reads the unquoted '1953-07-27' as a date; put it in quotes"),
        ("3.10", "YAML reads the unquoted '3.10' as a number; put it in quotes"),
        ("1953", "YAML reads the unquoted '1953' as a number; put it in quotes"),
    ],
)
def test_yaml_silent_coercions_are_refused(tmp_path: Path, raw: str, hint: str) -> None:
    found = problems(make_content(tmp_path, events_yaml=EVENTS.replace("title: Armistice signed", f"title: {raw}")))
    assert found == [f"content/events.yaml:4: events.armistice-signed.title: {hint}"]


def test_coerced_item_in_a_list(tmp_path: Path) -> None:
    found = problems(
        make_content(tmp_path, events_yaml=EVENTS.replace("tags: [korean-war]", "tags: [korean-war, yes]"))
    )
    assert found == [
        "content/events.yaml:6: events.armistice-signed.tags[1]: "
        "YAML reads the unquoted 'yes' as True; put it in quotes"
    ]


def test_quote_not_in_source(tmp_path: Path) -> None:
    text = EVENTS.replace("The armistice was signed on July 27, 1953.", "The armistice was signed on July 28, 1953.")
    found = problems(make_content(tmp_path, events_yaml=text))
    assert len(found) == 1
    assert found[0].startswith(
        "content/events.yaml:9: events.armistice-signed.citations[0].quote: quote not found in the text of 'doc-one'"
    )


def test_quote_matching_ignores_whitespace_and_curly_quotes_only(tmp_path: Path) -> None:
    ok = EVENTS.replace('"The armistice was signed on July 27, 1953."', "'Troops:   28,500 \"in Korea\".'")
    assert load_digest(make_content(tmp_path, events_yaml=ok)).ok
    case = EVENTS.replace("The armistice was signed", "the armistice was signed")
    assert len(problems(make_content(tmp_path / "b", events_yaml=case))) == 1
    assert normalise_for_quote("“a”  ‘b’\n") == "\"a\" 'b'"


def test_text_too_long_for_discord(tmp_path: Path) -> None:
    long_summary = "word " * 300
    found = problems(
        make_content(
            tmp_path,
            events_yaml=EVENTS.replace("summary: The armistice halted the fighting.", f"summary: {long_summary}"),
        )
    )
    assert found == [
        "content/events.yaml:5: events.armistice-signed.summary: text is 1,499 characters; "
        "the limit is 1,000 so that it fits a Discord embed with its citations"
    ]


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    text = (
        EVENTS
        + """\
  - id: Bad_ID
    date: "1999-02-29"
    title: no
    summary: x
    citations: []
"""
    )
    found = problems(make_content(tmp_path, events_yaml=text))
    fields = [p.split(": ")[1] for p in found]
    assert "events[1].id" in fields
    assert "events[1].date" in fields
    assert "events[1].title" in fields
    assert "events[1].citations" in fields
    assert all(p.startswith("content/events.yaml:1") for p in found)


def test_anniversary_rules(tmp_path: Path) -> None:
    events = (
        EVENTS
        + """\
  - id: cheonan
    date: "2010-03"
    title: Cheonan sunk
    summary: A corvette was sunk.
    citations:
      - {source: doc-one, quote: "It halted the fighting."}
"""
    )
    anniversaries = """\
    anniversaries:
      - event: armistice-signed
        message: "The {ordinal} anniversary of {title}, {colour}."
      - event: cheonan
        message: "On this day in {year}."
      - event: nothing-here
        message: "{year"
    """
    found = problems(make_content(tmp_path, events_yaml=events, anniversaries_yaml=anniversaries))
    assert (
        "content/anniversaries.yaml:3: anniversaries.armistice-signed.message: unknown placeholder(s) {colour}; "
        "use {year}, {years}, {ordinal}, {title}" in found
    )
    assert (
        "content/anniversaries.yaml:4: anniversaries.cheonan.event: event 'cheonan' is dated to the month "
        "(2010-03); an anniversary needs a day" in found
    )
    assert "content/anniversaries.yaml:6: anniversaries.nothing-here.event: unknown event id 'nothing-here'" in found
    assert any(p.startswith("content/anniversaries.yaml:7: anniversaries.nothing-here.message: broken") for p in found)


def test_fact_group_needs_two_facts(tmp_path: Path) -> None:
    facts = """\
    facts:
      - id: lonely
        statement: Troops are in Korea.
        group: troop-count
        citations:
          - {source: doc-one, quote: "Troops: 28,500"}
    """
    assert problems(make_content(tmp_path, facts_yaml=facts)) == [
        "content/facts.yaml:4: facts.lonely.group: group 'troop-count' has only this fact; "
        "a group joins facts that answer one question differently"
    ]


def test_viewpoint_needs_two_positions(tmp_path: Path) -> None:
    viewpoints = """\
    viewpoints:
      - id: peace
        topic: Peace
        question: Should the armistice be replaced?
        positions:
          - label: Replace it
            summary: The essay argues so.
            citations:
              - {source: doc-one, quote: "It halted the fighting."}
    """
    assert problems(make_content(tmp_path, viewpoints_yaml=viewpoints)) == [
        "content/viewpoints.yaml:5: viewpoints.peace.positions: List should have at least 2 items after "
        "validation, not 1"
    ]


def test_missing_source_text_file(tmp_path: Path) -> None:
    root = make_content(tmp_path)
    (root / "sources" / "doc.txt").unlink()
    assert problems(root) == [
        "content/sources.yaml:9: sources.doc-one.text: text file 'sources/doc.txt' not found (relative to content/)"
    ]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("", "content/broken.yaml: the file is empty"),
        ("- just\n- a list\n", "content/broken.yaml:1: the file must be a mapping of kinds"),
        ("events: 3\n", "content/broken.yaml:1: events: must be a list of entries"),
        ("stuff: []\n", "content/broken.yaml:1: stuff: unknown kind"),
        ("events:\n  - [1, 2]\n", "content/broken.yaml:2: events[0]: each entry must be a mapping of fields"),
        ("events: [\n", "content/broken.yaml:2:1: YAML syntax error"),
        ("a: &x [1]\nb: *x\n", "content/broken.yaml:1: anchors and aliases (&name / *name) are not allowed"),
        (
            "events: !!python/object:os.system {}\n",
            "content/broken.yaml:1: the tag 'tag:yaml.org,2002:python/object:os.system' is not allowed",
        ),
        ("events: []\nevents: []\n", "content/broken.yaml:2: duplicate key 'events'"),
        ("x: " + "[" * 100 + "]" * 100 + "\n", "content/broken.yaml:1: structure nested too deeply"),
    ],
)
def test_broken_files_never_crash(tmp_path: Path, payload: str, expected: str) -> None:
    found = problems(make_content(tmp_path, broken_yaml=payload))
    assert any(p.startswith(expected) for p in found), found


def test_binary_garbage_and_huge_files(tmp_path: Path) -> None:
    root = make_content(tmp_path, garbage_yaml=b"events:\n  - \xff\xfe\x00\x01")
    found = problems(root)
    assert found == ["content/garbage.yaml:2: not UTF-8 text (byte 0xff); save the file as UTF-8"]
    (root / "garbage.yaml").unlink()
    (root / "huge.yaml").write_bytes(b"# " + b"x" * (3 * 1024 * 1024))
    found = problems(root)
    assert len(found) == 1 and "content files are limited to 2,097,152" in found[0]


def test_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    lol = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lol += f"{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
    found = problems(make_content(tmp_path, lol_yaml=lol))
    # never expanded: each anchor whose alias is used is named once, at its line (all of a file's problems at once)
    assert found == [
        f"content/lol.yaml:{line}: anchors and aliases (&name / *name) are not allowed in content files: "
        "write the value out"
        for line in range(1, 9)
    ]


def test_split_files_are_merged(tmp_path: Path) -> None:
    extra = EVENTS.replace("armistice-signed", "second-event")
    root = make_content(tmp_path, events__later_yaml=extra)
    result = load_digest(root)
    assert result.ok, result.problems
    assert set(result.digest.events) == {"armistice-signed", "second-event"}
    assert result.digest.where["second-event"].file == "content/events/later.yaml"


def test_cli_check_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = make_content(tmp_path / "good")
    assert main(["content", "check", str(good)]) == 0
    out = capsys.readouterr().out
    assert out.strip().endswith("ok: 1 sources, 1 events, 0 treaties, 0 facts, 0 viewpoints, 0 anniversaries")
    bad = make_content(tmp_path / "bad", events_yaml=EVENTS.replace('"1953-07-27"', '"1953-02-30"'))
    assert main(["content", "check", str(bad)]) == 1
    captured = capsys.readouterr()
    assert "content/events.yaml:3: events.armistice-signed.date:" in captured.out
    assert "1 problem found; fix them and check again" in captured.err


def test_cli_schema(tmp_path: Path) -> None:
    import json

    out = tmp_path / "schema.json"
    assert main(["content", "schema", "-o", str(out)]) == 0
    schema = json.loads(out.read_text())
    assert set(schema["properties"]) == {"sources", "events", "treaties", "facts", "viewpoints", "anniversaries"}
    short = schema["$defs"]["Source"]["properties"]["short"]
    assert "short" not in schema["$defs"]["Source"]["required"]  # optional; a label is made without it
    assert {"type": "string", "maxLength": 24, "minLength": 1} in short["anyOf"] and "unique" in short["description"]
    event = schema["$defs"]["Event"]
    assert set(event["required"]) >= {"id", "date", "title", "summary", "citations"}
    assert event["properties"]["date"]["pattern"].startswith("^\\d{4}")


def _two_sources(first_short: str | None, second_short: str | None) -> str:
    out = ["sources:"]
    for sid, short in (("doc-one", first_short), ("doc-two", second_short)):
        out += [f"  - id: {sid}", "    title: A document", "    author: Someone"]
        if short is not None:
            out.append(f"    short: {short}")
        out += [
            '    published: "2023-07"',
            "    kind: essay",
            "    perspective: A neutral description.",
            "    text: sources/doc.txt",
        ]
    return "\n".join(out) + "\n"


def test_short_labels_are_unique_and_short(tmp_path: Path) -> None:
    # two sources that would both read "Someone 2023" beside their quotes: refused, at the second
    found = problems(make_content(tmp_path / "a", sources_yaml=_two_sources(None, None)))
    assert found == [
        "content/sources.yaml:10: sources.doc-two.title: short label 'Someone 2023' is already the label of "
        "source 'doc-one': write a `short` that tells them apart"
    ]
    found = problems(make_content(tmp_path / "b", sources_yaml=_two_sources("Essay one", "essay  ONE")))
    assert len(found) == 1 and "sources.doc-two.short: short label 'essay  ONE'" in found[0]
    found = problems(make_content(tmp_path / "c", sources_yaml=_two_sources("x" * 25, "Two")))
    assert "content/sources.yaml:5: sources.doc-one.short: text is 25 characters; the limit is 24" in found[-1]
    # a short that tells them apart is what every quote is then named by
    result = load_digest(make_content(tmp_path / "d", sources_yaml=_two_sources(None, "Second essay")))
    assert result.digest is not None
    assert [s.label() for s in result.digest.sources.values()] == ["Someone 2023", "Second essay"]


def test_shipped_sources_have_their_short_labels() -> None:
    digest = load_digest(REPO_CONTENT).digest
    assert digest is not None
    assert {s.id: s.label() for s in digest.sources.values()} == {
        "detrani-2025": "DeTrani 2025",
        "recalibrate-2023": "2023 essay",
        "oh-alliance-history": "Oh",
        "moon-end-of-war-2020": "Moon report 2020",
        "yoon-partnership-2024": "Yoon report 2024",
    }
