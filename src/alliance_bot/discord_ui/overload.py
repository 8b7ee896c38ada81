"""Load shedding: Discord refuses an interaction's response after 3 seconds, so under overload an interaction
whose window has passed, or will before a response could arrive, is not attempted (usage outcome `late`, one
log line a burst). The window starts when Discord created the interaction (`stamp_window`, at receipt); what a
response costs now is a moving average of recent response times; and the initial responses in flight at once
are limited (`slots`), since a burst of thousands of simultaneous requests makes every one of them slow.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import discord

log = logging.getLogger("alliance_bot.discord_ui.bot")  # the Discord layer's logger name, as operators know it

RESPONSE_BUDGET = 3.0  # seconds
RESPONSES_AT_ONCE = 50
SEND_ESTIMATE_MIN = 0.1  # seconds: the least an interaction response is expected to take
SHED_LOG_QUIET = 10.0  # seconds without a late interaction that end a burst (one log line per burst)


def stamp_window(interaction: discord.Interaction) -> None:
    """When Discord's 3-second window started, on the monotonic clock: the creation time in the snowflake
    id, when it is plausible (up to the window before receipt), else the receipt time (clocks that disagree
    by more than the window must not make every interaction look late)."""
    now = time.monotonic()
    transit = time.time() - interaction.created_at.timestamp()
    interaction.extras["window_start"] = now - transit if 0.0 <= transit <= RESPONSE_BUDGET else now


class LoadShedder:
    """The decision (`too_late`), its consequence (`shed`, recorded with `record`) and what informs it: the
    response-time average (`send_estimate`) and the response slots."""

    def __init__(self, record: Callable[[discord.Interaction, str], None]) -> None:
        self.record = record
        # initial responses in flight at once: discord.py's connection pool has no limit, and a burst of
        # thousands of simultaneous requests makes every one of them slow
        self.slots = asyncio.Semaphore(RESPONSES_AT_ONCE)
        self.send_estimate = SEND_ESTIMATE_MIN  # how long an interaction response takes now (moving average)
        self._last_late = -SHED_LOG_QUIET  # loop time of the last late interaction
        self.late_count = 0

    def too_late(self, interaction: discord.Interaction) -> bool:
        """Whether the window has passed, or will before a response could arrive: `send_estimate`, how long
        recent interactions took from this decision to their response (which, under load, includes waiting
        for the event loop)."""
        start = interaction.extras.get("window_start")
        now = time.monotonic()
        interaction.extras["decided"] = now
        return start is not None and now - start + self.send_estimate >= RESPONSE_BUDGET

    def shed(self, interaction: discord.Interaction) -> None:
        """Not attempted (or not retried): Discord would refuse it. A usage row `late`; one log line a burst."""
        self.record(interaction, "late")
        self.late_count += 1
        now = time.monotonic()
        if now - self._last_late >= SHED_LOG_QUIET:
            log.warning(
                "overloaded: interactions that cannot be answered within Discord's 3 seconds are not "
                "attempted (usage outcome=late; %d so far; logged once a burst)",
                self.late_count,
            )
        self._last_late = now

    def note_response_time(self, interaction: discord.Interaction) -> None:
        decided = interaction.extras.get("decided")
        if decided is not None:  # answered or not: a refused late response took its time too
            seconds = time.monotonic() - decided
            self.send_estimate = max(SEND_ESTIMATE_MIN, 0.8 * self.send_estimate + 0.2 * seconds)
