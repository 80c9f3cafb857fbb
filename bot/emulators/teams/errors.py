"""The Teams emulator's own error type.

An AssertionError on purpose, as in the Slack emulator: when a test asks the emulator to do something Teams
would not let a person do (press a button that is not on the card, act as a user the app is not installed
for), that is a failed expectation about the bot, and pytest reports it as one.
"""


class EmulatorError(AssertionError):
    """An actor action or inspection that real Teams would not allow."""
