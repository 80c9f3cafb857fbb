"""What a Teams user id looks like in an organisation file: the person's Entra (AAD) object id.

That is the id an admin can export from Entra and the one Teams puts in `activity.from.aadObjectId`; the
Bot Framework's own `29:...` ids differ per bot and are learnt when the app is installed for the person.
"""

from __future__ import annotations

import re

from bot.core.org import UserIdFormat

PLATFORM = "teams"
USER_ID_FORMAT = UserIdFormat(
    platform=PLATFORM,
    pattern=re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
    label="Teams user id (an Entra object id)", example="6f1c2a9e-8d3b-4c5e-9a7f-1b2c3d4e5f60", case="lower",
)
