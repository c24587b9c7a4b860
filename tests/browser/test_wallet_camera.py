"""Scan and pay with the camera: Chromium's fake capture device plays a video of one of our
dynamic QR codes (its PNG from the API), so the page's scan is real (jsQR here: Chromium on
Linux has no BarcodeDetector). The video is fixed when Chromium starts, so this test launches
a Chromium of its own after making the code."""
from __future__ import annotations

import pytest

from tests.support.browser import (
    PHONE,
    Console,
    fake_camera_args,
    launch,
    sign_in_with_a_code,
    y4m_of_png,
)
from tests.support.qr import create_code, make_merchant

expect = pytest.importorskip("playwright.sync_api").expect


def test_the_camera_reads_a_merchants_code_and_the_person_pays_it(api, base_url, playwright, tmp_path):
    alice = api.person(name="Alice", balance=1000)
    owner = api.person(name="Shop Owner")
    merchant = make_merchant(api.app, api, owner=owner)
    code = create_code(api, owner, merchant, kind="dynamic", currency="USD", amount=450, reference="CAM-7").json
    picture = api.client.get(f"/api/v1/qr-codes/{code['id']}.png?size=6&border=4")
    assert picture.status_code == 200
    video = y4m_of_png(picture.data, tmp_path / "qr.y4m")

    console = Console()
    chromium = launch(playwright, *fake_camera_args(video))
    try:
        context = chromium.new_context(viewport=PHONE, base_url=base_url, permissions=["camera"])
        page = context.new_page()
        page.set_default_timeout(10_000)
        console.watch(page)
        sign_in_with_a_code(page, api, alice)
        page.get_by_role("button", name="Pay").click()
        page.get_by_role("button", name="Scan with the camera").click()
        preview = page.locator("#pay-preview")
        expect(preview).to_contain_text("CAM-7")
        expect(preview).to_contain_text("$4.50")
        expect(page.locator("#scan-video")).to_be_hidden()  # the camera is off once it has read
        page.locator("#pay-confirm").get_by_role("button", name="Pay").click()
        expect(page.locator("#pay-receipt")).to_contain_text("CAM-7")
    finally:
        chromium.close()
    assert api.wallet(alice)["balance"] == 550
    assert console.errors == []
