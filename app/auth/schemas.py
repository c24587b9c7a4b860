"""Request and response models of the sign-in API; they are also its OpenAPI document."""
from typing import Literal

from pydantic import BaseModel, RootModel, EmailStr, Field, model_validator

from app.core.fields import Pin, NO_CONTROLS
from app.core.schemas import Strict

E164 = r"^\+[1-9][0-9]{6,14}$"


class RegisterBody(Strict):
    phone: str | None = Field(None, pattern=E164, description="E.164, e.g. +6591234567")
    email: EmailStr | None = Field(None, max_length=254)
    password: str = Field(min_length=1, max_length=128)
    name: str = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _one_address(self):
        if not self.phone and not self.email:
            raise ValueError("give a phone number or an e-mail address")
        if self.email:
            self.email = self.email.lower()
        return self


class IdentifierBody(Strict):
    identifier: str = Field(min_length=3, max_length=254, description="phone (E.164) or e-mail")


class CodeBody(IdentifierBody):
    code: str = Field(pattern=r"^[0-9]{6}$")


class LoginBody(IdentifierBody):
    password: str = Field(min_length=1, max_length=128)


class MfaBody(Strict):
    mfa_token: str = Field(min_length=10, max_length=2000)
    code: str = Field(min_length=6, max_length=20, description="authenticator code or a recovery code")


class RefreshBody(Strict):
    refresh_token: str = Field(min_length=10, max_length=2000)


class TotpCodeBody(Strict):
    code: str = Field(min_length=6, max_length=20)


class PinBody(Strict):
    pin: Pin
    current_pin: Pin | None = None


class SessionPath(BaseModel):
    session_id: str = Field(max_length=40, pattern=NO_CONTROLS)


class DeviceHeader(BaseModel):
    x_device_name: str | None = Field(None, alias="X-Device-Name", max_length=100)


class Tokens(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"]
    expires_in: int


class MfaRequired(BaseModel):
    mfa_required: Literal[True]
    mfa_token: str


class LoginOut(RootModel[Tokens | MfaRequired]):
    """Tokens, or (with TOTP on) the token for the second step at /auth/login/mfa."""


class UserOut(BaseModel):
    id: str
    name: str
    phone: str | None
    email: str | None
    role: str
    verified: bool
    created_at: str


class Verification(BaseModel):
    channel: str
    expires_in: int


class RegisterOut(BaseModel):
    user: UserOut
    verification: Verification


class Accepted(BaseModel):
    status: Literal["accepted"]


class SessionOut(BaseModel):
    id: str
    device_name: str
    ip_address: str | None
    created_at: str
    last_used_at: str
    current: bool


class SessionList(BaseModel):
    data: list[SessionOut]


class TotpSetupOut(BaseModel):
    secret: str
    otpauth_uri: str
    qr_svg: str


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str]


class Limits(BaseModel):
    no_pin_amount: int
    max_amount: int
    max_wallet_balance: int


class MeOut(UserOut):
    pin_set: bool
    totp_enabled: bool
    limits: Limits
