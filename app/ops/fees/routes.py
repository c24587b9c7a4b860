"""Fee configuration. Reading: any operator; changing: finance (the right `fees`)."""
from app.auth.operator_roles import operator_blueprint, require
from app.ops.fees import services
from app.ops.fees.schemas import (FeeSettingsBody, FeeSettingsOut, MerchantFeesBody, MerchantFeesOut,
                                  MerchantPath)

fees_api = operator_blueprint("fees", __name__)


@fees_api.get("/merchants/<merchant_id>/fees", responses={200: MerchantFeesOut})
def get_merchant_fees(path: MerchantPath):
    """A merchant's discount rate. Any operator."""
    require("read")
    return services.merchant_fees(path.merchant_id)


@fees_api.put("/merchants/<merchant_id>/fees", responses={200: MerchantFeesOut})
def set_merchant_fees(path: MerchantPath, body: MerchantFeesBody):
    """Set a merchant's discount rate: basis points of each payment, at least `min_fee` minor units.
    Finance; audited. Holds from the merchant's next payment."""
    return services.set_merchant_fees(require("fees"), path.merchant_id, **body.model_dump())


@fees_api.get("/fees", responses={200: FeeSettingsOut})
def get_fee_settings():
    """The global fee settings: top-up and P2P fees, whether refunds return the merchant's fee. Any operator."""
    require("read")
    return services.fee_settings()


@fees_api.put("/fees", responses={200: FeeSettingsOut})
def set_fee_settings(body: FeeSettingsBody):
    """Change the global fee settings. Finance; audited. Holds from the next payment."""
    return services.set_fee_settings(require("fees"), **body.model_dump())
