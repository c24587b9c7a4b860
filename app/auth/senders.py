"""One-time-password delivery: where a generated code goes once it exists.

Three senders share one tiny protocol (``send(OtpMessage) -> None``):

* ``LogSender``  - appends JSON lines to a local outbox file (dev/tests).
* ``SmtpSender`` - sends a plain-text e-mail through an SMTP server.
* ``HttpSender`` - POSTs JSON to an SMS-gateway webhook.

Every delivery failure surfaces as ``SendError``; its message never contains
the code itself, so it is safe to log or show.  Pure standard library.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any, Mapping, Protocol

log = logging.getLogger(__name__)

EMAIL_SUBJECT = "Your verification code"
EMAIL_SUBJECTS = {"account_exists": "You already have a Wallet account"}  # by purpose; else EMAIL_SUBJECT


@dataclass(frozen=True)
class OtpMessage:
    to: str
    channel: str  # "sms" | "email"
    purpose: str  # "verify" | "login" | "account_exists" (a notice: no code, code is "")
    code: str
    message: str  # human text, e.g. "Your Wallet code is 123456. ..."


class SendError(Exception):
    """Delivery failed. The message never includes the one-time code."""


class Sender(Protocol):
    def send(self, msg: OtpMessage) -> None: ...


def _fail(msg: OtpMessage, what: str, exc: BaseException) -> SendError:
    detail = f"{type(exc).__name__}: {exc}"
    if str(msg.code):
        detail = detail.replace(str(msg.code), "******")
    return SendError(f"{what} to {msg.to!r} failed: {detail}")


class LogSender:
    """Appends one JSON object per line; safe across threads and processes.

    Each line is written with a single ``os.write`` on an ``O_APPEND``
    descriptor, so concurrent writers never interleave within a line.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def send(self, msg: OtpMessage) -> None:
        record = {**asdict(msg), "code": str(msg.code),
                  "sent_at": datetime.now(timezone.utc).isoformat()}
        data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                written = os.write(fd, data)
            finally:
                os.close(fd)
        except OSError as exc:
            raise _fail(msg, "writing OTP to outbox", exc) from exc
        if written != len(data):
            raise SendError(f"short write to outbox {self.path} ({written}/{len(data)} bytes)")


class SmtpSender:
    """Sends the OTP as a plain-text e-mail. Only the "email" channel."""

    def __init__(self, host: str, port: int, sender_address: str,
                 username: str | None = None, password: str | None = None,
                 starttls: bool = False, use_ssl: bool = False,
                 timeout: float = 10.0) -> None:
        if starttls and use_ssl:
            raise ValueError("SmtpSender: choose either starttls or use_ssl, not both")
        self.host, self.port, self.sender_address = host, int(port), sender_address
        self.username, self.password = username, password
        self.starttls, self.use_ssl, self.timeout = starttls, use_ssl, timeout

    def send(self, msg: OtpMessage) -> None:
        if msg.channel != "email":
            raise SendError(f"SmtpSender cannot deliver channel {msg.channel!r}")
        try:
            email = EmailMessage()
            email["From"] = self.sender_address
            email["To"] = msg.to
            email["Subject"] = EMAIL_SUBJECTS.get(msg.purpose, EMAIL_SUBJECT)
            email["Date"] = formatdate(localtime=False, usegmt=True)
            email.set_content(msg.message)
        except ValueError as exc:  # e.g. CR/LF in an address (header injection)
            raise _fail(msg, "building OTP e-mail", exc) from exc
        context = ssl.create_default_context()
        try:
            if self.use_ssl:
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                        context=context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                if self.starttls:
                    smtp.starttls(context=context)
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(email, from_addr=self.sender_address, to_addrs=[msg.to])
        except (smtplib.SMTPException, OSError) as exc:  # socket/ssl errors are OSError
            raise _fail(msg, f"SMTP delivery via {self.host}:{self.port}", exc) from exc
        log.info("OTP e-mail sent (purpose=%s)", msg.purpose)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Treat 3xx as failure: never re-send the body/bearer token elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D401
        return None


class HttpSender:
    """POSTs the OTP as JSON to an SMS-gateway webhook; non-2xx is a failure."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 5.0) -> None:
        if not url.lower().startswith(("http://", "https://")):
            raise ValueError(f"HttpSender: url must be http(s), got {url!r}")
        self.url, self.token, self.timeout = url, token, timeout
        self._opener = urllib.request.build_opener(_NoRedirect)

    def send(self, msg: OtpMessage) -> None:
        body = json.dumps({"to": msg.to, "channel": msg.channel, "purpose": msg.purpose,
                           "message": msg.message, "code": str(msg.code)}).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        what = "SMS gateway request"
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status = response.status
                response.read()
        except urllib.error.HTTPError as exc:  # non-2xx (incl. 3xx, see _NoRedirect)
            exc.close()
            raise SendError(f"{what} to {msg.to!r} failed: HTTP {exc.code}") from None
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, resets
            raise _fail(msg, what, exc) from exc
        if not 200 <= status < 300:
            raise SendError(f"{what} to {msg.to!r} failed: HTTP {status}")
        log.info("OTP sent via SMS gateway (purpose=%s, status=%s)", msg.purpose, status)


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _require(settings: Mapping[str, Any], key: str, kind: str) -> Any:
    value = settings.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(f"OTP sender {kind!r} requires setting {key}")
    return value


def build_sender(kind: str, settings: Mapping[str, Any]) -> Sender:
    """Build the sender named by ``kind`` ("log" | "smtp" | "http") from config."""
    kind = (kind or "").strip().lower()
    if kind == "log":
        return LogSender(settings.get("OTP_OUTBOX") or "instance/outbox.jsonl")
    if kind == "smtp":
        try:
            port = int(settings.get("SMTP_PORT") or 25)
        except (TypeError, ValueError):
            raise ValueError(f"SMTP_PORT must be an integer, got {settings.get('SMTP_PORT')!r}") from None
        return SmtpSender(
            host=_require(settings, "SMTP_HOST", kind), port=port,
            sender_address=_require(settings, "SMTP_FROM", kind),
            username=settings.get("SMTP_USERNAME") or None,
            password=settings.get("SMTP_PASSWORD") or None,
            starttls=_as_bool(settings.get("SMTP_STARTTLS", False)),
            use_ssl=_as_bool(settings.get("SMTP_SSL", False)))
    if kind == "http":
        return HttpSender(_require(settings, "SMS_GATEWAY_URL", kind),
                          token=settings.get("SMS_GATEWAY_TOKEN") or None)
    raise ValueError(f"unknown OTP sender kind {kind!r}; expected 'log', 'smtp' or 'http'")
