"""Per-method contracts: which arguments a Web API method knows, which it requires,
which error Slack answers when one is missing, its rate-limit tier, and whether it
reads JSON bodies.

Source: the method reference published at docs.slack.dev, as mirrored in
slack-ruby/slack-api-ref (``docs.slack.dev/methods/<method>.json``: ``args.required``,
``args.properties``, ``rate_limits`` and ``json_input_supported``; the error codes
come from each file's ``errors``). Kept as data, separate from the handlers, so the
checks the emulator applies before a handler runs are the same for every method.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Tier names. "special_*" tiers have their own limiter (see ratelimit.py).
TIER_2 = "tier2"
TIER_3 = "tier3"
TIER_4 = "tier4"
SPECIAL_POST_MESSAGE = "special_post_message"
SPECIAL_AUTH = "special_auth"

#: Calls per minute for the windowed tiers (docs.slack.dev "Rate limits": Tier 2 is
#: 20+/min, Tier 3 50+/min, Tier 4 100+/min; auth.test is "special", we allow plenty).
TIER_LIMITS_PER_MINUTE: dict[str, int] = {
    TIER_2: 20,
    TIER_3: 50,
    TIER_4: 100,
    SPECIAL_AUTH: 600,
}

INVALID_ARGUMENTS = "invalid_arguments"


@dataclass(frozen=True)
class MethodContract:
    """What Slack documents about one method's arguments."""

    name: str
    tier: str
    known: frozenset[str]
    #: required argument -> the error Slack answers when it is absent or empty.
    #: Arguments mapped to ``invalid_arguments`` also get a
    #: ``response_metadata.messages`` explanation, like Slack's schema validator.
    required: dict[str, str] = field(default_factory=dict)
    #: False for methods whose reference says JSON bodies are not supported:
    #: Slack does not read arguments from a JSON body for them.
    json_body: bool = True


def _c(
    name: str,
    tier: str,
    known: str,
    required: dict[str, str] | None = None,
    *,
    json_body: bool = True,
) -> MethodContract:
    return MethodContract(
        name=name,
        tier=tier,
        known=frozenset(known.split()),
        required=dict(required or {}),
        json_body=json_body,
    )


CONTRACTS: dict[str, MethodContract] = {
    c.name: c
    for c in (
        _c("auth.test", SPECIAL_AUTH, ""),
        _c(
            "chat.postMessage",
            SPECIAL_POST_MESSAGE,
            "as_user attachments blocks channel current_draft_last_updated_ts icon_emoji icon_url "
            "link_names markdown_text metadata mrkdwn parse reply_broadcast text thread_ts "
            "unfurl_links unfurl_media username",
            {"channel": "channel_not_found"},
        ),
        _c(
            "chat.update",
            TIER_3,
            "as_user attachments unfurled_attachments blocks markdown_text metadata channel "
            "link_names parse text ts reply_broadcast file_ids",
            {"channel": "channel_not_found", "ts": "message_not_found"},
        ),
        _c(
            "chat.postEphemeral",
            TIER_4,
            "as_user attachments blocks channel icon_emoji icon_url link_names markdown_text "
            "metadata parse text thread_ts user username",
            {"channel": "channel_not_found", "user": INVALID_ARGUMENTS},
        ),
        _c("conversations.open", TIER_3, "channel return_im users prevent_creation"),
        _c(
            "conversations.history",
            TIER_3,
            "channel cursor include_all_metadata inclusive latest limit oldest",
            {"channel": "channel_not_found"},
        ),
        _c("users.info", TIER_4, "include_locale user", {"user": "user_not_found"}, json_body=False),
        _c("users.list", TIER_2, "cursor include_locale limit team_id", json_body=False),
        _c(
            "usergroups.users.list",
            TIER_2,
            "include_disabled usergroup team_id",
            {"usergroup": "no_such_subteam"},
            json_body=False,
        ),
        _c("usergroups.list", TIER_2, "include_count include_disabled include_users team_id", json_body=False),
        _c("conversations.members", TIER_4, "channel cursor limit", {"channel": "channel_not_found"},
           json_body=False),
        _c("conversations.info", TIER_3, "channel include_locale include_num_members",
           {"channel": "channel_not_found"}, json_body=False),
        _c("views.open", TIER_4, "trigger_id interactivity_pointer view", {"view": INVALID_ARGUMENTS}),
        _c("views.update", TIER_4, "view_id external_id view hash", {"view": INVALID_ARGUMENTS}),
        _c("views.push", TIER_4, "trigger_id interactivity_pointer view", {"view": INVALID_ARGUMENTS}),
        _c(
            "views.publish",
            TIER_4,
            "user_id view hash interactivity_pointer",
            {"user_id": INVALID_ARGUMENTS, "view": INVALID_ARGUMENTS},
        ),
        _c(
            "files.getUploadURLExternal",
            TIER_4,
            "length filename snippet_type alt_txt",
            {"filename": INVALID_ARGUMENTS, "length": INVALID_ARGUMENTS},
            json_body=False,
        ),
        _c(
            "files.completeUploadExternal",
            TIER_4,
            "files channel_id thread_ts channels initial_comment blocks username icon_url icon_emoji",
            {"files": INVALID_ARGUMENTS},
        ),
    )
}


def missing_required(contract: MethodContract, args: dict[str, object]) -> tuple[str, str] | None:
    """Return ``(argument, error_code)`` for the first required argument that is
    absent or empty, or None when all are there."""
    for name, code in contract.required.items():
        value = args.get(name)
        if value is None or value == "" or value == [] or value == {}:
            return name, code
    return None
