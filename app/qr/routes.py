"""QR endpoints: merchants issue codes, anyone fetches their pictures, the app decodes them
(paying one is checkout's: app.checkout.qr_payments)."""
from flask import Response, current_app
from flask_openapi3 import APIBlueprint, Tag

from app.auth.current import current_user, user_blueprint
from app.core.network import client_address
from app.extensions import limiter
from app.qr import services
from app.qr.schemas import (CreateQrBody, DecodeBody, DecodeOut, ImagePath, ImageQuery, MerchantPath, MerchantQrPath,
                            QrOut)

qr_api = user_blueprint("qr", __name__, "qr")

# Pictures are public: a code is printed on a counter or shown on a screen for anyone to scan,
# and its id is unguessable.
qr_image_api = APIBlueprint("qr_images", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="qr")])


@qr_api.post("/merchants/<merchant_id>/qr-codes", responses={201: QrOut})
def create_qr_code(path: MerchantPath, body: CreateQrBody):
    """Issue a static code (the payer types the amount) or a dynamic one (amount, one payment, expiry)."""
    return services.create_code(current_user(), path.merchant_id, kind=body.kind, currency=body.currency,
                                amount=body.amount, reference=body.reference, expires_in=body.expires_in), 201


@qr_api.get("/merchants/<merchant_id>/qr-codes/<qr_id>", responses={200: QrOut})
def get_qr_code(path: MerchantQrPath):
    """One of the merchant's codes, with its status."""
    return services.get_code(current_user(), path.merchant_id, path.qr_id)


def _image_limit():
    return limiter.limit(lambda: current_app.config["LIMIT_QR_IMAGE_PER_IP"], key_func=client_address,
                         scope="qr_image")


@qr_image_api.get("/qr-codes/<qr_id>.png", responses={200: None})
@_image_limit()
def qr_png(path: ImagePath, query: ImageQuery):
    """The code as a PNG image (error correction M)."""
    body, headers = services.image(path.qr_id, "png", size=query.size, border=query.border)
    return Response(body, mimetype="image/png", headers=headers)


@qr_image_api.get("/qr-codes/<qr_id>.svg", responses={200: None})
@_image_limit()
def qr_svg(path: ImagePath, query: ImageQuery):
    """The code as an SVG image (error correction M)."""
    body, headers = services.image(path.qr_id, "svg", size=query.size, border=query.border)
    return Response(body, mimetype="image/svg+xml", headers=headers)


@qr_api.post("/qr/decode", responses={200: DecodeOut})
def decode(body: DecodeBody):
    """Explain a scanned EMV code (ours or another scheme's) and whether it can be paid."""
    return services.decode(body.payload)
