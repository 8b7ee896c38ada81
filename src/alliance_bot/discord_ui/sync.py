"""`alliance-bot sync`: register the slash commands, only when they changed.

Syncing on every start burns Discord's daily command-write quota; one invalid
name rejects the whole payload. So: validate first, hash the payload, and skip
the call when the hash matches the last successful sync (kept in the database).
"""

from __future__ import annotations

import re
from typing import Any

_NAME = re.compile(r"^[-_\w]{1,32}$")


def validate_payload(payload: list[dict[str, Any]], path: str = "") -> list[str]:
    problems: list[str] = []
    for cmd in payload:
        name = str(cmd.get("name", ""))
        where = f"{path}/{name}" if path else f"/{name}"
        if not _NAME.match(name) or name != name.lower():
            problems.append(f"{where}: name must be 1-32 lowercase letters, digits, - or _")
        description = cmd.get("description", "")
        if cmd.get("type", 1) in (1, None) or "options" in cmd or path:
            if not 1 <= len(description) <= 100:
                problems.append(f"{where}: description must be 1-100 characters (has {len(description)})")
        for choice in cmd.get("choices", []) or []:
            if not 1 <= len(str(choice.get("name", ""))) <= 100:
                problems.append(f"{where}: choice name must be 1-100 characters")
        options = cmd.get("options", []) or []
        if len(options) > 25:
            problems.append(f"{where}: at most 25 options")
        problems += validate_payload(options, where)
    if not path and len(payload) > 100:
        problems.append(f"at most 100 commands (has {len(payload)})")
    return problems
