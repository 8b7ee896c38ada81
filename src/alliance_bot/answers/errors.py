"""Errors the answers raise for bad input: shown to the user as they are."""


class InvalidInput(ValueError):
    """The user's input cannot be understood; the message says why and what would work."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
