"""Sign-up, sign-in, sessions, second factor and PIN endpoints. Thin: schema, one service call."""
from flask import current_app, request
from flask_openapi3 import APIBlueprint, Tag

from app.auth.current import authenticate, current_claims, current_user
from app.auth.identity import normalize
from app.auth.presenters import me_out, user_out
from app.auth.schemas import (Accepted, CodeBody, DeviceHeader, IdentifierBody, LoginBody, LoginOut, MeOut, MfaBody,
                              PinBody, RecoveryCodesOut, RefreshBody, RegisterBody, RegisterOut,
                              SessionList, SessionPath, Tokens, TotpCodeBody, TotpSetupOut)
from app.auth.services import login as login_service
from app.auth.services import pin, registration, second_factor, sessions
from app.core.network import client_address
from app.extensions import limiter

auth_api = APIBlueprint("auth", __name__, url_prefix="/api/v1/auth", abp_tags=[Tag(name="auth")])
account_api = APIBlueprint("account", __name__, url_prefix="/api/v1", abp_security=[{"bearer": []}],
                           abp_tags=[Tag(name="account")])
account_api.before_request(authenticate)


def _identifier_key() -> str:
    """Rate-limit key for per-identifier limits: whom the request is about, not where it comes from."""
    body = request.get_json(silent=True) or {}
    value = body.get("identifier") or body.get("phone") or body.get("email") if isinstance(body, dict) else None
    return "id:" + normalize(value) if isinstance(value, str) else "id:" + client_address()


def _limit(setting: str, key_func=client_address):
    return limiter.limit(lambda: current_app.config[setting], key_func=key_func,
                         scope=f"{setting}")


def _device(header: DeviceHeader) -> str:
    return header.x_device_name or request.user_agent.string[:100] or "unknown device"


@auth_api.post("/register", responses={201: RegisterOut})
@_limit("LIMIT_REGISTER_PER_IP")
def register(body: RegisterBody):
    """Create an account; a six-digit code goes to the phone (SMS) or else the e-mail.
    Answers alike for a phone or e-mail that already has an account (its owner is told instead)."""
    result = registration.register(phone=body.phone, email=body.email, password=body.password, name=body.name)
    return {"user": user_out(result["user"]), "verification": result["verification"]}, 201


@auth_api.post("/verify", responses={200: Tokens})
@_limit("LIMIT_VERIFY_PER_IP")
@_limit("LIMIT_VERIFY_PER_IDENTIFIER", _identifier_key)
def verify(body: CodeBody, header: DeviceHeader):
    """Prove the phone or e-mail with the code; opens the first wallet and signs in."""
    return registration.verify(identifier=body.identifier, code=body.code, device_name=_device(header),
                               ip=client_address())


@auth_api.post("/login", responses={200: LoginOut})
@_limit("LIMIT_LOGIN_PER_IP")
@_limit("LIMIT_LOGIN_PER_IDENTIFIER", _identifier_key)
def login(body: LoginBody, header: DeviceHeader):
    """Sign in with a password. With TOTP on, answers mfa_required and a token for /login/mfa."""
    return login_service.login(identifier=body.identifier, password=body.password, device_name=_device(header),
                               ip=client_address())


@auth_api.post("/login/mfa", responses={200: Tokens})
@_limit("LIMIT_LOGIN_PER_IP")
def login_mfa(body: MfaBody, header: DeviceHeader):
    """Second step of sign-in: an authenticator code, or one unused recovery code."""
    return login_service.login_mfa(mfa_token=body.mfa_token, code=body.code, device_name=_device(header),
                                   ip=client_address())


@auth_api.post("/otp/request", responses={202: Accepted})
@_limit("LIMIT_OTP_PER_IP")
@_limit("LIMIT_OTP_PER_IDENTIFIER", _identifier_key)
def otp_request(body: IdentifierBody):
    """Send a sign-in code (or, to an unverified account, a new verification code).
    Answers 202 whether or not the account exists."""
    registration.request_code(identifier=body.identifier)
    return {"status": "accepted"}, 202


@auth_api.post("/otp/login", responses={200: Tokens})
@_limit("LIMIT_LOGIN_PER_IP")
@_limit("LIMIT_LOGIN_PER_IDENTIFIER", _identifier_key)
def otp_login(body: CodeBody, header: DeviceHeader):
    """Passwordless sign-in with the code from /otp/request."""
    return login_service.otp_login(identifier=body.identifier, code=body.code, device_name=_device(header),
                                   ip=client_address())


@auth_api.post("/refresh", responses={200: Tokens})
@_limit("LIMIT_LOGIN_PER_IP")
def refresh(body: RefreshBody):
    """Trade a refresh token for a new pair; the old refresh token dies (reuse ends the session)."""
    return sessions.refresh(body.refresh_token)


@account_api.post("/auth/logout", responses={204: None})
def logout():
    """End the current session; its access and refresh tokens stop working at once."""
    sessions.end_session(current_user(), current_claims()["sid"])
    return "", 204


@account_api.get("/auth/sessions", responses={200: SessionList})
def list_sessions():
    """Signed-in devices."""
    rows = sessions.list_sessions(current_user(), current_claims()["sid"])
    return {"data": [row | {"created_at": row["created_at"].isoformat(),
                            "last_used_at": row["last_used_at"].isoformat()} for row in rows]}


@account_api.delete("/auth/sessions/<session_id>", responses={204: None})
def end_session(path: SessionPath):
    """Sign a device out."""
    sessions.end_session(current_user(), path.session_id, reason="ended_by_user")
    return "", 204


@account_api.post("/auth/totp/setup", responses={200: TotpSetupOut})
def totp_setup():
    """Start authenticator-app setup: a secret, its otpauth:// URI and a QR code (SVG)."""
    return second_factor.setup(current_user())


@account_api.post("/auth/totp/enable", responses={200: RecoveryCodesOut, 409: None})
def totp_enable(body: TotpCodeBody):
    """Turn TOTP on with a code from the app; returns ten one-time recovery codes."""
    return second_factor.enable(current_user(), body.code)


@account_api.post("/auth/totp/disable", responses={204: None, 409: None})
def totp_disable(body: TotpCodeBody):
    """Turn TOTP off with a code from the app or a recovery code."""
    second_factor.disable(current_user(), body.code)
    return "", 204


@account_api.put("/me/pin", responses={204: None})
def set_pin(body: PinBody):
    """Set or change the six-digit payment PIN (changing needs the current one)."""
    pin.set_pin(current_user(), body.pin, body.current_pin)
    return "", 204


@account_api.get("/me", responses={200: MeOut})
def me():
    """The caller's profile, verification state, security settings and limits."""
    return me_out(current_user())
