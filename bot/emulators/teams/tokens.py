"""The emulator as the identity side of Teams: the Entra token endpoint the bot gets its connector token
from, and the two OpenID metadata documents (Bot Framework's, for the tokens on inbound activities; Entra's,
for the access tokens) with their key sets.

Paths follow the real services' shapes under the emulator's root:
`/{tenant}/oauth2/v2.0/token` (client credentials, form-encoded, Entra's error bodies with AADSTS codes),
`/{tenant}/v2.0/.well-known/openid-configuration` and `/{tenant}/discovery/v2.0/keys` (Entra), and
`/v1/.well-known/openidconfiguration` with `/v1/.well-known/keys` (Bot Framework; the Teams SDK finds the keys
by replacing the metadata URL's last segment with `keys`, so both live side by side, as they do on
login.botframework.com).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt

from .keys import Signer
from .server import Answer, Incoming

#: The audience (and scope resource) of a Bot Connector access token.
BOT_API_RESOURCE = "https://api.botframework.com"
BOT_SCOPE = f"{BOT_API_RESOURCE}/.default"
#: Microsoft Graph's resource and scope (the directory sync's app-only token: bot/emulators/teams/graph.py).
GRAPH_RESOURCE = "https://graph.microsoft.com"
GRAPH_SCOPE = f"{GRAPH_RESOURCE}/.default"
SCOPES = {BOT_SCOPE: BOT_API_RESOURCE, GRAPH_SCOPE: GRAPH_RESOURCE}
#: The tenant multi-tenant bots ask for their connector token in.
BOT_LOGIN_TENANT = "botframework.com"
TOKEN_LIFETIME_SECONDS = 3599


@dataclass
class TokenService:
    signer: Signer
    clock: Callable[[], float]  # real time by default: the bot's token cache runs on its own clock
    app_id: str
    app_password: str
    tenants: Callable[[], set[str]]
    base_url: str = ""
    issued: list[dict[str, Any]] = field(default_factory=list)

    def issuer(self, tenant: str) -> str:
        return f"{self.base_url}/{tenant}/v2.0"

    def openid_configuration(self, tenant: str) -> Answer:
        return Answer.json(
            200,
            {
                "issuer": self.issuer(tenant),
                "token_endpoint": f"{self.base_url}/{tenant}/oauth2/v2.0/token",
                "authorization_endpoint": f"{self.base_url}/{tenant}/oauth2/v2.0/authorize",
                "jwks_uri": f"{self.base_url}/{tenant}/discovery/v2.0/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
                "response_types_supported": ["code", "id_token", "token"],
                "subject_types_supported": ["pairwise"],
                "tenant_region_scope": "EU",
            },
        )

    def token(self, tenant: str, request: Incoming) -> Answer:
        """The client-credentials grant, answered as Entra does (200 with a bearer token, or 400/401 + AADSTS)."""
        if request.method != "POST" or request.content_type != "application/x-www-form-urlencoded":
            return _aad_error(400, "invalid_request", 900144, "The request body must contain the 'grant_type' parameter.")
        form = request.form()
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        basic = request.headers.get("authorization", "")
        if basic.lower().startswith("basic "):
            try:
                client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
            except ValueError:
                return _aad_error(401, "invalid_client", 7000216, "Malformed client credentials.")
        if form.get("grant_type") != "client_credentials":
            return _aad_error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        if tenant != BOT_LOGIN_TENANT and tenant not in self.tenants():
            return _aad_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
        if client_id != self.app_id:
            return _aad_error(400, "unauthorized_client", 700016, f"Application with identifier '{client_id}' was not found.")
        if not client_secret or not secrets.compare_digest(client_secret, self.app_password):
            return _aad_error(401, "invalid_client", 7000215, "Invalid client secret provided.")
        if form.get("scope") not in SCOPES:
            return _aad_error(400, "invalid_scope", 70011, f"The provided value for scope {form.get('scope')!r} is not valid.")
        now = int(self.clock())
        claims = {
            "aud": SCOPES[str(form.get("scope"))],
            "iss": self.issuer(tenant),
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_LIFETIME_SECONDS,
            "appid": self.app_id,
            "azp": self.app_id,
            "tid": tenant,
            "idtyp": "app",
            "ver": "2.0",
            "jti": secrets.token_hex(8),
        }
        self.issued.append(claims)
        return Answer.json(
            200,
            {
                "token_type": "Bearer",
                "expires_in": TOKEN_LIFETIME_SECONDS,
                "ext_expires_in": TOKEN_LIFETIME_SECONDS,
                "access_token": self.signer.sign(claims),
            },
        )

    def check_bearer(self, authorization: str) -> str | None:
        """None when the connector call carries a valid token of this bot, else why not (for the log)."""
        claims = self.bearer_claims(authorization)
        return claims if isinstance(claims, str) else None

    def bearer_claims(self, authorization: str, audience: str = BOT_API_RESOURCE) -> dict[str, Any] | str:
        """The claims of a valid token of this bot for `audience`, else why it is not one (for the log)."""
        if not authorization.lower().startswith("bearer "):
            return "no bearer token"
        raw = authorization[7:].strip()
        issuers = [self.issuer(t) for t in {BOT_LOGIN_TENANT, *self.tenants()}]
        try:
            claims = self.signer.verify(raw, audience=audience, issuers=issuers, now=self.clock())
        except jwt.InvalidTokenError as exc:
            return str(exc)
        if claims.get("appid") != self.app_id:
            return "the token belongs to another app"
        return claims


def bot_framework_openid_configuration(base_url: str, issuer: str) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{base_url}/v1/authorize",
        "jwks_uri": f"{base_url}/v1/.well-known/keys",
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
    }


def _aad_error(status: int, error: str, code: int, description: str) -> Answer:
    return Answer.json(
        status,
        {
            "error": error,
            "error_description": f"AADSTS{code}: {description}",
            "error_codes": [code],
            "timestamp": "",
            "trace_id": secrets.token_hex(8),
            "correlation_id": secrets.token_hex(8),
        },
    )
