"""QR code images drawn with qrcode: PNG (pypng, no Pillow) and SVG, error correction M."""
from __future__ import annotations

import io

import qrcode
import qrcode.image.pure
import qrcode.image.svg


def render(payload: str, fmt: str, *, box_size: int = 10, border: int = 4) -> bytes:
    factory = qrcode.image.pure.PyPNGImage if fmt == "png" else qrcode.image.svg.SvgPathImage
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=border,
                         image_factory=factory)
    code.add_data(payload.encode("utf-8"))
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()
