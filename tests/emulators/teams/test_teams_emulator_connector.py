"""The connector and the token service over plain HTTP: answers, ids and error bodies as the services give
them, every call recorded, and no call without a valid token of this bot."""

from __future__ import annotations

import jwt

from bot.emulators.teams import TeamsEmulator, User

from .teams_emulator_kit import Connector, bot_token, http


def test_token_service_grants_a_connector_token_signed_with_the_published_key(emu: TeamsEmulator) -> None:
    reply = bot_token(emu)
    assert reply.status == 200 and reply.body["token_type"] == "Bearer" and reply.body["expires_in"] == 3599
    metadata = http("GET", f"{emu.login_url}/botframework.com/v2.0/.well-known/openid-configuration").body
    key = jwt.PyJWKClient(metadata["jwks_uri"]).get_signing_key_from_jwt(reply.body["access_token"])
    claims = jwt.decode(reply.body["access_token"], key.key, algorithms=["RS256"], audience="https://api.botframework.com")
    assert claims["appid"] == emu.app_id and claims["iss"] == metadata["issuer"]


def test_token_service_refuses_bad_credentials_as_entra_does(emu: TeamsEmulator) -> None:
    wrong_secret = bot_token(emu, secret="guess")
    assert wrong_secret.status == 401 and wrong_secret.body["error"] == "invalid_client"
    assert wrong_secret.body["error_codes"] == [7000215]
    wrong_scope = bot_token(emu, scope="https://vault.azure.net/.default")  # Graph is served too (graph.py)
    assert wrong_scope.status == 400 and wrong_scope.body["error"] == "invalid_scope"
    unknown_tenant = bot_token(emu, tenant="not-a-tenant")
    assert unknown_tenant.status == 400 and unknown_tenant.body["error_codes"] == [90002]


def test_bot_framework_metadata_points_at_the_keys_beside_it(emu: TeamsEmulator) -> None:
    metadata = http("GET", emu.openid_metadata_url).body
    assert metadata["issuer"] == "https://api.botframework.com"
    assert metadata["jwks_uri"] == emu.jwks_url
    keys = http("GET", emu.jwks_url).body["keys"]
    assert [k["kid"] for k in keys] == [emu.signer.current.kid] and keys[0]["kty"] == "RSA"


def test_connector_denies_calls_without_a_valid_token(emu: TeamsEmulator, alice: User) -> None:
    chat = emu.conversation_reference(alice.aad_object_id)["conversation_id"]
    url = f"{emu.service_url}v3/conversations/{chat}/activities"
    other_key_token = jwt.encode({"aud": "https://api.botframework.com", "exp": 4102444800, "appid": emu.app_id},
                                 "not-the-emulators-key-and-not-rsa-either", algorithm="HS256")
    for token in (None, "garbage", other_key_token):
        reply = http("POST", url, {"type": "message", "text": "hi"}, token=token)
        assert reply.status == 401
        assert reply.body == {"message": "Authorization has been denied for this request."}
    assert emu.inbox(alice.aad_object_id) == []
    assert [c.status for c in emu.calls_to("send_activity")] == [401, 401, 401]


def test_connector_refuses_an_expired_access_token(clock) -> None:  # noqa: ANN001
    now = [1_900_000_000.0]
    with TeamsEmulator(clock=clock, token_clock=lambda: now[0]) as emu:
        user = emu.add_user(name="Bo")
        emu.user(user.aad_object_id).installed = True
        connector = Connector(emu)
        chat = emu.conversation_reference(user.aad_object_id)["conversation_id"]
        assert connector.send(chat).status == 201
        now[0] += 3600
        assert connector.send(chat).status == 401


def test_posting_answers_201_with_the_new_message_id(emu: TeamsEmulator, alice: User) -> None:
    connector = Connector(emu)
    chat = emu.conversation_reference(alice.aad_object_id)["conversation_id"]
    first, second = connector.send(chat, text="one"), connector.send(chat, text="two")
    assert (first.status, second.status) == (201, 201)
    assert int(second.body["id"]) > int(first.body["id"])
    assert [m["text"] for m in emu.inbox(alice.aad_object_id)] == ["one", "two"]
    assert emu.inbox(alice.aad_object_id)[0]["from"]["id"] == f"28:{emu.app_id}"


def test_create_conversation_returns_the_one_personal_chat_and_may_post_in_it(emu: TeamsEmulator, alice: User) -> None:
    connector = Connector(emu)
    by_object_id = connector.create_conversation(alice.aad_object_id, alice.tenant_id)
    by_bot_id = connector.create_conversation(alice.bot_id, alice.tenant_id, {"type": "message", "text": "hi"})
    assert by_object_id.status == by_bot_id.status == 201
    assert by_object_id.body["id"] == by_bot_id.body["id"] == emu.conversation_reference(alice.aad_object_id)["conversation_id"]
    assert emu.inbox(alice.aad_object_id)[0]["id"] == by_bot_id.body["activityId"]


def test_create_conversation_refuses_a_person_without_the_app(emu: TeamsEmulator) -> None:
    stranger = emu.add_user(name="No App")
    reply = Connector(emu).create_conversation(stranger.aad_object_id, stranger.tenant_id)
    assert reply.status == 403 and reply.body["error"]["code"] == "BotNotInConversationRoster"


def test_update_and_delete_answer_as_the_connector(emu: TeamsEmulator, alice: User) -> None:
    connector = Connector(emu)
    chat = emu.conversation_reference(alice.aad_object_id)["conversation_id"]
    message_id = connector.send(chat, text="before").body["id"]
    updated = connector.update(chat, message_id, {"type": "message", "text": "after"})
    assert updated.status == 200 and updated.body == {"id": message_id}
    assert emu.inbox(alice.aad_object_id)[0]["text"] == "after"
    assert connector.delete(chat, message_id).status == 200
    assert emu.inbox(alice.aad_object_id) == []
    again = connector.delete(chat, message_id)
    assert again.status == 404 and again.body["error"]["code"] == "ActivityNotFoundInConversation"
    assert connector.update(chat, "123", {"type": "message", "text": "x"}).status == 404


def test_unknown_conversation_is_404(emu: TeamsEmulator, alice: User) -> None:
    reply = Connector(emu).send("a:nope")
    assert reply.status == 404 and reply.body["error"]["code"] == "ConversationNotFound"


def test_members_are_teams_channel_accounts(emu: TeamsEmulator, alice: User) -> None:
    connector = Connector(emu)
    chat = emu.conversation_reference(alice.aad_object_id)["conversation_id"]
    members = http("GET", connector.url(f"/v3/conversations/{chat}/members"), token=connector.token).body
    assert members == [alice.account(role=True)]
    assert members[0]["aadObjectId"] == alice.aad_object_id and members[0]["id"].startswith("29:")
    one = http("GET", connector.url(f"/v3/conversations/{chat}/members/{alice.aad_object_id}"), token=connector.token)
    assert one.status == 200 and one.body["email"] == "alice@example.com"
    paged = http("GET", connector.url(f"/v3/conversations/{chat}/pagedMembers"), token=connector.token).body
    assert paged["members"] == members


def test_a_blocked_or_uninstalled_person_cannot_be_written_to(emu: TeamsEmulator, alice: User) -> None:
    connector = Connector(emu)
    chat = emu.conversation_reference(alice.aad_object_id)["conversation_id"]
    emu.set_user(alice.aad_object_id, blocked=True)
    blocked = connector.send(chat)
    assert blocked.status == 403 and blocked.body["error"]["code"] == "ConversationBlockedByUser"
    emu.set_user(alice.aad_object_id, blocked=False)
    emu.uninstall_app(alice.aad_object_id)
    gone = connector.send(chat)
    assert gone.status == 403 and gone.body["error"]["code"] == "BotNotInConversationRoster"
    assert emu.inbox(alice.aad_object_id) == []


def test_empty_messages_and_bad_bodies_are_bad_arguments(emu: TeamsEmulator, alice: User) -> None:
    connector = Connector(emu)
    chat = emu.conversation_reference(alice.aad_object_id)["conversation_id"]
    assert connector.send(chat, {"type": "message"}).body["error"]["code"] == "BadArgument"
    raw = http("POST", connector.url(f"/v3/conversations/{chat}/activities"), raw=b"{nope", token=connector.token)
    assert raw.status == 400 and raw.body["error"]["code"] == "BadArgument"
