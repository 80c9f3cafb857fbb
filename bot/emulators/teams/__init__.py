"""A Microsoft Teams emulator for tests, benchmarks and the sandbox: Bot Connector, token service and Bot
Framework issuer on loopback, written from Microsoft's documentation (never validated with the Teams SDK's
own models, so the SDK and the emulator do not share a judge). Start one with::

    with TeamsEmulator() as emu:
        cloud = with_overrides(PUBLIC, **emu.cloud_overrides())   # the Teams SDK's CloudEnvironment
        ...
        user = emu.add_user(name="Ana Silva", local_timezone="Europe/Lisbon")
        emu.install_app(user.aad_object_id)      # installationUpdate, signed, to the bot
"""

from .actor import ActorResponse, Dialog
from .connector import Call
from .emulator import TeamsEmulator
from .errors import EmulatorError
from .state import User

__all__ = ["ActorResponse", "Call", "Dialog", "EmulatorError", "TeamsEmulator", "User"]
