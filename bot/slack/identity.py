"""What a Slack user id looks like, for the organisation import (the core knows no platform's id syntax)."""

from __future__ import annotations

import re

from bot.core.org import UserIdFormat

PLATFORM = "slack"
USER_ID_FORMAT = UserIdFormat(platform=PLATFORM, pattern=re.compile(r"^[UW][A-Z0-9]{2,31}$"),
                              label="Slack user id", example="U012ABCDEF", case="upper")
