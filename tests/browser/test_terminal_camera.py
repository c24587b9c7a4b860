"""The till scans the customer's offline confirmation (WCF1:...:<payment id>) with the camera:
Chromium's fake capture device plays a Y4M of the confirmation's QR, so the scan is real. The
payment id exists only after the phone pays the till's code, and the video file is named when
Chromium starts, so Chromium starts on a placeholder of the same size, and the file is replaced
before the page opens the camera (Chromium reads the file when capture starts)."""
from __future__ import annotations

import io
import json
import os
import uuid

import pytest
import qrcode
import qrcode.image.pure

from tests.support.browser import Console, fake_camera_args, launch, read_qr, y4m_of_png
from tests.support.purse import Phone
from tests.support.qr import merchant_balance
from tests.support.qr import pay as pay_qr
from tests.support.terminals import make_terminal

expect = pytest.importorskip("playwright.sync_api").expect


def qr_png(text: str, version: int = 8, correction=qrcode.constants.ERROR_CORRECT_M, box: int = 6) -> bytes:
    # A fixed version, so the placeholder and the real picture (and so the videos) are the same size.
    code = qrcode.QRCode(version=version, error_correction=correction, box_size=box, border=4,
                         image_factory=qrcode.image.pure.PyPNGImage)
    code.add_data(text.encode())
    code.make(fit=False)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()


def test_the_offline_till_scans_the_confirmation_and_uploads_its_payment_id(app, api, base_url, playwright, tmp_path):
    terminal = make_terminal(api)
    carol = api.person(name="Carol", balance=5_000)
    video = y4m_of_png(qr_png("WCF1:placeholder"), tmp_path / "camera.y4m")

    console = Console()
    chromium = launch(playwright, *fake_camera_args(video))
    try:
        context = chromium.new_context(viewport={"width": 1000, "height": 1000}, base_url=base_url,
                                       permissions=["camera"])
        page = context.new_page()
        page.set_default_timeout(10_000)
        console.watch(page)
        page.goto("/terminal")
        page.get_by_label("Terminal id").fill(terminal.terminal_id)
        page.get_by_label("Terminal secret").fill(terminal.secret)
        page.get_by_role("button", name="Connect").click()
        page.get_by_label("Offline (no uplink)").check()
        expect(page.locator("#notice")).to_contain_text("Offline")
        page.get_by_label("Amount", exact=True).fill("2.50")
        page.get_by_role("button", name="Show QR code").click()
        payload = read_qr(page.locator("#request-qr").screenshot())

        paid = pay_qr(api, carol, payload, key=str(uuid.uuid4()))
        assert paid.status_code == 201, paid.json
        scanned = y4m_of_png(qr_png(paid.json["offline"]["confirmation_payload"]), tmp_path / "next.y4m")
        os.replace(scanned, video)

        page.get_by_role("button", name="Scan the confirmation").click()
        expect(page.locator("#request-status")).to_have_text("Paid (offline): the sale is queued for upload.")
        expect(page.locator("#scan-video")).to_be_hidden()  # the camera is off once it has read
        with page.expect_request(lambda request: request.url.endswith("/api/v1/pos/offline/sales")) as upload:
            page.get_by_label("Offline (no uplink)").uncheck()
        expect(page.get_by_role("list", name="Upload answers")).to_have_text("Sale 1: posted")
    finally:
        chromium.close()
    [record] = upload.value.post_data_json["records"]
    assert record["payment_id"] == paid.json["id"]  # only the scanned form carries it
    assert merchant_balance(app, terminal.merchant_id) == 250
    assert console.errors == []


def purse_qr_png(text: str) -> bytes:
    """A purse payment (WPP1: + certificate and token, some 650 characters) as a version-20 QR."""
    return qr_png(text, version=20, correction=qrcode.constants.ERROR_CORRECT_L, box=4)


def test_the_offline_till_scans_a_purse_payment_with_the_camera(app, api, base_url, playwright, tmp_path):
    terminal = make_terminal(api)
    phone = Phone(api.person(name="Dana", balance=5_000))  # the phone's side, in Python (tests/support/purse.py)
    assert phone.take_purse(api, 2_000).status_code == 201
    video = y4m_of_png(purse_qr_png("WPP1:placeholder"), tmp_path / "camera.y4m")

    console = Console()
    chromium = launch(playwright, *fake_camera_args(video))
    try:
        context = chromium.new_context(viewport={"width": 1000, "height": 1000}, base_url=base_url,
                                       permissions=["camera"])
        page = context.new_page()
        page.set_default_timeout(10_000)
        console.watch(page)
        page.goto("/terminal")
        page.get_by_label("Terminal id").fill(terminal.terminal_id)
        page.get_by_label("Terminal secret").fill(terminal.secret)
        page.get_by_role("button", name="Connect").click()
        page.get_by_label("Offline (no uplink)").check()
        expect(page.locator("#notice")).to_contain_text("Offline")
        page.get_by_label("Amount", exact=True).fill("6.00")
        page.get_by_role("button", name="Show QR code").click()
        payload = read_qr(page.locator("#request-qr").screenshot())
        nonce = page.evaluate("async (p) => (await import('/static/wallet/js/purse.js')).readRequest(p).nonce", payload)

        token = phone.token(terminal.terminal_id, 600, nonce=nonce)
        shown = "WPP1:" + json.dumps({"certificate": phone.certificate, "token": token}, separators=(",", ":"))
        os.replace(y4m_of_png(purse_qr_png(shown), tmp_path / "next.y4m"), video)

        page.get_by_role("button", name="Scan the purse payment").click()
        expect(page.locator("#request-status")).to_have_text("Paid with the customer's offline purse: queued for upload.")
        expect(page.locator("#scan-video")).to_be_hidden()
        page.get_by_label("Offline (no uplink)").uncheck()
        expect(page.get_by_role("list", name="Upload answers")).to_have_text("Purse payment of $6.00 (token 1): posted")
    finally:
        chromium.close()
    assert merchant_balance(app, terminal.merchant_id) == 600
    assert console.errors == []
