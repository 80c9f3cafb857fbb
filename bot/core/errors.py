"""Errors whose message is meant for the person who caused them.

Every platform adapter catches `DrumbeatError` and shows `error.text` to the caller, politely and
privately, in its own markup; anything else is a bug and is logged with its traceback. The text is neutral
rich text (`messages.rich`): a command to type is a `Code` span and a person is a `Mention`, never a
platform's markup, so each adapter renders it its own way and `str(error)` is the plain sentence for logs.
"""

from __future__ import annotations

from messages.rich import Rich, as_rich


class DrumbeatError(Exception):
    """Base class: the message is safe and useful to show to the user."""

    def __init__(self, text: str | Rich) -> None:
        self.text: Rich = as_rich(text)
        super().__init__(self.text)  # str(error) is str(self.text): the plain sentence


class NotInDirectory(DrumbeatError):
    def __init__(self) -> None:
        super().__init__(
            "I don't know you yet: Drumbeat only works for people in its directory. "
            "Ask your Drumbeat admin to add you (drumbeat org import)."
        )


class PermissionDenied(DrumbeatError):
    """The caller's role does not allow this."""


class NotFound(DrumbeatError):
    """Something the caller named does not exist."""


class BadInput(DrumbeatError):
    """The caller's input cannot be understood; the message says what would be."""
