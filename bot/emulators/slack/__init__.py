"""A Slack Web API emulator for tests, benchmarks and the demo sandbox.

It serves ``/api/<method>`` on loopback in Slack's shapes (errors, rate limits,
Block Kit limits, trigger and view rules) and plays the workspace's users, sending
the bot signed requests exactly as Slack does. Start one with::

    with SlackEmulator(signing_secret) as emu:
        client = WebClient(base_url=emu.api_url, token=emu.bot_token)
"""

from .actor import ActorResponse
from .emulator import Call, SlackEmulator
from .errors import EmulatorError
from .faults import Hold

__all__ = ["ActorResponse", "Call", "EmulatorError", "Hold", "SlackEmulator"]
