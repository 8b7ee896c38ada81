"""Logging: one line per event, as text or JSON, with secrets scrubbed."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys

_SECRETS = [
    # bot tokens: three dot-separated base64url parts
    re.compile(r"[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{20,}"),
    # webhook URLs: keep the id, hide the token
    re.compile(r"(/api(?:/v\d+)?/webhooks/\d+/)[A-Za-z0-9._-]+"),
    # interaction tokens in REST paths
    re.compile(r"(/interactions/\d+/)[A-Za-z0-9._-]+"),
    re.compile(r"(/webhooks/\d+/)[A-Za-z0-9._-]{20,}"),
]


def scrub(text: str) -> str:
    text = _SECRETS[0].sub("[token]", text)
    for pattern in _SECRETS[1:]:
        text = pattern.sub(r"\1[secret]", text)
    return text


class ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            data["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(data, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if record.exc_info:  # keep one event on one line
            return scrub(text).replace("\n", " ⏎ ")
        return text


def setup_logging(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(ScrubFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("discord").setLevel(
        max(logging.getLevelName(level), logging.INFO) if isinstance(logging.getLevelName(level), int) else logging.INFO
    )
