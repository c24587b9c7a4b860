"""JWTs: short-lived access tokens, rotating refresh tokens, and the MFA step token.

Signed HS256 with a key ring (JWT_SIGNING_KEYS, "kid:secret,..."): the first key signs, every
key verifies, so a new key can be put first while tokens signed by the old one run out.
Only HS256 is accepted: `alg: none` or any other algorithm is refused before the signature.
"""
from __future__ import annotations

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


def issue(typ: str, *, sub: str, role: str = "user", sid: str | None = None, jti: str | None = None) -> tuple[str, dict]:
    kid, secret = current_app.config["JWT_KEYS"][0]
    now = clock.now()
    claims = {"sub": sub, "role": role, "typ": typ, "jti": jti or new_id("jti"), "sid": sid,
              "iat": int(now.timestamp()), "exp": int((now + timedelta(seconds=_ttl(typ))).timestamp()),
              "iss": current_app.config["JWT_ISSUER"], "aud": current_app.config["JWT_AUDIENCE"]}
    return jwt.encode(claims, secret, algorithm="HS256", headers={"kid": kid}), claims


def decode(token: str, typ: str) -> dict:
    """Verified claims of a token of type `typ`, or a 401."""
    keys = dict(current_app.config["JWT_KEYS"])
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") not in ALGORITHMS:
            raise jwt.InvalidAlgorithmError("algorithm not allowed")
        secret = keys.get(header.get("kid"))
        if secret is None:
            raise jwt.InvalidKeyError("unknown key id")
        claims = _decode(token, secret)
    except jwt.ExpiredSignatureError:
        raise AppError(Code.TOKEN_EXPIRED, "the token has expired") from None
    except jwt.PyJWTError:
        raise AppError(Code.TOKEN_INVALID, "the token is not valid") from None
    if claims.get("typ") != typ:
        raise AppError(Code.TOKEN_INVALID, f"an {typ} token is required")
    return claims


def _decode(token: str, secret: str) -> dict:
    cfg = current_app.config
    leeway = cfg["JWT_LEEWAY"]
    # PyJWT checks signature, audience, issuer and required claims; times are checked against our
    # clock (movable in tests), with the same few seconds of leeway.
    claims = jwt.decode(token, secret, algorithms=ALGORITHMS, audience=cfg["JWT_AUDIENCE"],
                        issuer=cfg["JWT_ISSUER"], options={"require": REQUIRED, "verify_exp": False,
                                                           "verify_iat": False, "verify_nbf": False})
    if not isinstance(claims["exp"], int) or not isinstance(claims["iat"], int):
        raise jwt.InvalidTokenError("exp and iat must be integers")
    now = clock.now().timestamp()
    if claims["exp"] + leeway < now:
        raise jwt.ExpiredSignatureError("expired")
    if claims["iat"] - leeway > now:
        raise jwt.ImmatureSignatureError("issued in the future")
    return claims
