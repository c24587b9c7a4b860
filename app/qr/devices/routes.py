"""Devices that show consumer payment codes, and the current code. Thin: schema, one service call."""
from flask_openapi3 import APIBlueprint, Tag

from app.auth.current import authenticate, current_user
from app.core.schemas import ErrorEnvelope
from app.qr.devices import services as devices
from app.qr.devices.schemas import (DeviceBody, DeviceList, DeviceOut, DevicePath, DeviceRegistered, PaymentCodeOut,
                                   PaymentCodePath, PaymentCodeQuery)

devices_api = APIBlueprint("devices", __name__, url_prefix="/api/v1", abp_security=[{"bearer": []}],
                           abp_tags=[Tag(name="devices")])
devices_api.before_request(authenticate)


@devices_api.post("/devices", responses={201: DeviceRegistered, 409: None})
def register_device(body: DeviceBody):
    """Register this phone for payment codes; the answer holds its seed, shown only this once."""
    return devices.register_device(current_user(), body.name), 201


@devices_api.get("/devices", responses={200: DeviceList})
def list_devices():
    """The caller's devices that can show payment codes (no seeds)."""
    return {"data": devices.list_devices(current_user())}


@devices_api.patch("/devices/<device_id>", responses={200: DeviceOut})
def rename_device(path: DevicePath, body: DeviceBody):
    """Rename one of the caller's devices (what the devices list shows; codes are unchanged)."""
    return devices.rename_device(current_user(), path.device_id, body.name)


@devices_api.delete("/devices/<device_id>", responses={204: None})
def revoke_device(path: DevicePath):
    """Revoke a device: its codes, even one on screen now, are refused from now on."""
    devices.revoke_device(current_user(), path.device_id)
    return "", 204


@devices_api.get("/wallets/<wallet_id>/payment-code", responses={200: PaymentCodeOut, 410: ErrorEnvelope})
def payment_code(path: PaymentCodePath, query: PaymentCodeQuery):
    """The code to show a shop terminal now, paying from this wallet (the app can also compute it offline)."""
    return devices.current_code(current_user(), path.wallet_id, query.device_id)
