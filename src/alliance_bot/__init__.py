"""alliance_bot: a Discord bot on the history and debates of the US–ROK alliance."""

__version__ = "0.1.0"
