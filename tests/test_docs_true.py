"""docs/RELIABILITY.md stays true: every test a row names exists (a renamed or deleted test fails here)."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tests_in(path: Path) -> set[str]:
    return set(re.findall(r"^(?:async )?def (test_\w+)", path.read_text(encoding="utf-8"), re.MULTILINE))


def test_every_test_named_in_reliability_md_exists() -> None:
    missing = []
    for lineno, line in enumerate((ROOT / "docs" / "RELIABILITY.md").read_text(encoding="utf-8").splitlines(), 1):
        if not line.startswith("|"):
            continue
        current: Path | None = None
        for ref in re.findall(r"`([^`]+)`", line.rsplit("|", 2)[-2]):
            name = ref
            if ".py" in ref:
                file, _, name = ref.partition("::")
                current = ROOT / (file if file.startswith(("tests/", "bench/")) else f"tests/{file}")
                if not current.is_file():
                    missing.append(f"RELIABILITY.md:{lineno}: no file {file}")
                    continue
            if not name or not name.startswith("test_"):
                continue
            if current is None:
                missing.append(f"RELIABILITY.md:{lineno}: {name} without a file")
                continue
            if not fnmatch.filter(_tests_in(current), name.split("[")[0]):
                missing.append(f"RELIABILITY.md:{lineno}: {current.name} has no {name}")
    assert not missing, "\n".join(missing)
