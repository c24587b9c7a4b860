"""OTP delivery senders, exercised against real local SMTP and HTTP servers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from app.auth.senders import (
    HttpSender,
    LogSender,
    OtpMessage,
    SendError,
    SmtpSender,
    build_sender,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CODE = "004217"  # leading zeros: must survive as a string
# The test SMTP server offers AUTH over plaintext on loopback on purpose.
NO_TLS_AUTH_WARNING = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def otp(to: str = "alice@example.test", channel: str = "email", code: str = CODE,
        purpose: str = "login", message: str | None = None) -> OtpMessage:
    text = message or f"Your Wallet code is {code}. It expires in 5 minutes."
    return OtpMessage(to=to, channel=channel, purpose=purpose, code=code, message=text)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- fixtures


class RecordingSmtpHandler:
    """aiosmtpd handler: refuses recipients @refused.test, records everything else."""

    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.test"):
            return "550 5.7.1 Relaying denied"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    """Factory starting a real SMTP server on 127.0.0.1; returns (handler, port)."""
    controllers = []

    def start(**smtp_params):
        handler, port = RecordingSmtpHandler(), free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port,
                                server_hostname="localhost", **smtp_params)
        controller.start()
        controllers.append(controller)
        return handler, port

    yield start
    for controller in controllers:
        controller.stop()


class Gateway:
    """A real HTTP server recording POSTs; answers with a configurable status."""

    def __init__(self, status: int = 200, hang: bool = False, location: str | None = None):
        self.status, self.hang, self.location = status, hang, location
        self.requests: list[dict] = []
        self.release = threading.Event()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                gateway.requests.append({"path": self.path, "headers": dict(self.headers),
                                         "body": self.rfile.read(length)})
                if gateway.hang:
                    gateway.release.wait(10)
                try:
                    self.send_response(gateway.status)
                    if gateway.location:
                        self.send_header("Location", gateway.location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # client already gave up (timeout test)

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(monkeypatch):
    """Factory starting a real local HTTP gateway; proxies disabled for 127.0.0.1."""
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    started: list[Gateway] = []

    def start(**kwargs) -> Gateway:
        started.append(Gateway(**kwargs))
        return started[-1]

    yield start
    for g in started:
        g.stop()


# --------------------------------------------------------------------------- LogSender


def test_log_sender_appends_one_json_line_with_every_field_per_message(tmp_path):
    # given a log sender whose outbox lives in a directory that does not exist yet
    outbox = tmp_path / "nested" / "dir" / "outbox.jsonl"
    sender = LogSender(outbox)
    # when two messages are sent
    sender.send(otp(to="alice@example.test"))
    sender.send(otp(to="+15550001111", channel="sms", purpose="reset", code="999000"))
    # then the outbox holds exactly two JSON objects with all keys, code kept as a string
    lines = outbox.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert set(first) == {"to", "channel", "purpose", "code", "message", "sent_at"}
    assert first["to"] == "alice@example.test" and first["channel"] == "email"
    assert first["code"] == CODE and first["purpose"] == "login"
    assert first["message"] == f"Your Wallet code is {CODE}. It expires in 5 minutes."
    assert (second["to"], second["channel"], second["purpose"], second["code"]) == (
        "+15550001111", "sms", "reset", "999000")


def test_log_sender_stamps_sent_at_as_a_utc_iso_8601_timestamp(tmp_path):
    # given a log sender
    outbox = tmp_path / "outbox.jsonl"
    before = datetime.now(timezone.utc)
    # when a message is sent
    LogSender(str(outbox)).send(otp())
    # then sent_at parses as an aware UTC timestamp taken during the send
    sent_at = datetime.fromisoformat(json.loads(outbox.read_text())["sent_at"])
    assert sent_at.utcoffset() == timedelta(0)
    assert before <= sent_at <= datetime.now(timezone.utc)


def test_log_sender_keeps_all_800_lines_intact_when_16_threads_send_50_messages_each(tmp_path):
    # given one shared sender and large messages (well above any stdio buffer size)
    outbox = tmp_path / "outbox.jsonl"
    sender = LogSender(outbox)
    barrier = threading.Barrier(16)
    errors: list[BaseException] = []

    def worker(t: int) -> None:
        try:
            barrier.wait()
            for i in range(50):
                sender.send(otp(to=f"t{t}-m{i}@example.test", message=f"{t}:{i}:" + "x" * 10_000))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    # when 16 threads send 50 messages each at the same time
    threads = [threading.Thread(target=worker, args=(t,)) for t in range(16)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    # then every one of the 800 lines is a complete JSON object and none is missing
    assert errors == []
    lines = outbox.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 800
    records = [json.loads(line) for line in lines]
    assert {r["to"] for r in records} == {f"t{t}-m{i}@example.test" for t in range(16) for i in range(50)}
    assert all(r["message"].endswith("x" * 10_000) for r in records)


CHILD_SCRIPT = """
import os, sys, time
from app.auth.senders import LogSender, OtpMessage
outbox, worker, go = sys.argv[1], sys.argv[2], sys.argv[3]
sender = LogSender(outbox)
while not os.path.exists(go):
    time.sleep(0.001)
for i in range(100):
    sender.send(OtpMessage(to=f"p{worker}-m{i}", channel="sms", purpose="login",
                           code="123456", message=worker * 20000))
"""


def test_log_sender_keeps_lines_intact_when_four_processes_append_at_once(tmp_path):
    # given four separate processes waiting on a start signal to append to one outbox
    outbox, go = tmp_path / "outbox.jsonl", tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", CHILD_SCRIPT, str(outbox), str(w), str(go)],
                              cwd=PROJECT_ROOT, env=env) for w in range(4)]
    # when they are released together
    go.touch()
    codes = [p.wait(timeout=60) for p in procs]
    # then all 400 lines are whole, uncorrupted JSON objects
    assert codes == [0, 0, 0, 0]
    records = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert len(records) == 400
    assert {r["to"] for r in records} == {f"p{w}-m{i}" for w in range(4) for i in range(100)}
    assert all(r["message"] == r["to"][1] * 20000 for r in records)


# --------------------------------------------------------------------------- SmtpSender


def test_smtp_sender_delivers_the_code_by_email_through_a_real_smtp_server(smtp_server):
    # given a running SMTP server and a sender pointed at it
    handler, port = smtp_server()
    sender = SmtpSender("127.0.0.1", port, "no-reply@wallet.test", timeout=5)
    # when an e-mail OTP is sent
    sender.send(otp(to="alice@example.test"))
    # then exactly one message arrived, addressed correctly, with the code in the body
    assert len(handler.envelopes) == 1
    envelope = handler.envelopes[0]
    assert envelope.mail_from == "no-reply@wallet.test"
    assert envelope.rcpt_tos == ["alice@example.test"]
    email = message_from_bytes(envelope.original_content, policy=default_policy)
    assert email["Subject"] == "Your verification code"
    assert email["From"] == "no-reply@wallet.test" and email["To"] == "alice@example.test"
    assert email.get_content_type() == "text/plain"
    assert CODE in email.get_content()


def test_smtp_sender_raises_send_error_without_the_code_when_the_recipient_is_refused(smtp_server):
    # given a server that refuses recipients at refused.test
    handler, port = smtp_server()
    sender = SmtpSender("127.0.0.1", port, "no-reply@wallet.test", timeout=5)
    # when sending to such a recipient
    with pytest.raises(SendError) as excinfo:
        sender.send(otp(to="bob@refused.test"))
    # then nothing was delivered and the error does not leak the code
    assert handler.envelopes == []
    assert CODE not in str(excinfo.value)


def test_smtp_sender_raises_send_error_when_nothing_listens_on_the_port():
    # given a port with no server behind it
    sender = SmtpSender("127.0.0.1", free_port(), "no-reply@wallet.test", timeout=2)
    # when / then sending fails with SendError (not a raw socket error)
    with pytest.raises(SendError) as excinfo:
        sender.send(otp())
    assert CODE not in str(excinfo.value)


def test_smtp_sender_refuses_sms_channel_messages_without_sending_anything(smtp_server):
    # given a working SMTP server
    handler, port = smtp_server()
    sender = SmtpSender("127.0.0.1", port, "no-reply@wallet.test", timeout=5)
    # when an sms-channel message is handed to it
    with pytest.raises(SendError, match="sms"):
        sender.send(otp(to="+15550001111", channel="sms"))
    # then no e-mail went out
    assert handler.envelopes == []


def test_smtp_sender_rejects_a_recipient_containing_a_line_break(smtp_server):
    # given a working SMTP server
    handler, port = smtp_server()
    sender = SmtpSender("127.0.0.1", port, "no-reply@wallet.test", timeout=5)
    # when the recipient tries to smuggle an extra header
    with pytest.raises(SendError):
        sender.send(otp(to="alice@example.test\r\nBcc: eve@example.test"))
    # then nothing was delivered
    assert handler.envelopes == []


@NO_TLS_AUTH_WARNING
def test_smtp_sender_logs_in_with_the_configured_credentials(smtp_server):
    # given a server requiring authentication that records the credentials it sees
    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret", handled=False)

    handler, port = smtp_server(authenticator=authenticator, auth_require_tls=False, auth_required=True)
    sender = SmtpSender("127.0.0.1", port, "no-reply@wallet.test",
                        username="mailer", password="s3cret", timeout=5)
    # when an OTP is sent
    sender.send(otp())
    # then the sender authenticated with its credentials and the mail was accepted
    assert seen == [(b"mailer", b"s3cret")]
    assert len(handler.envelopes) == 1


@NO_TLS_AUTH_WARNING
def test_smtp_sender_raises_send_error_when_the_server_rejects_the_credentials(smtp_server):
    # given a server that rejects every login
    handler, port = smtp_server(authenticator=lambda *a: AuthResult(success=False, handled=False),
                                auth_require_tls=False, auth_required=True)
    sender = SmtpSender("127.0.0.1", port, "no-reply@wallet.test",
                        username="mailer", password="wrong", timeout=5)
    # when / then sending fails and nothing is delivered
    with pytest.raises(SendError):
        sender.send(otp())
    assert handler.envelopes == []


def test_smtp_sender_with_starttls_never_sends_in_clear_to_a_server_without_tls(smtp_server):
    # given a server that does not offer STARTTLS
    handler, port = smtp_server()
    sender = SmtpSender("127.0.0.1", port, "no-reply@wallet.test", starttls=True, timeout=5)
    # when / then the send fails instead of silently falling back to plaintext
    with pytest.raises(SendError):
        sender.send(otp())
    assert handler.envelopes == []


def test_smtp_sender_refuses_starttls_and_ssl_together():
    # given / when / then asking for both transport modes is a configuration error
    with pytest.raises(ValueError):
        SmtpSender("127.0.0.1", 25, "no-reply@wallet.test", starttls=True, use_ssl=True)


# --------------------------------------------------------------------------- HttpSender


def test_http_sender_posts_the_otp_as_json_with_a_bearer_token(gateway):
    # given a gateway and a sender holding a token
    gw = gateway()
    sender = HttpSender(gw.url, token="tok-123", timeout=5)
    # when an SMS OTP is sent
    sender.send(otp(to="+15550001111", channel="sms", purpose="reset"))
    # then the gateway received one JSON POST with the bearer header and all fields
    assert len(gw.requests) == 1
    request = gw.requests[0]
    assert request["path"] == "/sms"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["Authorization"] == "Bearer tok-123"
    assert json.loads(request["body"]) == {
        "to": "+15550001111", "channel": "sms", "purpose": "reset", "code": CODE,
        "message": f"Your Wallet code is {CODE}. It expires in 5 minutes."}


def test_http_sender_sends_no_authorization_header_without_a_token(gateway):
    # given a sender without a token
    gw = gateway()
    # when a message is sent
    HttpSender(gw.url, timeout=5).send(otp(channel="sms"))
    # then no Authorization header reached the gateway
    assert "Authorization" not in gw.requests[0]["headers"]


def test_http_sender_accepts_any_2xx_status(gateway):
    # given a gateway answering 202 Accepted
    gw = gateway(status=202)
    # when / then sending succeeds
    HttpSender(gw.url, timeout=5).send(otp(channel="sms"))
    assert len(gw.requests) == 1


def test_http_sender_raises_send_error_without_the_code_when_the_gateway_answers_500(gateway):
    # given a failing gateway
    gw = gateway(status=500)
    # when / then sending raises SendError mentioning the status but not the code
    with pytest.raises(SendError, match="500") as excinfo:
        HttpSender(gw.url, token="tok", timeout=5).send(otp(channel="sms"))
    assert CODE not in str(excinfo.value)


def test_http_sender_raises_send_error_when_the_gateway_is_slower_than_the_timeout(gateway):
    # given a gateway that hangs before answering
    gw = gateway(hang=True)
    sender = HttpSender(gw.url, timeout=0.3)
    # when sending
    started = time.monotonic()
    with pytest.raises(SendError) as excinfo:
        sender.send(otp(channel="sms"))
    # then it gave up around the timeout rather than waiting for the gateway
    assert time.monotonic() - started < 3
    assert CODE not in str(excinfo.value)


def test_http_sender_raises_send_error_when_nothing_listens_on_the_port():
    # given a URL on a port with no server behind it
    sender = HttpSender(f"http://127.0.0.1:{free_port()}/sms", timeout=2)
    # when / then sending raises SendError
    with pytest.raises(SendError):
        sender.send(otp(channel="sms"))


def test_http_sender_does_not_follow_redirects_with_its_token(gateway):
    # given a gateway that redirects elsewhere
    gw = gateway(status=302, location="/elsewhere")
    # when / then the redirect is a failure and only the original request was made
    with pytest.raises(SendError, match="302"):
        HttpSender(gw.url, token="tok", timeout=5).send(otp(channel="sms"))
    assert [r["path"] for r in gw.requests] == ["/sms"]


def test_http_sender_rejects_non_http_urls():
    # given / when / then a file: URL is refused at construction time
    with pytest.raises(ValueError):
        HttpSender("file:///etc/passwd")


# --------------------------------------------------------------------------- build_sender


def test_build_sender_makes_a_log_sender_with_the_configured_outbox(tmp_path):
    # given / when
    sender = build_sender("log", {"OTP_OUTBOX": str(tmp_path / "o.jsonl")})
    # then
    assert isinstance(sender, LogSender) and sender.path == tmp_path / "o.jsonl"


def test_build_sender_defaults_the_outbox_to_the_instance_folder():
    # given / when
    sender = build_sender("log", {})
    # then
    assert isinstance(sender, LogSender) and sender.path == Path("instance/outbox.jsonl")


def test_build_sender_makes_an_smtp_sender_from_smtp_settings():
    # given full SMTP settings with flags given as strings (as from the environment)
    settings = {"SMTP_HOST": "mail.test", "SMTP_PORT": "587", "SMTP_FROM": "no-reply@wallet.test",
                "SMTP_USERNAME": "u", "SMTP_PASSWORD": "p", "SMTP_STARTTLS": "true", "SMTP_SSL": "false"}
    # when
    sender = build_sender("smtp", settings)
    # then
    assert isinstance(sender, SmtpSender)
    assert (sender.host, sender.port, sender.sender_address) == ("mail.test", 587, "no-reply@wallet.test")
    assert (sender.username, sender.password, sender.starttls, sender.use_ssl) == ("u", "p", True, False)


def test_build_sender_defaults_the_smtp_port_to_25():
    # given / when
    sender = build_sender("smtp", {"SMTP_HOST": "mail.test", "SMTP_FROM": "a@wallet.test"})
    # then
    assert sender.port == 25 and sender.starttls is False and sender.username is None


def test_build_sender_makes_an_http_sender_from_gateway_settings():
    # given / when
    sender = build_sender("http", {"SMS_GATEWAY_URL": "https://sms.test/send", "SMS_GATEWAY_TOKEN": "t"})
    # then
    assert isinstance(sender, HttpSender)
    assert (sender.url, sender.token) == ("https://sms.test/send", "t")


def test_build_sender_rejects_an_unknown_kind():
    # given / when / then
    with pytest.raises(ValueError, match="carrier-pigeon"):
        build_sender("carrier-pigeon", {})


@pytest.mark.parametrize("kind, settings, missing", [
    ("smtp", {"SMTP_FROM": "a@wallet.test"}, "SMTP_HOST"),
    ("smtp", {"SMTP_HOST": "mail.test", "SMTP_FROM": ""}, "SMTP_FROM"),
    ("http", {"SMS_GATEWAY_TOKEN": "t"}, "SMS_GATEWAY_URL"),
])
def test_build_sender_names_the_missing_required_setting(kind, settings, missing):
    # given settings lacking a required key / when / then the error names that key
    with pytest.raises(ValueError, match=missing):
        build_sender(kind, settings)
