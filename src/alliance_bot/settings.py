"""Settings: one typed object, built once at start-up and passed in.

Read from environment variables (the token is `DISCORD_TOKEN`, everything else
`ALLIANCE_BOT_<NAME>`), then an optional `.env` file, then an optional TOML
config file (`ALLIANCE_BOT_CONFIG`, keys are the lowercase names without the
prefix), then the defaults. Secrets are `SecretStr`: masked in every repr and log.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from alliance_bot.answers.zones import ZoneError, load_zone
from alliance_bot.digest.cache import ContentCache, default_cache_dir, parse_cache_setting

ENV_PREFIX = "ALLIANCE_BOT_"
TOKEN_ENV = "DISCORD_TOKEN"
ENV_FILE = ".env"
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{16,}$")
_BOT_PREFIX = re.compile(r"^bot\s+", re.IGNORECASE)


def default_content_dir() -> Path:
    """`ALLIANCE_BOT_CONTENT_DIR`, else `./content` of the working folder (nothing else is guessed)."""
    env = os.environ.get("ALLIANCE_BOT_CONTENT_DIR")
    return Path(env) if env else Path("content")


class SettingsError(Exception):
    """A setting is missing or invalid; the message names it in one line."""


def file_problem(path: Path, exc: Exception) -> str:
    """Why a settings file cannot be read, in one line: the byte that is not UTF-8, or the OS's reason."""
    if isinstance(exc, UnicodeDecodeError):
        pos, line = exc.start, 0
        bad = exc.object[pos : pos + 1] if isinstance(exc.object, bytes) else b""
        try:
            raw = path.read_bytes()
            raw.decode("utf-8")
        except UnicodeDecodeError as err:  # the position in the whole file, not in the decoder's chunk
            pos, bad, line = err.start, raw[err.start : err.start + 1], raw.count(b"\n", 0, err.start) + 1
        except OSError:
            pass
        where = f"byte 0x{bad.hex()} at position {pos}" + (f" (line {line})" if line else "")
        return f"{path}: not UTF-8 text: {where}; save the file as UTF-8"
    if isinstance(exc, OSError):
        return f"{path}: cannot read it: {exc.strerror or exc}"
    return f"{path}: {exc}"


class _DotEnv(DotEnvSettingsSource):
    """The .env file, whose read errors name the file (not a setting, not the config file); never a FIFO."""

    def _read_env_file(self, file_path: Path) -> Mapping[str, str | None]:
        if not Path(file_path).is_file():  # a FIFO (which pydantic-settings would read): nobody may ever write to it
            raise SettingsError(f"{Path(file_path).absolute()}: not a regular file; settings must be a plain file")
        try:
            return super()._read_env_file(file_path)
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(file_problem(Path(file_path).absolute(), exc)) from None


def clean_token(value: str) -> str:
    """The token without what files wrap it in: surrounding whitespace and one pair of quotes.

    A token file ends with a newline; `docker run --env-file` keeps quotes literally. A token has
    neither spaces nor quotes, so removing them cannot change which token it is.
    """
    text = value.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text


def token_problem(token: str) -> str | None:
    """What is wrong with a (cleaned) token, in one line that never shows it; None when it looks right.

    A `Bot ` prefix is refused, not removed: the setting is the token itself (the bot adds the
    prefix when it logs in), and the fix is one edit that the message names.
    """
    if not token:
        return (
            f"{TOKEN_ENV} is not set: put the bot token from the Discord developer portal in the environment or in .env"
        )
    if _BOT_PREFIX.match(token):
        return (
            f"{TOKEN_ENV} starts with 'Bot ': remove the 'Bot ' prefix and keep only the token (the bot adds "
            f"the prefix itself)"
        )
    if not token_looks_valid(token):
        return (
            f"{TOKEN_ENV} does not look like a bot token (three dot-separated parts): copy the token again "
            f"from the Discord developer portal (Bot → Reset Token)"
        )
    return None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=None,
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        env_ignore_empty=True,
    )  # `NAME=` in a settings file means "not set"

    token: SecretStr | None = Field(
        default=None, validation_alias=TOKEN_ENV, description="the bot token from the Discord developer portal"
    )
    db: Path | str = Field(
        default=Path("alliance_bot.sqlite3"),
        description="SQLite database file, or a postgresql:// URL for several processes (usage logs, settings)",
    )
    shard_beat_seconds: float = Field(
        default=15.0, gt=0, le=3600, description="how often each process of a sharded bot says its shards are alive"
    )
    shard_takeover_seconds: float = Field(
        default=90.0,
        gt=0,
        le=86400,
        description="how long a shard may go without a live process before the others take its anniversary posts",
    )
    heartbeat: Path | None = Field(
        default=None,
        description="the heartbeat file `alliance-bot health` reads (default: <database>.heartbeat for SQLite, "
        "./alliance-bot.heartbeat for PostgreSQL)",
    )
    content_dir: Path = Field(default_factory=default_content_dir, description="folder of the content files")
    timezone: str = Field(default="Asia/Seoul", description="IANA time zone for /today without a date")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO", description="log verbosity")
    log_format: Literal["text", "json"] = Field(default="text", description="one line per event, as text or JSON")
    hash_key: SecretStr | None = Field(
        default=None,
        description="key for hashing user ids in usage logs (default: generated once and kept in the database)",
    )
    dev_guild: int | None = Field(default=None, description="guild id where `sync` registers commands instantly")
    retention_days: int = Field(default=90, ge=1, le=3650, description="days of usage logs kept")
    anniversary_grace_hours: float = Field(
        default=3.0, gt=0, lt=24, description="how late a missed anniversary post may still be made"
    )
    moderator_role: int | None = Field(
        default=None, description="default moderator role id (servers can set their own)"
    )
    cache_dir: Path | None = Field(
        default_factory=default_cache_dir, description="folder for the cache of checked content files (`off`: none)"
    )

    @field_validator("db", mode="before")
    @classmethod
    def _db(cls, value: Any) -> Path | str:  # Any: the setting as given
        from alliance_bot.storage.pgurl import check_url, is_postgres_url

        if isinstance(value, str) and "://" in value:
            if not is_postgres_url(value):
                raise ValueError(
                    "only postgresql:// URLs are understood (or a SQLite file path); the form is "
                    "postgresql://USER:PASSWORD@HOST:5432/DATABASE"
                )
            problem = check_url(value)
            if problem:
                raise ValueError(problem)
            return value
        return Path(value) if isinstance(value, str) else value

    @property
    def is_postgres(self) -> bool:
        return isinstance(self.db, str)

    @property
    def db_display(self) -> str:
        """The database as messages name it: never a password."""
        from alliance_bot.storage.pgurl import mask_url

        return mask_url(self.db) if isinstance(self.db, str) else str(self.db)

    @property
    def heartbeat_file(self) -> Path:
        if self.heartbeat is not None:
            return self.heartbeat
        if isinstance(self.db, str):
            return Path("alliance-bot.heartbeat")
        return self.db.with_name(self.db.name + ".heartbeat")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            return load_zone(value).key
        except ZoneError as exc:
            raise ValueError(exc.message) from None

    @field_validator("token", mode="before")
    @classmethod
    def _token(cls, value: object) -> object:
        if isinstance(value, str):
            return clean_token(value) or None  # only quotes or spaces: not set
        return value

    @field_validator("cache_dir", mode="before")
    @classmethod
    def _cache(cls, value: Any) -> Path | None:  # Any: the setting as given, before pydantic checks it
        return parse_cache_setting(value)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, _DotEnv(settings_cls, ENV_FILE)]
        config = os.environ.get(f"{ENV_PREFIX}CONFIG")
        if config:
            try:
                sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config)))
            except Exception as exc:  # not TOML, not UTF-8, not readable
                raise SettingsError(f"{ENV_PREFIX}CONFIG: {file_problem(Path(config), exc)}") from None
        sources.append(file_secret_settings)
        return tuple(sources)

    def content_cache(self) -> ContentCache | None:
        return ContentCache(self.cache_dir) if self.cache_dir is not None else None

    def token_value(self) -> str:
        """The token as the bot will send it ("" when not set); never log or show it."""
        return self.token.get_secret_value() if self.token is not None else ""

    def require_token(self) -> str:
        value = self.token_value()
        problem = token_problem(value)
        if problem is not None:
            raise SettingsError(problem)
        return value


def token_looks_valid(token: str) -> bool:
    return bool(_TOKEN_SHAPE.match(token))


def setting_names() -> list[str]:
    """Every environment variable the code reads, in order."""
    names = []
    for name, info in Settings.model_fields.items():
        names.append(info.validation_alias if isinstance(info.validation_alias, str) else f"{ENV_PREFIX}{name.upper()}")
    return [*names, f"{ENV_PREFIX}CONFIG"]


def configured_cache() -> ContentCache | None:
    """The content cache of the settings, for commands that need no other setting (`content check`, `ask`).

    Another setting being invalid (a time zone, say) must not stop those: then only the
    environment's ALLIANCE_BOT_CACHE_DIR is read.
    """
    try:
        return load_settings().content_cache()
    except SettingsError:
        folder = parse_cache_setting(os.environ.get(f"{ENV_PREFIX}CACHE_DIR") or None)
        return ContentCache(folder) if folder is not None else None


def load_settings(**overrides: Any) -> Settings:
    """Build the settings or raise SettingsError naming the offending setting in one line."""
    config = os.environ.get(f"{ENV_PREFIX}CONFIG")
    if config and not Path(config).is_file():
        raise SettingsError(f"{ENV_PREFIX}CONFIG: config file {config!r} not found")
    try:
        return Settings(**overrides)
    except SettingsError:
        raise
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        field = str(err["loc"][0]) if err["loc"] else "?"
        env = TOKEN_ENV if field in {"token", TOKEN_ENV} else f"{ENV_PREFIX}{field.upper()}"
        message = err["msg"].removeprefix("Value error, ")
        raise SettingsError(f"{env}: {message}") from None
    except Exception as exc:
        raise SettingsError(f"the settings cannot be read: {type(exc).__name__}: {exc}") from None
