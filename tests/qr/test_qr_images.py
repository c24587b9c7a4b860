"""Pictures of codes: PNG and SVG, public, scannable back to exactly the payload, cached sensibly.

The PNG is read back with zxing-cpp, an independent QR decoder, from a plain grayscale buffer
(pypng decodes the file; no numpy or Pillow needed).
"""
import re

import png
import pytest
import zxingcpp

from app.core import clock
from tests.support.qr import make_code, make_merchant


@pytest.fixture
def shop(app, api):
    owner = api.person(name="Owner")
    return owner, make_merchant(app, api, owner=owner)


def png_size(data: bytes) -> tuple[int, int]:
    width, height, _rows, _info = png.Reader(bytes=data).read()
    return width, height


def scan(data: bytes) -> bytes:
    """The raw bytes a QR scanner reads from a PNG, or fail."""
    width, height, rows, info = png.Reader(bytes=data).asDirect()
    planes, top = info["planes"], (1 << info["bitdepth"]) - 1
    gray = bytearray()
    for row in rows:
        gray.extend(row[x * planes] * 255 // top for x in range(width))  # first plane: gray or red
    result = zxingcpp.read_barcode(memoryview(bytes(gray)).cast("B", (height, width)),
                                   formats=zxingcpp.BarcodeFormat.QRCode)
    assert result is not None, "zxing-cpp found no QR code in the picture"
    return result.bytes


def svg_size(text: str) -> tuple[str, str]:
    match = re.search(r'<svg[^>]*\swidth="([^"]+)"[^>]*\sheight="([^"]+)"', text)
    assert match, text[:200]
    return match.group(1), match.group(2)


def test_the_png_of_a_dynamic_code_scans_back_to_exactly_its_payload(api, shop):
    owner, merchant = shop
    code = make_code(api, owner, merchant, reference="ORDER-1")

    response = api.client.get(f"/api/v1/qr-codes/{code['id']}.png")

    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert scan(response.data) == code["payload"].encode("utf-8")  # UTF-8 name in tag 64 included


def test_the_png_of_a_static_code_scans_back_to_exactly_its_payload(api, shop):
    owner, merchant = shop
    code = make_code(api, owner, merchant, kind="static")

    response = api.client.get(f"/api/v1/qr-codes/{code['id']}.png", query_string={"size": 3, "border": 4})

    assert scan(response.data).decode("utf-8") == code["payload"]


def test_the_svg_is_an_svg_image(api, shop):
    owner, merchant = shop
    code = make_code(api, owner, merchant)

    response = api.client.get(f"/api/v1/qr-codes/{code['id']}.svg")

    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    text = response.get_data(as_text=True)
    assert "<svg" in text and "<path" in text


def test_size_scales_the_png_and_border_adds_quiet_zone(api, shop):
    owner, merchant = shop
    code = make_code(api, owner, merchant)
    url = f"/api/v1/qr-codes/{code['id']}.png"

    small = png_size(api.client.get(url, query_string={"size": 2, "border": 4}).data)
    large = png_size(api.client.get(url, query_string={"size": 4, "border": 4}).data)
    bare = png_size(api.client.get(url, query_string={"size": 2, "border": 0}).data)

    assert small[0] == small[1] and large[0] == large[1]
    assert large[0] == 2 * small[0]
    assert small[0] - bare[0] == 2 * 4 * 2  # four modules of two pixels on each side
    modules = bare[0] // 2
    assert (modules - 17) % 4 == 0  # a QR symbol is 17 + 4 * version modules wide


def test_the_default_png_is_ten_pixels_per_module_with_a_four_module_border(api, shop):
    owner, merchant = shop
    code = make_code(api, owner, merchant)
    url = f"/api/v1/qr-codes/{code['id']}.png"

    default = png_size(api.client.get(url).data)
    bare = png_size(api.client.get(url, query_string={"size": 1, "border": 0}).data)

    assert default[0] == (bare[0] + 8) * 10


def test_size_and_border_change_the_svg_too(api, shop):
    owner, merchant = shop
    code = make_code(api, owner, merchant)
    url = f"/api/v1/qr-codes/{code['id']}.svg"

    sizes = {svg_size(api.client.get(url, query_string=q).get_data(as_text=True))
             for q in ({"size": 2, "border": 4}, {"size": 4, "border": 4}, {"size": 2, "border": 0})}

    assert len(sizes) == 3


@pytest.mark.parametrize("query", [{"size": 0}, {"size": 21}, {"border": -1}, {"border": 17}, {"size": "big"}])
@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_a_size_or_border_out_of_range_is_422(api, shop, query, fmt):
    owner, merchant = shop
    code = make_code(api, owner, merchant)

    response = api.client.get(f"/api/v1/qr-codes/{code['id']}.{fmt}", query_string=query)

    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"


@pytest.mark.parametrize("size", [1, 20])
def test_the_extreme_sizes_are_accepted(api, shop, size):
    owner, merchant = shop
    code = make_code(api, owner, merchant)

    assert api.client.get(f"/api/v1/qr-codes/{code['id']}.png", query_string={"size": size}).status_code == 200


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_an_unknown_code_is_404(api, fmt):
    response = api.client.get(f"/api/v1/qr-codes/qr_doesnotexist.{fmt}")

    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_a_static_codes_picture_is_cacheable_forever(api, shop):
    owner, merchant = shop
    code = make_code(api, owner, merchant, kind="static")

    response = api.client.get(f"/api/v1/qr-codes/{code['id']}.png")

    cache = response.headers["Cache-Control"]
    assert "immutable" in cache and "public" in cache
    assert response.headers["ETag"]


def _max_age(cache_control: str) -> int:
    match = re.search(r"max-age=(\d+)", cache_control)
    assert match, cache_control
    return int(match.group(1))


def test_a_dynamic_codes_picture_is_cached_privately_no_longer_than_the_code_lives(api, shop):
    owner, merchant = shop
    code = make_code(api, owner, merchant, expires_in=120)
    url = f"/api/v1/qr-codes/{code['id']}.svg"

    fresh = api.client.get(url).headers["Cache-Control"]
    clock.advance(100)
    later = api.client.get(url).headers["Cache-Control"]
    clock.advance(50)
    expired = api.client.get(url).headers["Cache-Control"]

    assert "private" in fresh and "immutable" not in fresh and "public" not in fresh
    assert 0 < _max_age(fresh) <= 120
    assert _max_age(later) <= 20
    assert _max_age(expired) == 0


def test_different_sizes_have_different_etags(api, shop):
    owner, merchant = shop
    code = make_code(api, owner, merchant, kind="static")
    url = f"/api/v1/qr-codes/{code['id']}.png"

    etags = {api.client.get(url, query_string={"size": s}).headers["ETag"] for s in (2, 3)}

    assert len(etags) == 2
