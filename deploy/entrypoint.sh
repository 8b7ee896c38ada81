#!/bin/sh
# Container entrypoint of alliance_bot.
#
# DISCORD_TOKEN_FILE (read here, not by alliance-bot itself): a file holding the bot
# token, such as a Docker or Kubernetes secret (/run/secrets/discord_token). When it
# is set, DISCORD_TOKEN is exported from the file's contents. Then the command
# (by default `alliance-bot run --require-token`) replaces this shell, so that it
# receives SIGTERM and SIGHUP itself.
set -eu

if [ -n "${DISCORD_TOKEN_FILE:-}" ]; then
    if [ -n "${DISCORD_TOKEN:-}" ]; then
        echo "entrypoint: both DISCORD_TOKEN and DISCORD_TOKEN_FILE are set; set only one" >&2
        exit 2
    fi
    if [ ! -f "$DISCORD_TOKEN_FILE" ] || [ ! -r "$DISCORD_TOKEN_FILE" ]; then
        echo "entrypoint: DISCORD_TOKEN_FILE=$DISCORD_TOKEN_FILE is not a readable file (uid $(id -u))" >&2
        exit 2
    fi
    # $(...) drops trailing newlines; carriage returns and surrounding blanks go too.
    DISCORD_TOKEN=$(tr -d '\r' < "$DISCORD_TOKEN_FILE" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//')
    if [ -z "$DISCORD_TOKEN" ]; then
        echo "entrypoint: DISCORD_TOKEN_FILE=$DISCORD_TOKEN_FILE is empty" >&2
        exit 2
    fi
    export DISCORD_TOKEN
    unset DISCORD_TOKEN_FILE
fi

# PGPASSWORD_FILE (compose.postgres.yaml): the PostgreSQL password, exported as PGPASSWORD, which the driver
# uses when ALLIANCE_BOT_DB's URL has none (so the password is in no setting and no process list).
if [ -n "${PGPASSWORD_FILE:-}" ]; then
    if [ ! -r "$PGPASSWORD_FILE" ]; then
        echo "entrypoint: PGPASSWORD_FILE=$PGPASSWORD_FILE is not a readable file (uid $(id -u))" >&2
        exit 2
    fi
    PGPASSWORD=$(tr -d '\r\n' < "$PGPASSWORD_FILE")
    export PGPASSWORD
    unset PGPASSWORD_FILE
fi

exec "$@"
