"""The bot's own connector token: Entra's client-credentials grant, cached until five minutes before it expires.

Given to the Teams SDK as its `token=` option (a `(scope, tenant_id) -> str` callable, called for every token the
SDK needs, caching nothing itself). The SDK's own client-secret path goes through msal, which accepts only https
authorities it can discover on login.microsoftonline.com, so it could not reach an emulator; this one call is
the same code in tests and in production (docs/teams.md).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

REFRESH_BEFORE_SECONDS = 300
MULTI_TENANT = "botframework.com"


class TokenError(RuntimeError):
    """Entra did not hand out a token; the message carries Entra's own error code (AADSTS...) when it gave one."""


class ClientCredentials:
    def __init__(self, *, login_url: str, app_id: str, app_password: str, tenant_id: str | None,
                 timeout: float = 10.0, clock: Callable[[], float] = time.time) -> None:
        self.login_url = login_url.rstrip("/")
        self.app_id = app_id
        self.app_password = app_password
        self.tenant_id = tenant_id
        self.timeout = timeout
        self.clock = clock
        self._cache: dict[tuple[str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def __call__(self, scope: str | list[str], tenant_id: str | None = None) -> str:
        scope_text = scope if isinstance(scope, str) else " ".join(scope)
        tenant = tenant_id or self.tenant_id or MULTI_TENANT
        key = (tenant, scope_text)
        with self._lock:  # one request per expiry, however many threads ask at once
            cached = self._cache.get(key)
            if cached and cached[1] - REFRESH_BEFORE_SECONDS > self.clock():
                return cached[0]
            token, expires_in = self._request(tenant, scope_text)
            self._cache[key] = (token, self.clock() + expires_in)
            return token

    def _request(self, tenant: str, scope: str) -> tuple[str, float]:
        form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": self.app_id,
                                       "client_secret": self.app_password, "scope": scope}).encode()
        request = urllib.request.Request(f"{self.login_url}/{urllib.parse.quote(tenant)}/oauth2/v2.0/token",
                                         data=form, method="POST",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise TokenError(f"Entra refused the bot's credentials (HTTP {error.code}): {_entra_error(error)}") from error
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise TokenError(f"could not get a token from {self.login_url}: {error}") from error
        return str(answer["access_token"]), float(answer.get("expires_in", 3600))


def _entra_error(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read())
    except (ValueError, OSError):
        return "no details"
    return str(body.get("error_description") or body.get("error") or "no details").splitlines()[0][:300]
