"""The suite leaves the user's home alone: a CLI run without any ALLIANCE_BOT_ setting caches into the
sandbox home that conftest.py set up, never into the real one (pytest_sessionfinish checks the real one too)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import CONTENT, REAL_HOME


def test_a_cli_run_with_no_settings_caches_into_the_sandbox_home(tmp_path: Path) -> None:
    home = Path(os.environ["HOME"])
    assert home != REAL_HOME
    assert not str(home).startswith(str(REAL_HOME) + os.sep)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCE_BOT_")}
    env.pop("XDG_CACHE_HOME")  # the plainest case: only HOME says where the cache goes
    done = subprocess.run(
        [sys.executable, "-m", "alliance_bot", "content", "check", str(CONTENT)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    cached = list((home / ".cache" / "alliance-bot").glob("*.json"))
    assert len(cached) == len(list(CONTENT.glob("*.yaml")))
