"""Order endpoints of the merchant server API (Authorization: Bearer <API key>), and the staff's
read-only list of them (a user's bearer token: the dashboard at /merchant)."""
from app.auth.current import current_user, user_blueprint
from app.core.idempotency import from_request
from app.core.schemas import IdempotencyHeader
from app.checkout.orders import services as orders
from app.merchant.api_keys.auth import current_api_key_id, current_merchant
from app.merchant.api_keys.auth import merchant_server_blueprint
from app.merchant.schemas import MerchantPath
from app.merchant.services import staff_merchant
from app.checkout.orders.schemas import CreateOrderBody, OrderList, OrderListQuery, OrderOut, OrderPath, RefundBody, RefundOut


def _scope() -> str:
    # Keys are the merchant's, not one API key's: a shop that rotates keys mid-retry still gets
    # its first answer back.
    return f"merchant:{current_merchant().id}"

orders_api = merchant_server_blueprint("orders", __name__)
staff_orders_api = user_blueprint("staff_orders", __name__, "merchants")


@orders_api.post("/orders", responses={201: OrderOut})
def create_order(body: CreateOrderBody, header: IdempotencyHeader):
    """Create an order: a dynamic QR code (`payload`, `deep_link`) the customer pays in the app."""
    idem = from_request(_scope(), header.idempotency_key, body.model_dump())
    status, result = orders.create_order(current_merchant().id, amount=body.amount, currency=body.currency,
                                         reference=body.reference, description=body.description,
                                         expires_in=body.expires_in, idem=idem)
    return result, status


@orders_api.get("/orders", responses={200: OrderList})
def list_orders(query: OrderListQuery):
    """The merchant's orders, newest first, optionally of one status (cursor pagination)."""
    return orders.list_orders(current_merchant().id, status=query.status, limit=query.limit, cursor=query.cursor)


@orders_api.get("/orders/<order_id>", responses={200: OrderOut})
def get_order(path: OrderPath):
    """One order, with its status now."""
    return orders.get_order(current_merchant().id, path.order_id)


@orders_api.post("/orders/<order_id>/refunds", responses={201: RefundOut})
def refund_order(path: OrderPath, body: RefundBody, header: IdempotencyHeader):
    """Give back part or all of a paid order to the customer's wallet (never more than was paid)."""
    idem = from_request(_scope(), header.idempotency_key, body.model_dump())
    status, result = orders.refund_order(current_merchant().id, path.order_id, amount=body.amount,
                                         initiator_id=current_api_key_id(), idem=idem)
    return result, status


@orders_api.post("/orders/<order_id>/cancel", responses={200: OrderOut})
def cancel_order(path: OrderPath):
    """Cancel a pending order: its code can no longer be paid."""
    return orders.cancel_order(current_merchant().id, path.order_id)


@staff_orders_api.get("/merchants/<merchant_id>/orders", responses={200: OrderList})
def staff_list_orders(path: MerchantPath, query: OrderListQuery):
    """The merchant's orders for its staff (any role: reading them moves no money), newest first,
    optionally of one status. The same list as the server API's GET /merchant/orders."""
    merchant = staff_merchant(current_user(), path.merchant_id)
    return orders.list_orders(merchant.id, status=query.status, limit=query.limit, cursor=query.cursor)
