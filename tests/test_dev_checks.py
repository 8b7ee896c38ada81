"""The developer checks stay one set: .ci/run runs the README's test command as written, then the same
checks as the pre-commit hooks and the README's "Developing" section."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
CHECKS = ["ruff check", "ruff format --check", "mypy", "alliance-bot content check content"]


def _block_after(heading: str) -> str:
    start = README.index(heading)
    match = re.search(r"```sh\n(.*?)```", README[start:], re.DOTALL)
    assert match, f"no sh block after {heading!r}"
    return match.group(1).strip()


def test_ci_runs_the_readme_test_command_as_written() -> None:
    command = _block_after("Run all the tests")
    assert command.splitlines() == [command]  # one line, as .ci/run has it
    assert command in CI.splitlines()


def test_ci_runs_every_check_and_stops_on_the_first_failure() -> None:
    assert "set -euo pipefail" in CI
    for check in CHECKS:
        assert f".venv/bin/{check}" in CI, check


def test_pre_commit_runs_the_same_checks() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    entries = [hook["entry"] for repo in config["repos"] for hook in repo["hooks"]]
    for check in CHECKS:
        assert any(entry.startswith(f".venv/bin/{check}") for entry in entries), check
    content = next(h for r in config["repos"] for h in r["hooks"] if "content check" in h["entry"])
    assert content["files"] == "^content/" and content["pass_filenames"] is False


def test_the_readme_says_how_to_run_each_check() -> None:
    developing = _block_after("## Developing")
    for check in [
        "python -m pytest",
        "ruff check .",
        "ruff format .",
        "mypy",
        "alliance-bot content check content",
        "pre-commit install",
    ]:
        assert check in developing, check
