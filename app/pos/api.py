"""The blueprints of the POS feature. Route modules add their endpoints to these."""
from flask_openapi3 import APIBlueprint, Tag

from app.auth.current import authenticate
from app.pos.auth import authenticate_terminal

# Signed by terminals (see app.pos.signing and the README).
TERMINAL_SECURITY = [{"terminalId": [], "terminalTimestamp": [], "terminalNonce": [], "terminalSignature": []}]
pos_api = APIBlueprint("pos", __name__, url_prefix="/api/v1/pos", abp_security=TERMINAL_SECURITY,
                       abp_tags=[Tag(name="pos")])
pos_api.before_request(authenticate_terminal)

# Used by people: merchant staff managing terminals, customers confirming charges.
staff_api = APIBlueprint("pos_staff", __name__, url_prefix="/api/v1", abp_security=[{"bearer": []}],
                         abp_tags=[Tag(name="terminals")])
staff_api.before_request(authenticate)

SECURITY_SCHEMES = {
    "terminalId": {"type": "apiKey", "in": "header", "name": "X-Terminal-Id"},
    "terminalTimestamp": {"type": "apiKey", "in": "header", "name": "X-Timestamp"},
    "terminalNonce": {"type": "apiKey", "in": "header", "name": "X-Nonce"},
    "terminalSignature": {"type": "apiKey", "in": "header", "name": "X-Signature",
                          "description": "hex HMAC-SHA256 over method, path, timestamp, nonce, body hash"},
}
