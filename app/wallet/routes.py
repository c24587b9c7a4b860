"""Wallet endpoints. Thin: parse (schemas), call one service, return its result."""

from flask_openapi3 import APIBlueprint, Tag

from app.auth.current import authenticate, current_user, current_user_id
from app.core.idempotency import from_request
from app.core.schemas import IdempotencyHeader
from app.wallet import limits, services
from app.wallet.schemas import (
    MyLimitsOut,
    OpenWalletBody,
    TopupBody,
    TopupOut,
    TransactionOut,
    TransferBody,
    WalletList,
    WalletOut,
    WalletPath,
)

wallet_api = APIBlueprint("wallet", __name__, url_prefix="/api/v1", abp_security=[{"bearer": []}],
                          abp_tags=[Tag(name="wallets")])
wallet_api.before_request(authenticate)


@wallet_api.get("/wallets", responses={200: WalletList})
def list_wallets():
    """The caller's wallets, one per currency."""
    return {"data": services.list_wallets(current_user())}


@wallet_api.post("/wallets", responses={201: WalletOut})
def open_wallet(body: OpenWalletBody):
    """Open a wallet in another currency (one per currency)."""
    return services.open_wallet(current_user(), body.currency), 201


@wallet_api.get("/me/limits", responses={200: MyLimitsOut})
def my_limits():
    """The caller's tier, its limits, and per wallet what is used and left today and this month."""
    return limits.my_limits(current_user())


@wallet_api.get("/wallets/<wallet_id>", responses={200: WalletOut})
def get_wallet(path: WalletPath):
    """One of the caller's wallets; anyone else's is a 404."""
    return services.get_wallet(current_user_id(), path.wallet_id)  # the user's status is checked in the same read


@wallet_api.post("/wallets/<wallet_id>/topups", responses={201: TopupOut})
def topup(path: WalletPath, body: TopupBody, header: IdempotencyHeader):
    """Add money from a funding source (sandbox tokens: tok_visa, tok_chargeDeclined, tok_insufficientFunds)."""
    user = current_user()
    idem = from_request(user.id, header.idempotency_key, body.model_dump())
    status, result = services.topup(user, path.wallet_id, amount=body.amount, source=body.source, idem=idem)
    return result, status


@wallet_api.post("/transfers", responses={201: TransactionOut})
def transfer(body: TransferBody, header: IdempotencyHeader):
    """Send money to a phone number, an e-mail address or a wallet id."""
    user_id = current_user_id()  # the user row is read only for the PIN: the transfer checks the user itself
    # The PIN stays out of the stored fingerprint: a fast hash of six digits would give it away.
    idem = from_request(user_id, header.idempotency_key, body.model_dump(exclude={"pin"}))
    status, result = services.transfer(user_id, current_user, to=body.to, amount=body.amount, currency=body.currency,
                                       note=body.note, pin=body.pin, idem=idem)
    return result, status
