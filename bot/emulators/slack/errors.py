"""The emulator's own error type.

It subclasses AssertionError on purpose: when a test drives the emulator as a
Slack user and asks for something Slack's UI would not allow (clicking a button
the bot never posted, submitting a view that is not open), that is a failed
expectation about the bot, and pytest reports AssertionErrors as exactly that.
"""


class EmulatorError(AssertionError):
    """An actor action or inspection that real Slack would not allow."""
