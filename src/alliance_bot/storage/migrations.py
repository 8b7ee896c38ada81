"""The schema, as the steps that build it: migration N brings a database from version N-1 to N.

A step is a list of SQL statements, or of async functions of the connection for what SQL alone cannot do
(re-keying ledger rows, scrubbing stored options); `Database.migrate` applies each step in one transaction
and then sets `PRAGMA user_version`. Steps are only ever appended: a released step never changes.
"""

from __future__ import annotations

from typing import Any

import aiosqlite


async def _rekey_webhook_posts(conn: aiosqlite.Connection) -> None:
    from alliance_bot.anniversaries.ledger import rekey_webhook_posts

    await rekey_webhook_posts(conn)


async def _scrub_stored_options(conn: aiosqlite.Connection) -> None:
    from alliance_bot.storage.usage import scrub_stored_options

    await scrub_stored_options(conn)


# Each step: a list of statements (SQL, or an async function of the connection for what SQL cannot do), applied in
# one transaction, then user_version = its number.
MIGRATIONS: list[list[Any]] = [
    [  # 1: usage logs, key-value metadata, per-server settings
        """CREATE TABLE meta (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )""",
        """CREATE TABLE usage (
            id          INTEGER PRIMARY KEY,
            ts          REAL    NOT NULL,           -- unix time, seconds
            kind        TEXT    NOT NULL,           -- command | autocomplete | component
            command     TEXT    NOT NULL,
            options     TEXT,                       -- JSON of the options as typed
            outcome     TEXT    NOT NULL,           -- answered | nothing_found | invalid_input | refused | error
            latency_ms  REAL,
            guild_id    INTEGER,
            channel_id  INTEGER,
            user_hash   TEXT,                       -- keyed hash, never the raw id
            locale      TEXT,
            error_id    TEXT
        )""",
        "CREATE INDEX usage_ts ON usage (ts)",
        "CREATE INDEX usage_outcome ON usage (outcome, ts)",
        """CREATE TABLE guild_settings (
            guild_id        INTEGER PRIMARY KEY,
            moderator_role  INTEGER,
            updated_at      REAL NOT NULL
        )""",
    ],
    [  # 2: anniversary posts: per-server settings and the ledger that makes each post happen once
        """CREATE TABLE anniversary_settings (
            guild_id         INTEGER PRIMARY KEY,
            channel_id       INTEGER,
            webhook_url      TEXT,                  -- a secret: never logged or shown in full
            post_time        TEXT    NOT NULL,      -- HH:MM, local
            timezone         TEXT    NOT NULL,      -- IANA name
            role_id          INTEGER,
            enabled          INTEGER NOT NULL DEFAULT 1,
            disabled_reason  TEXT,
            updated_at       REAL    NOT NULL
        )""",
        """CREATE TABLE anniversary_posts (
            target      TEXT    NOT NULL,           -- guild:<id> for channel posts, webhook:<id>[:<token hash>] (3)
            day         TEXT    NOT NULL,           -- the local date the post is for, YYYY-MM-DD
            event_id    TEXT    NOT NULL,
            guild_id    INTEGER,
            status      TEXT    NOT NULL,           -- claimed | sent | failed | skipped | unknown
            attempts    INTEGER NOT NULL DEFAULT 0,
            nonce       TEXT,
            claimed_at  REAL,
            done_at     REAL,
            message_id  TEXT,
            error       TEXT,
            PRIMARY KEY (target, day, event_id)
        )""",
        "CREATE INDEX anniversary_posts_guild ON anniversary_posts (guild_id, claimed_at)",
        "CREATE INDEX anniversary_posts_status ON anniversary_posts (status)",
    ],
    [  # 3: webhook posts keyed by the webhook's id and token, so another server cannot claim them
        _rekey_webhook_posts,
    ],
    [  # 4: secrets (webhook tokens) out of the usage rows stored before they were masked
        _scrub_stored_options,
    ],
    [  # 5: the usage summary (/stats, alliance-bot stats) reads only indexes: one for a server, one for all
        "CREATE INDEX IF NOT EXISTS usage_guild_stats ON usage (guild_id, ts, kind, command, outcome, latency_ms)",
        "CREATE INDEX IF NOT EXISTS usage_stats ON usage (ts, kind, command, outcome, latency_ms)",
        "DROP INDEX IF EXISTS usage_ts",  # usage_stats starts with ts: the retention prune and the export use it
    ],
    [  # 6: was it useful? one vote per person (keyed hash) per answer (storage/votes.py) per server
        """CREATE TABLE IF NOT EXISTS votes (
            guild_id       INTEGER NOT NULL,        -- 0 for a direct message
            answer_key     TEXT    NOT NULL,        -- command:entry kind:entry id:question hash (votes.AnswerKey)
            user_hash      TEXT    NOT NULL,        -- the usage log's keyed hash, never the raw id
            command        TEXT    NOT NULL,        -- fact | treaty | viewpoints
            entry_kind     TEXT    NOT NULL,        -- fact | event | treaty | source | viewpoint
            entry_id       TEXT    NOT NULL,
            question_hash  TEXT    NOT NULL,
            vote           INTEGER NOT NULL,        -- 1 useful, -1 not useful
            created_at     REAL    NOT NULL,        -- unix time of the first vote
            updated_at     REAL    NOT NULL,        -- of the last change; the retention prune reads it
            PRIMARY KEY (guild_id, answer_key, user_hash)
        )""",
        "CREATE INDEX IF NOT EXISTS votes_updated ON votes (updated_at, guild_id)",
    ],
    [  # 7: content changes made from Discord or the CLI (storage/content_changes.py): proposals, the history of
        # applied changes with the files before and after, and each server's choices for them. Portable SQL: ids are
        # given by the code (max + 1 inside the write transaction), times are DOUBLE PRECISION unix seconds.
        """CREATE TABLE IF NOT EXISTS content_proposals (
            id            BIGINT           PRIMARY KEY,
            guild_id      BIGINT           NOT NULL,    -- 0: made from the command line
            author_id     BIGINT,                       -- the Discord user; NULL from the command line
            author_name   TEXT             NOT NULL,
            note          TEXT             NOT NULL,
            kind          TEXT             NOT NULL,    -- upload | rollback
            created_at    DOUBLE PRECISION NOT NULL,
            base_version  TEXT             NOT NULL,    -- the files' version (updates.files_version) it was made on
            status        TEXT             NOT NULL,    -- open | applying | applied | stale | cancelled
            files         TEXT             NOT NULL,    -- JSON {path: text, or null to remove}
            review        TEXT             NOT NULL,    -- JSON of what the review showed
            change_id     BIGINT,                       -- content_changes.id once applied
            closed_at     DOUBLE PRECISION,
            closed_by     TEXT
        )""",
        "CREATE INDEX IF NOT EXISTS content_proposals_open ON content_proposals (guild_id, status, id)",
        """CREATE TABLE IF NOT EXISTS content_changes (
            id              BIGINT           PRIMARY KEY,
            guild_id        BIGINT           NOT NULL,  -- 0: the command line
            proposal_id     BIGINT           NOT NULL,
            applied_by_id   BIGINT,
            applied_by      TEXT             NOT NULL,
            note            TEXT             NOT NULL,
            applied_at      DOUBLE PRECISION NOT NULL,
            status          TEXT             NOT NULL,  -- writing | applied | undone (a failed apply, put back)
            version_before  TEXT             NOT NULL,
            version_after   TEXT             NOT NULL,
            files_before    TEXT             NOT NULL,  -- JSON {path: text, or null: the file did not exist}
            files_after     TEXT             NOT NULL,  -- JSON {path: text, or null: the file was removed}
            summary         TEXT             NOT NULL,  -- one line: the counts of added, changed, removed
            rollback_of     BIGINT,                     -- the change this one undid
            git_commit      TEXT,
            git_error       TEXT
        )""",
        "CREATE INDEX IF NOT EXISTS content_changes_status ON content_changes (status, id)",
        """CREATE TABLE IF NOT EXISTS content_settings (
            guild_id            BIGINT           PRIMARY KEY,
            announce_channel    BIGINT,
            require_other       INTEGER          NOT NULL DEFAULT 0,  -- 1: another moderator must apply
            updated_at          DOUBLE PRECISION NOT NULL
        )""",
    ],
]

SCHEMA_VERSION = len(MIGRATIONS)
