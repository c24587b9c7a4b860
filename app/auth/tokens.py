"""JWTs: short-lived access tokens, rotating refresh tokens, and the MFA step token.

Signed HS256 with a key ring (JWT_SIGNING_KEYS, "kid:secret,..."): the first key signs, every
key verifies, so a new key can be put first while tokens signed by the old one run out.
Only HS256 is accepted: `alg: none` or any other algorithm is refused before the signature.
"""
from __future__ import annotations

from collections import OrderedDict

from datetime import timedelta

import jwt
from flask import current_app

from app.core import clock
from app.core.errors import AppError, Code
from app.core.ids import new_id

ALGORITHMS = ["HS256"]
REQUIRED = ["sub", "jti", "iat", "exp", "iss", "aud", "typ"]


def _ttl(typ: str) -> int:
    cfg = current_app.config
    return {"access": cfg["ACCESS_TOKEN_TTL"], "refresh": cfg["REFRESH_TOKEN_TTL"], "mfa": 300}[typ]


def issue(typ: str, *, sub: str, role: str = "user", sid: str | None = None, jti: str | None = None,
          auth_time: int | None = None) -> tuple[str, dict]:
    """auth_time (OpenID Connect's claim): when the session's sign-in happened, in seconds. A refreshed
    token keeps its session's, so "signed in within the last minutes" cannot be had by refreshing."""
    kid, secret = current_app.config["JWT_KEYS"][0]
    now = clock.now()
    claims = {"sub": sub, "role": role, "typ": typ, "jti": jti or new_id("jti"), "sid": sid,
              "iat": int(now.timestamp()), "exp": int((now + timedelta(seconds=_ttl(typ))).timestamp()),
              "iss": current_app.config["JWT_ISSUER"], "aud": current_app.config["JWT_AUDIENCE"]}
    if auth_time is not None:
        claims["auth_time"] = auth_time
    return jwt.encode(claims, secret, algorithm="HS256", headers={"kid": kid}), claims


CLAIMS_CACHE_SIZE = 10_000


def decode(token: str, typ: str) -> dict:
    """Verified claims of a token of type `typ`, or a 401.

    A token never changes, so its verified signature is remembered (per app, the most recent
    CLAIMS_CACHE_SIZE tokens) with the key that verified it: a client's next request skips the
    HMAC and the JSON while that key is still configured. Its times are checked again on every
    use, against our clock."""
    cache = current_app.extensions.setdefault("verified_tokens", OrderedDict())
    keys = dict(current_app.config["JWT_KEYS"])
    remembered = cache.get(token)
    if remembered is not None and keys.get(remembered[0]) == remembered[1]:
        claims = remembered[2]
    else:
        kid, secret, claims = _verify(token, keys)
        cache[token] = (kid, secret, claims)
        if len(cache) > CLAIMS_CACHE_SIZE:
            cache.pop(next(iter(cache)), None)  # the oldest; another thread may have taken it
    try:
        _check_times(claims)
    except jwt.ExpiredSignatureError:
        raise AppError(Code.TOKEN_EXPIRED, "the token has expired") from None
    except jwt.PyJWTError:
        raise AppError(Code.TOKEN_INVALID, "the token is not valid") from None
    if claims.get("typ") != typ:
        raise AppError(Code.TOKEN_INVALID, f"an {typ} token is required")
    return claims


def _verify(token: str, keys: dict[str, str]) -> tuple[str, str, dict]:
    """(kid, secret, claims) of a token whose signature, audience, issuer and times check out."""
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") not in ALGORITHMS:
            raise jwt.InvalidAlgorithmError("algorithm not allowed")
        secret = keys.get(header.get("kid"))
        if secret is None:
            raise jwt.InvalidKeyError("unknown key id")
        return header["kid"], secret, _decode(token, secret)
    except jwt.ExpiredSignatureError:
        raise AppError(Code.TOKEN_EXPIRED, "the token has expired") from None
    except jwt.PyJWTError:
        raise AppError(Code.TOKEN_INVALID, "the token is not valid") from None


def _decode(token: str, secret: str) -> dict:
    cfg = current_app.config
    # PyJWT checks signature, audience, issuer and required claims; times are checked against our
    # clock (movable in tests), with the same few seconds of leeway.
    claims = jwt.decode(token, secret, algorithms=ALGORITHMS, audience=cfg["JWT_AUDIENCE"],
                        issuer=cfg["JWT_ISSUER"], options={"require": REQUIRED, "verify_exp": False,
                                                           "verify_iat": False, "verify_nbf": False})
    if not isinstance(claims["exp"], int) or not isinstance(claims["iat"], int):
        raise jwt.InvalidTokenError("exp and iat must be integers")
    _check_times(claims)
    return claims


def _check_times(claims: dict) -> None:
    leeway = current_app.config["JWT_LEEWAY"]
    now = clock.now().timestamp()
    if claims["exp"] + leeway < now:
        raise jwt.ExpiredSignatureError("expired")
    if claims["iat"] - leeway > now:
        raise jwt.ImmatureSignatureError("issued in the future")
