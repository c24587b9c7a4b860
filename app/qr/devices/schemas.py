"""Request and response models of the device and payment-code API (also its OpenAPI document)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app.core.fields import NO_CONTROLS
from app.core.schemas import RequestParams


class DeviceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, description="what the person calls it, e.g. 'Dana phone'")


class DevicePath(BaseModel):
    device_id: str = Field(max_length=40, pattern=NO_CONTROLS)


class PaymentCodePath(BaseModel):
    wallet_id: str = Field(max_length=40, pattern=NO_CONTROLS)


class PaymentCodeQuery(RequestParams):
    device_id: str = Field(max_length=40, pattern=NO_CONTROLS, description="the registered device that shows the code")


class DeviceOut(BaseModel):
    id: str
    name: str
    handle: str = Field(description="7 random digits: how a payment code names this device")
    created_at: str
    revoked_at: str | None


class DeviceList(BaseModel):
    data: list[DeviceOut]


class DeviceRegistered(DeviceOut):
    secret: str = Field(description="base32 TOTP seed; shown once, keep it in the device's secure storage")
    algorithm: str
    digits: int
    period: int = Field(description="seconds per code")
    prefix: str
    format: str = Field(description="how to build the 18-digit code from the fields above")


class PaymentCodeOut(BaseModel):
    code: str = Field(description="18 digits to show as text and barcode")
    refresh_in: int = Field(description="seconds until the next code; show that one then")
    expires_in: int = Field(description="seconds until terminals stop accepting this code")
    barcode_svg: str = Field(description="the code as a QR code image (SVG)")
