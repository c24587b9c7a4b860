"""Offline purses: the owner issues, lists and closes them (a lost phone: close it); operators
see the overspent ones."""
from flask_openapi3 import APIBlueprint, Tag

from app.auth.current import authenticate, current_user
from app.auth.operator_roles import operator_blueprint
from app.core.idempotency import from_request
from app.core.schemas import IdempotencyHeader
from app.pos.purse import services
from app.pos.purse.schemas import OverspentList, PurseBody, PurseList, PurseOut, WalletPursePath
from app.wallet.schemas import WalletPath

purse_api = APIBlueprint("purse", __name__, url_prefix="/api/v1", abp_security=[{"bearer": []}],
                         abp_tags=[Tag(name="offline purses")])
purse_api.before_request(authenticate)


@purse_api.post("/wallets/<wallet_id>/offline-purses", responses={201: PurseOut})
def create_purse(path: WalletPath, body: PurseBody, header: IdempotencyHeader):
    """Hold an offline allowance on the wallet and get the purse certificate for the device key
    (Idempotency-Key: a retry returns the same purse and holds nothing twice)."""
    user = current_user()
    # The PIN stays out of the stored fingerprint: a fast hash of six digits would give it away.
    idem = from_request(user.id, header.idempotency_key, body.model_dump(exclude={"pin"}))
    status, result = services.create(user, path.wallet_id, device_key=body.device_key, allowance=body.allowance,
                                     max_payment=body.max_payment, validity_days=body.validity_days, pin=body.pin,
                                     idem=idem)
    return result, status


@purse_api.get("/wallets/<wallet_id>/offline-purses", responses={200: PurseList})
def list_purses(path: WalletPath):
    """The wallet's purses, newest first (at most 100)."""
    return services.list_purses(current_user(), path.wallet_id)


@purse_api.get("/wallets/<wallet_id>/offline-purses/<purse_id>", responses={200: PurseOut})
def get_purse(path: WalletPursePath):
    """One purse: what it spent, what it owes, its certificate."""
    return services.get(current_user(), path.wallet_id, path.purse_id)


@purse_api.post("/wallets/<wallet_id>/offline-purses/<purse_id>/close", responses={200: PurseOut})
def close_purse(path: WalletPursePath):
    """Stop the purse at once; what is still held returns after the grace period for late uploads."""
    return services.close(current_user(), path.wallet_id, path.purse_id)


purse_ops_api = operator_blueprint("purse_ops", __name__, "read")


@purse_ops_api.get("/offline-purses/overspent", responses={200: OverspentList})
def overspent_purses():
    """Purses found overspent at upload (a reused counter, or tokens above the allowance), newest
    first, at most 100: the merchants were paid; what the wallet could not pay is its debt. Any operator."""
    return services.overspent()
