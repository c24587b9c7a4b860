"""Request and response models of vending authorizations."""

from pydantic import BaseModel, ConfigDict, Field

from app.core.fields import Amount, CurrencyCode, NO_CONTROLS
from app.core.schemas import Strict


class AuthorizeBody(Strict):
    # Not checked for shape here: every code the terminal scanned goes to the resolver, so a
    # terminal sending junk is counted towards its lock-out like one guessing digits.
    payment_code: str = Field(min_length=1, max_length=64, description="the code the customer shows (18 digits)")
    amount: Amount = Field(description="the maximum price; at most NO_PIN_AMOUNT (a machine cannot take a PIN)")
    currency: CurrencyCode | None = Field(None, description="the merchant's currency (the default)")
    reference: str | None = Field(None, max_length=64, pattern=r"^[\x20-\x7e]+$")


class CaptureBody(Strict):
    model_config = ConfigDict(title="AuthorizationCaptureBody")  # not payment requests' CaptureBody

    amount: Amount = Field(description="what was dispensed; at most the held amount, the rest is released")


class AuthorizationPath(BaseModel):
    authorization_id: str = Field(max_length=40, pattern=NO_CONTROLS)


class AuthorizationOut(BaseModel):
    id: str
    status: str = Field(description="authorized | captured | voided | expired | failed")
    amount: int = Field(description="the amount held")
    currency: str
    captured_amount: int
    expires_at: str | None
    reference: str | None
    failure_code: str | None = Field(None, description="why a failed authorization was refused")
    created_at: str
