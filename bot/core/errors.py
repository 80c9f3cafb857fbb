"""Errors whose message is meant for the person who caused them.

Every platform adapter catches `DrumbeatError` and shows `str(error)` to the caller, politely and
privately; anything else is a bug and is logged with its traceback.
"""


class DrumbeatError(Exception):
    """Base class: the message is safe and useful to show to the user."""


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
