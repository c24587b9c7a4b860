"""Headless Chromium for the page tests: Debian's /usr/bin/chromium driven by the `playwright`
package (its own browser download is not available here), one browser per test session.

`Console` records what a page reports: console errors (Chromium writes CSP refusals there as
"Refused to ...") and uncaught exceptions, so a test can assert the page ran clean.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# The flags the issue asks for; a fresh profile comes with each new context.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
PHONE = {"width": 390, "height": 844}


def launch(playwright, *extra_args: str):
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), "
                           "or point CHROMIUM at a Chromium binary")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + list(extra_args))


def fake_camera_args(video: Path) -> list[str]:
    """Chromium's fake capture device, playing `video` (Y4M, looped) as the camera."""
    return ["--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}"]


def y4m_of_png(png_bytes: bytes, path: Path, frames: int = 5) -> Path:
    """A still picture as a short Y4M video (4:2:0; grey: the chroma planes are neutral)."""
    import png
    width, height, rows, info = png.Reader(bytes=png_bytes).asDirect()
    planes, top = info["planes"], (1 << info["bitdepth"]) - 1
    luma = [bytes(row[x * planes] * 255 // top for x in range(width)) + b"\xff" * (width % 2) for row in rows]
    if height % 2:
        luma.append(b"\xff" * len(luma[0]))
    even_width, even_height = len(luma[0]), len(luma)  # 4:2:0 needs even sides: padded with white
    chroma = b"\x80" * (even_width // 2 * even_height // 2 * 2)
    frame = b"FRAME\n" + b"".join(luma) + chroma
    path.write_bytes(f"YUV4MPEG2 W{even_width} H{even_height} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * frames)
    return path


@dataclass
class Console:
    errors: list[str] = field(default_factory=list)

    def watch(self, page) -> None:
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def csp_violations(self) -> list[str]:
        return [e for e in self.errors if "Content Security Policy" in e or e.startswith("Refused to")]


def read_qr(png_bytes: bytes) -> str:
    """The text of the QR code in a screenshot (PNG), read by zxing-cpp, or fail."""
    import png
    import zxingcpp
    width, height, rows, info = png.Reader(bytes=png_bytes).asDirect()
    planes, top = info["planes"], (1 << info["bitdepth"]) - 1
    gray = bytearray()
    for row in rows:
        gray.extend(row[x * planes] * 255 // top for x in range(width))  # first plane: gray or red
    result = zxingcpp.read_barcode(memoryview(bytes(gray)).cast("B", (height, width)),
                                   formats=zxingcpp.BarcodeFormat.QRCode)
    assert result is not None, "zxing-cpp found no QR code in the picture"
    return result.text


# --- the wallet page ---------------------------------------------------------------------

def sent_code(api, to: str, purpose: str = "login") -> str:
    """The code the page's request made the API send to `to`. The API sends it after its answer
    has gone out (app/core/after_response.py), so it may not be in the outbox yet: wait for it."""
    deadline = time.monotonic() + 5
    while not any(m["to"] == to and m["purpose"] == purpose for m in api.outbox()):
        assert time.monotonic() < deadline, f"no {purpose} code was sent to {to}"
        time.sleep(0.05)
    return api.last_code(to, purpose)


def sign_in_with_a_code(page, api, person):
    page.goto("/")
    page.get_by_label("Phone or e-mail").first.fill(person.identifier)
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_label("The six-digit code we sent").first.wait_for()
    page.get_by_label("The six-digit code we sent").first.fill(sent_code(api, person.identifier))
    page.get_by_role("button", name="Sign in").first.click()
    page.locator("#balances .balance").first.wait_for()
