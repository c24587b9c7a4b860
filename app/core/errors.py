"""One error envelope for every failure: {"error": {"code", "message", "details"}}.

`code` is a stable snake_case string; clients branch on it, never on `message`.
"""
from __future__ import annotations

import logging
import time
from enum import StrEnum

from flask import Flask, jsonify
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class Code(StrEnum):
    # 400 / 422: bad input
    BAD_REQUEST = "bad_request"
    VALIDATION_ERROR = "validation_error"
    IDEMPOTENCY_KEY_INVALID = "idempotency_key_invalid"
    SELF_TRANSFER = "self_transfer"
    CURRENCY_NOT_SUPPORTED = "currency_not_supported"
    BALANCE_LIMIT_EXCEEDED = "balance_limit_exceeded"
    AMOUNT_TOO_LARGE = "amount_too_large"
    WEAK_PASSWORD = "weak_password"
    WEAK_PIN = "weak_pin"
    # 401: no or bad credentials
    UNAUTHORIZED = "unauthorized"
    INVALID_CREDENTIALS = "invalid_credentials"
    TOKEN_INVALID = "token_invalid"
    TOKEN_EXPIRED = "token_expired"
    TOKEN_REVOKED = "token_revoked"
    OTP_INVALID = "otp_invalid"
    OTP_EXPIRED = "otp_expired"
    MFA_INVALID = "mfa_invalid"
    # 402: payment refused
    INSUFFICIENT_FUNDS = "insufficient_funds"
    CARD_DECLINED = "card_declined"
    # 403: not allowed
    FORBIDDEN = "forbidden"
    NOT_VERIFIED = "not_verified"
    ACCOUNT_LOCKED = "account_locked"
    WALLET_FROZEN = "wallet_frozen"
    RECIPIENT_FROZEN = "recipient_frozen"
    PIN_REQUIRED = "pin_required"
    PIN_INVALID = "pin_invalid"
    PIN_LOCKED = "pin_locked"
    # 404, 405, 409, 410, 413, 429
    NOT_FOUND = "not_found"
    RECIPIENT_NOT_FOUND = "recipient_not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress"
    ALREADY_EXISTS = "already_exists"
    HOLD_NOT_PENDING = "hold_not_pending"
    HOLD_EXPIRED = "hold_expired"
    AMOUNT_EXCEEDS_HOLD = "amount_exceeds_hold"
    # merchant-presented QR payments
    QR_INVALID = "qr_invalid"  # 422: not an EMV code, or a broken one
    QR_NOT_PAYABLE = "qr_not_payable"  # 422: another scheme's code, or one we did not issue / altered
    QR_ALREADY_PAID = "qr_already_paid"  # 409
    QR_EXPIRED = "qr_expired"  # 410
    QR_CANCELED = "qr_canceled"  # 409
    GONE = "gone"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    RATE_LIMITED = "rate_limited"
    # consumer payment codes
    PAYMENT_CODE_INVALID = "payment_code_invalid"  # 402: malformed, unknown or wrong code
    PAYMENT_CODE_EXPIRED = "payment_code_expired"  # 402: older than the current and previous period
    PAYMENT_CODE_USED = "payment_code_used"  # 402: single use
    PAYMENT_CODE_REVOKED = "payment_code_revoked"  # 402: the device (or its owner) can no longer pay
    TOO_MANY_ATTEMPTS = "too_many_attempts"  # 429: too many refused codes from one terminal
    DEVICE_REVOKED = "device_revoked"  # 410: asking a revoked device for a code
    TOO_MANY_DEVICES = "too_many_devices"  # 409
    WALLET_SLOT_UNAVAILABLE = "wallet_slot_unavailable"  # 422: only the first ten wallets have a slot
    # terminals
    TERMINAL_UNKNOWN = "terminal_unknown"  # 401
    SIGNATURE_INVALID = "signature_invalid"  # 401
    TIMESTAMP_OUT_OF_RANGE = "timestamp_out_of_range"  # 401
    NONCE_REUSED = "nonce_reused"  # 401
    TERMINAL_DISABLED = "terminal_disabled"  # 403
    PAYMENT_REQUEST_NOT_PENDING = "payment_request_not_pending"  # 409: cancel after payment, and so on
    CONFIRMATION_EXPIRED = "confirmation_expired"  # 410: the customer did not approve in time
    CHARGE_NOT_PENDING = "charge_not_pending"  # 409: confirm a charge that is no longer waiting
    REFUND_EXCEEDS_REMAINING = "refund_exceeds_remaining"  # 422
    NOT_REFUNDABLE = "not_refundable"  # 409: a failed, reversed or unconfirmed charge
    REVERSAL_WINDOW_CLOSED = "reversal_window_closed"  # 409
    ALREADY_CAPTURED = "already_captured"  # 409: a second capture
    AUTHORIZATION_VOIDED = "authorization_voided"  # 409: capture after void (or expiry)
    # merchant gateway
    INVALID_API_KEY = "invalid_api_key"  # 401
    REFERENCE_TAKEN = "reference_taken"  # 409: an order reference is unique per merchant
    ORDER_NOT_PENDING = "order_not_pending"  # 409
    ORDER_NOT_REFUNDABLE = "order_not_refundable"  # 409
    WEBHOOK_URL_INVALID = "webhook_url_invalid"  # 422
    DELIVERY_NOT_RETRYABLE = "delivery_not_retryable"  # 409
    # 5xx
    INTERNAL = "internal_error"


class AppError(Exception):
    """A refusal the client can act on. Services raise it; the handler renders the envelope."""

    def __init__(self, code: Code, message: str, status: int = 400, details: dict | None = None,
                 headers: dict | None = None):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status
        self.details = details or {}
        self.headers = headers or {}


def not_found(what: str = "resource") -> AppError:
    return AppError(Code.NOT_FOUND, f"{what} not found", 404)


def envelope(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": str(code), "message": message, "details": details or {}}}


def error_response(code: str, message: str, status: int, details: dict | None = None, headers=None):
    response = jsonify(envelope(code, message, details))
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def validation_error_response(exc: ValidationError):
    """flask-openapi3 calls this for schema failures: 422 with each failing field."""
    fields = [
        {"field": ".".join(str(p) for p in err["loc"]) or "body", "message": err["msg"], "type": err["type"]}
        for err in exc.errors(include_url=False, include_input=False)
    ]
    first = fields[0] if fields else {"field": "body", "message": "invalid"}
    return error_response(Code.VALIDATION_ERROR, f"{first['field']}: {first['message']}", 422,
                          {"fields": fields})


_HTTP_CODES = {400: Code.BAD_REQUEST, 401: Code.UNAUTHORIZED, 403: Code.FORBIDDEN, 404: Code.NOT_FOUND,
               405: Code.METHOD_NOT_ALLOWED, 409: Code.CONFLICT, 410: Code.GONE, 413: Code.PAYLOAD_TOO_LARGE,
               415: Code.BAD_REQUEST, 422: Code.VALIDATION_ERROR, 429: Code.RATE_LIMITED}


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
    from app.extensions import limiter  # here, not at the top: extensions imports core modules
    current = limiter.current_limit
    return max(1, int(current.reset_at - time.time())) if current else 60
