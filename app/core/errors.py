"""One error envelope for every failure: {"error": {"code", "message", "details"}}.

`code` is a stable snake_case string; clients branch on it, never on `message`.
"""
from __future__ import annotations

import logging
import time
from enum import StrEnum

from flask import Flask, g, has_request_context, jsonify
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from app.extensions import limiter

log = logging.getLogger(__name__)


class Code(StrEnum):
    """Every error code with its one HTTP status: a raise names the code, the status follows.

    The only override is a terminal's refused payment, answered 402 whatever the reason (see
    `AppError.as_payment_refusal`): the till shows "payment refused" and the code says why.
    """

    def __new__(cls, value: str, status: int):
        member = str.__new__(cls, value)
        member._value_ = value
        member.status = status
        return member

    status: int

    # bad input
    BAD_REQUEST = "bad_request", 400
    VALIDATION_ERROR = "validation_error", 422
    IDEMPOTENCY_KEY_INVALID = "idempotency_key_invalid", 400
    SELF_TRANSFER = "self_transfer", 422
    CURRENCY_NOT_SUPPORTED = "currency_not_supported", 422
    BALANCE_LIMIT_EXCEEDED = "balance_limit_exceeded", 422
    AMOUNT_TOO_LARGE = "amount_too_large", 422
    AMOUNT_EXCEEDS_HOLD = "amount_exceeds_hold", 422
    WEAK_PASSWORD = "weak_password", 422
    WEAK_PIN = "weak_pin", 422
    # no or bad credentials
    UNAUTHORIZED = "unauthorized", 401
    INVALID_CREDENTIALS = "invalid_credentials", 401
    TOKEN_INVALID = "token_invalid", 401
    TOKEN_EXPIRED = "token_expired", 401
    TOKEN_REVOKED = "token_revoked", 401
    OTP_INVALID = "otp_invalid", 401
    MFA_INVALID = "mfa_invalid", 401
    # payment refused
    INSUFFICIENT_FUNDS = "insufficient_funds", 402
    CARD_DECLINED = "card_declined", 402
    LIMIT_EXCEEDED = "limit_exceeded", 402  # a tier limit; details: limit, limit_amount, remaining, resets_at
    # not allowed
    FORBIDDEN = "forbidden", 403
    NOT_VERIFIED = "not_verified", 403
    ACCOUNT_LOCKED = "account_locked", 403
    WALLET_FROZEN = "wallet_frozen", 403
    RECIPIENT_FROZEN = "recipient_frozen", 403
    PIN_REQUIRED = "pin_required", 403
    PIN_INVALID = "pin_invalid", 403
    PIN_LOCKED = "pin_locked", 403
    ROLE_NOT_ALLOWED = "role_not_allowed", 403  # merchant staff or an operator whose role may not do this
    NOT_AN_OPERATOR = "not_an_operator", 403  # an operator endpoint called by a user or a merchant key
    SELF_APPROVAL = "self_approval", 403  # deciding one's own adjustment: it takes a second operator
    OFFLINE_FROZEN = "offline_frozen", 403  # a purse of this wallet was overspent: no new purses
    FREEZE_SET_BY_OPERATOR = "freeze_set_by_operator", 403  # a user lifting an operator's freeze
    FRESH_SIGN_IN_REQUIRED = "fresh_sign_in_required", 403  # sign in again (lifting one's own freeze)
    # not there, not now
    NOT_FOUND = "not_found", 404
    RECIPIENT_NOT_FOUND = "recipient_not_found", 404
    METHOD_NOT_ALLOWED = "method_not_allowed", 405
    CONFLICT = "conflict", 409
    IDEMPOTENCY_CONFLICT = "idempotency_conflict", 409
    IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress", 409  # the first attempt is still running: retry
    ALREADY_EXISTS = "already_exists", 409
    HOLD_NOT_PENDING = "hold_not_pending", 409
    HOLD_EXPIRED = "hold_expired", 410
    GONE = "gone", 410
    REQUEST_TIMEOUT = "request_timeout", 408  # the body did not arrive within REQUEST_BODY_TIMEOUT
    PAYLOAD_TOO_LARGE = "payload_too_large", 413
    URI_TOO_LONG = "uri_too_long", 414  # answered by the server bridge (app.core.rsgi_bridge)
    HEADERS_TOO_LARGE = "headers_too_large", 431  # likewise
    RATE_LIMITED = "rate_limited", 429
    # merchant-presented QR payments
    QR_INVALID = "qr_invalid", 422  # not an EMV code, or a broken one
    QR_NOT_PAYABLE = "qr_not_payable", 422  # another scheme's code, or one we did not issue / altered
    QR_ALREADY_PAID = "qr_already_paid", 409
    QR_EXPIRED = "qr_expired", 410
    QR_CANCELED = "qr_canceled", 409
    # consumer payment codes
    PAYMENT_CODE_INVALID = "payment_code_invalid", 402  # malformed, unknown or wrong code
    PAYMENT_CODE_EXPIRED = "payment_code_expired", 402  # older than the current and previous period
    PAYMENT_CODE_USED = "payment_code_used", 402  # single use
    PAYMENT_CODE_REVOKED = "payment_code_revoked", 402  # the device (or its owner) can no longer pay
    PAYER_FROZEN = "payer_frozen", 402  # a freeze covers the payer's wallet (what a terminal shows)
    TOO_MANY_ATTEMPTS = "too_many_attempts", 429  # too many refused codes from one terminal
    DEVICE_REVOKED = "device_revoked", 410  # asking a revoked device for a code
    TOO_MANY_DEVICES = "too_many_devices", 409
    WALLET_SLOT_UNAVAILABLE = "wallet_slot_unavailable", 422  # only the first ten wallets have a slot
    # terminals
    TERMINAL_UNKNOWN = "terminal_unknown", 401
    SIGNATURE_INVALID = "signature_invalid", 401
    TIMESTAMP_INVALID = "timestamp_invalid", 401  # X-Timestamp is not whole unix seconds in ASCII digits
    TIMESTAMP_OUT_OF_RANGE = "timestamp_out_of_range", 401
    NONCE_REUSED = "nonce_reused", 401
    TERMINAL_DISABLED = "terminal_disabled", 403
    PAYMENT_REQUEST_NOT_PENDING = "payment_request_not_pending", 409  # cancel after payment, and so on
    CONFIRMATION_EXPIRED = "confirmation_expired", 410  # the customer did not approve in time
    CHARGE_NOT_PENDING = "charge_not_pending", 409  # confirm a charge that is no longer waiting
    REFUND_EXCEEDS_REMAINING = "refund_exceeds_remaining", 422
    NOT_REFUNDABLE = "not_refundable", 409  # a failed, reversed or unconfirmed charge
    REVERSAL_WINDOW_CLOSED = "reversal_window_closed", 409
    ALREADY_CAPTURED = "already_captured", 409  # a second capture
    AUTHORIZATION_VOIDED = "authorization_voided", 409  # capture after void (or expiry)
    # merchant gateway
    INVALID_API_KEY = "invalid_api_key", 401
    REFERENCE_TAKEN = "reference_taken", 409  # an order reference is unique per merchant
    ORDER_NOT_PENDING = "order_not_pending", 409
    ORDER_NOT_REFUNDABLE = "order_not_refundable", 409
    WEBHOOK_URL_INVALID = "webhook_url_invalid", 422
    DELIVERY_NOT_RETRYABLE = "delivery_not_retryable", 409
    # running the wallet
    ADJUSTMENT_NOT_PENDING = "adjustment_not_pending", 409  # approved or rejected already
    FREEZE_NOT_ACTIVE = "freeze_not_active", 409  # lifting a freeze already lifted or past its end
    # the server's fault
    INTERNAL = "internal_error", 500
    # the server is busy: come back after Retry-After
    TOO_MANY_WAITERS = "too_many_waiters", 503  # this process already holds LONG_POLL_MAX_WAITERS long polls
    PURSES_UNAVAILABLE = "purses_unavailable", 503  # no PURSE_ISSUER_KEYS configured


PAYMENT_REFUSED = 402  # what a terminal hears for any refused payment (see AppError.as_payment_refusal)


class AppError(Exception):
    """A refusal the client can act on. Services raise it; the handler renders the envelope with
    the code's status."""

    def __init__(self, code: Code, message: str, details: dict | None = None, headers: dict | None = None):
        super().__init__(message)
        self.code, self.message, self.status = code, message, code.status
        self.details = details or {}
        self.headers = headers or {}

    def as_payment_refusal(self, **details) -> "AppError":
        """The same refusal as a terminal hears it: 402 whatever the code, and only `details` (the
        failed charge's id): the shop must not learn the customer's balance. The one place a code's
        status is overridden."""
        refused = AppError(self.code, self.message, details, self.headers)
        refused.status = PAYMENT_REFUSED
        return refused


def not_found(what: str = "resource") -> AppError:
    return AppError(Code.NOT_FOUND, f"{what} not found")


def envelope(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": str(code), "message": message, "details": details or {}}}


def error_response(code: str, message: str, status: int, details: dict | None = None, headers=None):
    if has_request_context():
        g.error_code = str(code)  # counted by app.core.observability's after_request hook
    response = jsonify(envelope(code, message, details))
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _message(err: dict) -> str:
    # A body that is not a JSON object (no content type, as curl -d sends, or not JSON at all)
    # reaches the schema as nothing: pydantic's words name our model class ("instance of
    # LoginBody"), which tells the caller nothing they can act on.
    if not err["loc"] and err["type"] == "model_type":
        return "expected a JSON object, sent with Content-Type: application/json"
    return err["msg"]


def validation_error_response(exc: ValidationError):
    """flask-openapi3 calls this for schema failures: 422 with each failing field."""
    fields = [
        {"field": ".".join(str(p) for p in err["loc"]) or "body", "message": _message(err), "type": err["type"]}
        for err in exc.errors(include_url=False, include_input=False)
    ]
    first = fields[0] if fields else {"field": "body", "message": "invalid"}
    return error_response(Code.VALIDATION_ERROR, f"{first['field']}: {first['message']}", 422,
                          {"fields": fields})


_HTTP_CODES = {400: Code.BAD_REQUEST, 401: Code.UNAUTHORIZED, 403: Code.FORBIDDEN, 404: Code.NOT_FOUND,
               405: Code.METHOD_NOT_ALLOWED, 408: Code.REQUEST_TIMEOUT, 409: Code.CONFLICT, 410: Code.GONE,
               413: Code.PAYLOAD_TOO_LARGE, 414: Code.URI_TOO_LONG, 415: Code.BAD_REQUEST,
               422: Code.VALIDATION_ERROR, 429: Code.RATE_LIMITED, 431: Code.HEADERS_TOO_LARGE}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(AppError)
    def _app_error(exc: AppError):
        return error_response(exc.code, exc.message, exc.status, exc.details, exc.headers)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if exc.response is not None and exc.response.is_json:
            return exc.response  # already an envelope (schema validation via abort())
        status = exc.code or 500
        headers = {}
        if status == 429:
            headers["Retry-After"] = str(_limiter_retry_after())
        code = _HTTP_CODES.get(status, Code.BAD_REQUEST if status < 500 else Code.INTERNAL)
        return error_response(code, exc.description or exc.name, status, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return error_response(Code.INTERNAL, "internal error", 500)


def _limiter_retry_after() -> int:
    """Seconds until the limit that refused this request lets the next one through."""
    current = limiter.current_limit
    return max(1, int(current.reset_at - time.time())) if current else 60
