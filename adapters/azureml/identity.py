"""The identity the adapter acts as: credentials and the principal in their tokens."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

# Claims that name the caller in a Microsoft Entra access token, most readable
# first: user principal name, then the application id of a service principal,
# then the object id (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference).
PRINCIPAL_CLAIMS = ("upn", "unique_name", "preferred_username", "appid", "oid")

EMULATOR_PRINCIPAL = "unireg-tester@emulator.local"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def issue_token(principal: str, lifetime_s: int = 3600) -> tuple[str, int]:
    """Return an unsigned JWT-shaped token naming ``principal`` and its expiry."""
    expires = int(time.time()) + lifetime_s
    header = _b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    claims = {"upn": principal, "oid": "00000000-0000-0000-0000-000000000001"}
    payload = _b64url(json.dumps({**claims, "exp": expires}).encode())
    return f"{header}.{payload}.", expires


def token_claims(token: str) -> dict[str, Any]:
    """Decode a JWT's claims without checking its signature (only to name it)."""
    try:
        payload = token.split(".")[1]
        padded = payload + "=" * (-len(payload) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (IndexError, ValueError) as exc:
        raise ValueError("the access token is not a JWT") from exc
    if not isinstance(claims, dict):
        raise ValueError("the access token's claims are not a JSON object")
    return claims


def principal_of(token: str) -> str:
    """Return the first principal claim present in ``token``."""
    claims = token_claims(token)
    for claim in PRINCIPAL_CLAIMS:
        value = claims.get(claim)
        if isinstance(value, str) and value:
            return value
    raise ValueError(
        f"the access token names no principal in any of {', '.join(PRINCIPAL_CLAIMS)}"
    )


class EmulatorCredential:
    """An azure-core TokenCredential for the emulator only: it issues tokens itself.

    The adapter accepts it only for endpoints on 127.0.0.1, so it never reaches
    Microsoft Entra ID or a managed-identity endpoint.
    """

    def __init__(self, principal: str = EMULATOR_PRINCIPAL) -> None:
        self.principal = principal

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        token, expires = issue_token(self.principal)
        return AccessToken(token, expires)

    def close(self) -> None:
        """Release nothing: the credential holds no connection."""
