"""Was it useful? One 👍 or 👎 per person per answer, kept in the `votes` table (migration 6).

"An answer" is what the reader was shown, named so that it fits in a button's custom id (100 characters)
and survives a restart: the command (`f`act, `t`reaty, `v`iewpoints), the kind of the entry that answered
(`f`act, `e`vent, `t`reaty, `s`ource, `v`iewpoint topic), its id, and a short hash of the normalised
question, so that the same entry given for two different questions counts apart. The voter is stored only as
the usage log's keyed hash (`usage.hash_user`), never as an id. Votes are pruned with the usage log's
retention (`UsageLog.prune`).
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alliance_bot.storage.db import Database

COMMANDS = {"f": "fact", "t": "treaty", "v": "viewpoints"}
ENTRY_KINDS = {"f": "fact", "e": "event", "t": "treaty", "s": "source", "v": "viewpoint"}
UP, DOWN = 1, -1

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")  # the digest's ids (digest.model.SLUG_PATTERN)
_HASH = re.compile(r"^[0-9a-f]{8}$")
_WORD = re.compile(r"\w+")


def normalise_question(text: str) -> str:
    """What counts as the same question: case, spacing and punctuation aside."""
    return " ".join(_WORD.findall(text.casefold()))


def question_hash(text: str) -> str:
    return hashlib.sha256(normalise_question(text).encode()).hexdigest()[:8]


@dataclass(frozen=True)
class AnswerKey:
    """One answer as the votes name it; `str(key)` is its compact form (at most 78 characters)."""

    command: str  # a key of COMMANDS
    entry_kind: str  # a key of ENTRY_KINDS
    entry_id: str
    question: str  # question_hash() of what was asked

    def __str__(self) -> str:
        return f"{self.command}:{self.entry_kind}:{self.entry_id}:{self.question}"

    @classmethod
    def make(cls, command: str, entry_kind: str, entry_id: str, question: str) -> AnswerKey | None:
        """The key of an answer by names (`fact`, `event`, …), or None when it cannot be one."""
        c = next((k for k, v in COMMANDS.items() if v == command), None)
        k = next((k for k, v in ENTRY_KINDS.items() if v == entry_kind), None)
        if c is None or k is None or not _ID.match(entry_id):
            return None
        return cls(c, k, entry_id, question_hash(question))

    @classmethod
    def parse(cls, text: str) -> AnswerKey | None:
        """`f:e:armistice-signed:1a2b3c4d` -> the key; anything garbled or forged that does not fit -> None."""
        parts = text.split(":")
        if len(parts) != 4:
            return None
        c, k, entry_id, question = parts
        if c not in COMMANDS or k not in ENTRY_KINDS or not _ID.match(entry_id) or not _HASH.match(question):
            return None
        return cls(c, k, entry_id, question)

    @property
    def command_name(self) -> str:
        return COMMANDS[self.command]

    @property
    def entry_kind_name(self) -> str:
        return ENTRY_KINDS[self.entry_kind]


@dataclass(frozen=True)
class VoteResult:
    vote: int
    previous: int | None  # None: a first vote

    @property
    def changed(self) -> bool:
        return self.previous is not None and self.previous != self.vote


async def cast(
    db: Database, key: AnswerKey, user_hash: str, vote: int, *, guild_id: int | None, now: float | None = None
) -> VoteResult:
    """Record `user_hash`'s vote on `key` (replacing an earlier one of theirs in the same server) in one
    transaction; says what it was before. Raises sqlite3.Error/OSError when the database cannot be written."""
    if vote not in (UP, DOWN):
        raise ValueError(f"a vote is {UP} or {DOWN}, not {vote!r}")
    now = time.time() if now is None else now
    guild = guild_id or 0  # 0: a direct message (keys stay NOT NULL, as PostgreSQL needs for a primary key)
    async with db.transaction() as conn:
        async with conn.execute(
            "SELECT vote FROM votes WHERE guild_id = ? AND answer_key = ? AND user_hash = ?",
            (guild, str(key), user_hash),
        ) as cur:
            row = await cur.fetchone()
        previous = None if row is None else int(row[0])
        await conn.execute(
            "INSERT INTO votes (guild_id, answer_key, user_hash, command, entry_kind, entry_id, question_hash, "
            "vote, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (guild_id, answer_key, user_hash) DO UPDATE SET vote = excluded.vote, "
            "updated_at = excluded.updated_at",
            (
                guild,
                str(key),
                user_hash,
                key.command_name,
                key.entry_kind_name,
                key.entry_id,
                key.question,
                vote,
                now,
                now,
            ),
        )
    return VoteResult(vote, previous)


async def prune(conn: Any, cutoff: float) -> int:
    """Votes last changed before `cutoff` (unix time): removed, as the usage rows of that time are."""
    cur = await conn.execute("DELETE FROM votes WHERE updated_at < ?", (cutoff,))
    return int(cur.rowcount)


@dataclass(frozen=True)
class Unhelpful:
    """An answer on the moderators' to-do list: marked unhelpful more often than helpful."""

    command: str
    entry_kind: str
    entry_id: str
    question_hash: str
    down: int
    up: int
    question: str | None = None  # as asked, found in the usage log; None when no longer there


UNHELPFUL_LIMIT = 10

# The answers marked unhelpful, most often first; an answer counts when more people pressed 👎 than 👍.
UNHELPFUL_SQL = (
    "SELECT command, entry_kind, entry_id, question_hash, sum(CASE WHEN vote < 0 THEN 1 ELSE 0 END) AS down, "
    "sum(CASE WHEN vote > 0 THEN 1 ELSE 0 END) AS up "
    "FROM votes WHERE {where} GROUP BY command, entry_kind, entry_id, question_hash "
    "HAVING sum(CASE WHEN vote < 0 THEN 1 ELSE 0 END) > sum(CASE WHEN vote > 0 THEN 1 ELSE 0 END) "
    "ORDER BY down DESC, up, command, entry_id LIMIT {limit}"
)
