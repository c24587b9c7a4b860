"""Staff read the merchant's payment history (on merchant_api: signed in with their user token)."""
from app.auth.current import current_user
from app.merchant import transactions
from app.merchant.routes import merchant_api
from app.merchant.schemas import MerchantPath
from app.wallet.routes import csv_response
from app.wallet.schemas import (
    MerchantHistoryFilterQuery,
    MerchantHistoryQuery,
    MerchantTransactionPage,
)


@merchant_api.get("/merchants/<merchant_id>/transactions", responses={200: MerchantTransactionPage})
def merchant_transactions(path: MerchantPath, query: MerchantHistoryQuery):
    """The merchant's history over its accounts (or one `currency`), newest first, filterable by terminal."""
    return transactions.merchant_transactions(current_user(), path.merchant_id, filters=query.filters(),
                                              currency=query.currency, limit=query.limit, cursor=query.cursor)


@merchant_api.get("/merchants/<merchant_id>/transactions.csv", responses={200: None})
def merchant_transactions_csv(path: MerchantPath, query: MerchantHistoryFilterQuery):
    """The merchant's history as CSV (text/csv, streamed), with the same filters; amounts in minor units."""
    filename, lines = transactions.merchant_csv(current_user(), path.merchant_id, filters=query.filters(),
                                                currency=query.currency)
    return csv_response(filename, lines)
