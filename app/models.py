"""Every table, imported in one place so that Alembic and create_app see the whole schema."""
from app.auth.models import AuthSession, OperatorRole, OtpCode, RecoveryCode, User  # noqa: F401
from app.core.models import AuditRecord, IdempotencyRecord, KvEntry  # noqa: F401
from app.checkout.orders.models import Order  # noqa: F401
from app.merchant.api_keys.models import ApiKey  # noqa: F401
from app.merchant.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent  # noqa: F401
from app.merchant.models import Merchant, MerchantStaff  # noqa: F401
from app.pos.batches.models import Batch  # noqa: F401
from app.pos.charges.models import PosCharge  # noqa: F401
from app.pos.terminals.models import Terminal  # noqa: F401
from app.qr.devices.models import Device  # noqa: F401
from app.qr.models import QrCode  # noqa: F401
from app.wallet.models import Account, Entry, Freeze, Transaction, Transfer, WalletDebt  # noqa: F401
from app.pos.offline.models import OfflineLimits, OfflinePayment, OfflineReport  # noqa: F401
from app.ops.adjustments.models import Adjustment  # noqa: F401
from app.pos.purse.models import OfflineFreeze, Purse, PurseToken  # noqa: F401
