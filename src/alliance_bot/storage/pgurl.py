"""PostgreSQL URLs as settings: recognised, checked before any connection, and masked in every message.

Apart from pg.py so that reading the settings does not import the driver.
"""

from __future__ import annotations

import re
import urllib.parse

SCHEMES = ("postgresql", "postgres")

__all__ = ["SCHEMES", "check_url", "is_postgres_url", "mask_url"]


def is_postgres_url(value: object) -> bool:
    return isinstance(value, str) and value.split("://", 1)[0].lower() in SCHEMES and "://" in value


def mask_url(url: str) -> str:
    """The URL with its password replaced by `***` (also a password given as `?password=`)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "postgresql://***"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:***@{host}" if ":" in userinfo else f"{user}@{host}"
    query = re.sub(r"(?i)(password=)[^&]*", r"\1***", parts.query)
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def check_url(url: str) -> str | None:
    """What is wrong with a postgresql:// URL, or None. Checked before any connection is tried."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"the database URL {mask_url(url)} cannot be read ({exc}); the form is postgresql://USER:PASSWORD@HOST:5432/DATABASE"
    if parts.scheme.lower() not in SCHEMES:
        return f"the database URL {mask_url(url)} must start with postgresql://"
    host = parts.hostname or urllib.parse.parse_qs(parts.query).get("host", [""])[0]
    if not host:
        return (
            f"the database URL {mask_url(url)} names no host; the form is postgresql://USER:PASSWORD@HOST:5432/DATABASE"
        )
    if port is not None and not 0 < port < 65536:
        return f"the database URL {mask_url(url)} has a port out of range"
    if not parts.path.strip("/"):
        return f"the database URL {mask_url(url)} names no database (…/DATABASE at the end)"
    return None
