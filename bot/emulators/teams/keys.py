"""The emulator's signing key: it is both the Bot Framework issuer and the Entra token service.

Teams signs every activity it posts to a bot with a Bot Framework key (RS256, key id in the JWT header,
public keys published as a JWKS next to an OpenID metadata document). The emulator generates its own RSA key
at start, publishes it the same way, and signs two kinds of tokens with it:

- inbound tokens, on the activities it sends the bot (iss `https://api.botframework.com` by default, aud the
  bot's app id, a `serviceurl` claim equal to the activity's serviceUrl), which the bot validates;
- access tokens, handed out by its token endpoint for the client-credentials grant, which its connector
  checks on every call the bot makes.

PyJWT and `cryptography` do the JWT and RSA work; nothing here hand-builds a signature.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ALGORITHM = "RS256"


@dataclass(frozen=True)
class KeyPair:
    """One RSA key and its key id."""

    kid: str
    private_key: rsa.RSAPrivateKey

    @classmethod
    def generate(cls) -> "KeyPair":
        return cls(kid=secrets.token_hex(8), private_key=rsa.generate_private_key(public_exponent=65537, key_size=2048))

    def jwk(self) -> dict[str, Any]:
        """The public half as a JWK, as the Bot Framework's keys document lists it."""
        key = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        key.update({"kid": self.kid, "use": "sig", "alg": ALGORITHM, "endorsements": ["msteams"]})
        return key


class Signer:
    """Signs and verifies the emulator's tokens, with key rotation as Microsoft does it: the next key is
    published in the JWKS before anything is signed with it (validators cache the key set for minutes and
    refetch at most every so often on an unknown key id, PyJWT's client every 30 s)."""

    def __init__(self) -> None:
        self.current = KeyPair.generate()
        self._published: list[KeyPair] = [self.current]
        self._next: KeyPair | None = None

    def publish_next(self) -> KeyPair:
        """Announce the key the next `rotate()` will sign with (it appears in the JWKS now)."""
        if self._next is None:
            self._next = KeyPair.generate()
            self._published.append(self._next)
        return self._next

    def rotate(self, *, keep_old: bool = True) -> None:
        """Start signing with the announced key (a fresh one if none was: validators may not know it yet);
        drop the old key from the JWKS unless `keep_old`."""
        fresh = self.publish_next()
        self._next = None
        self._published = [p for p in self._published if keep_old or p is fresh]
        self.current = fresh

    def jwks(self) -> dict[str, Any]:
        return {"keys": [pair.jwk() for pair in self._published]}

    def sign(self, claims: dict[str, Any], *, key: KeyPair | None = None) -> str:
        pair = key or self.current
        return jwt.encode(claims, pair.private_key, algorithm=ALGORITHM, headers={"kid": pair.kid, "typ": "JWT"})

    def verify(self, token: str, *, audience: str, issuers: list[str], now: float) -> dict[str, Any]:
        """The claims of a token this emulator signed with a published key; jwt.InvalidTokenError if not.

        `now` is the emulator's clock (a simulated one in tests), so expiry follows simulated time."""
        header = jwt.get_unverified_header(token)
        pair = next((p for p in self._published if p.kid == header.get("kid")), None)
        if pair is None:
            raise jwt.InvalidTokenError("unknown signing key")
        claims = jwt.decode(
            token,
            pair.private_key.public_key(),
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuers,
            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "require": ["exp"]},
        )
        if float(claims["exp"]) <= now:
            raise jwt.ExpiredSignatureError("the token has expired")
        if float(claims.get("nbf", now)) > now + 300:
            raise jwt.ImmatureSignatureError("the token is not yet valid")
        return claims
