"""The read side's endpoints: a wallet's history, CSV export, monthly statement and receipts (for
its owner), and a merchant's sales (for its staff). Thin: schema, one query, the answer."""
from flask import Response, stream_with_context

from app.auth.current import current_user, current_user_id, user_blueprint
from app.history import exports, merchant_sales, merchant_statements, receipts, statements, wallet_page
from app.history.schemas import (
    HistoryFilterQuery,
    HistoryQuery,
    MerchantHistoryFilterQuery,
    MerchantHistoryQuery,
    MerchantStatementOut,
    MerchantStatementPath,
    MerchantTransactionPage,
    StatementOut,
    StatementPath,
    TransactionDetail,
    TransactionPage,
    TransactionPath,
)
from app.merchant.schemas import MerchantPath
from app.wallet.schemas import WalletPath

history_api = user_blueprint("history", __name__, "wallets")
merchant_history_api = user_blueprint("merchant_history", __name__, "merchants")


@history_api.get("/wallets/<wallet_id>/transactions", responses={200: TransactionPage})
def wallet_transactions(path: WalletPath, query: HistoryQuery):
    """The wallet's history, newest first, filtered, with cursor pagination."""
    # The user's status is checked with the wallet and the page read, in one statement (app.history.wallet_page).
    return wallet_page.wallet_transactions(current_user_id(), path.wallet_id, filters=query.filters(),
                                           limit=query.limit, cursor=query.cursor)


@history_api.get("/wallets/<wallet_id>/transactions.csv", responses={200: None})
def wallet_transactions_csv(path: WalletPath, query: HistoryFilterQuery):
    """The wallet's history as CSV (text/csv, streamed), with the same filters; amounts in minor units."""
    filename, lines = exports.wallet_csv(current_user(), path.wallet_id, query.filters())
    return csv_response(filename, lines)


@history_api.get("/wallets/<wallet_id>/statements/<month>", responses={200: StatementOut})
def wallet_statement(path: StatementPath):
    """A month (YYYY-MM, UTC) of the wallet: opening and closing balance, totals in and out per type."""
    return statements.wallet_statement(current_user(), path.wallet_id, path.month)


@history_api.get("/transactions/<transaction_id>", responses={200: TransactionDetail})
def get_transaction(path: TransactionPath):
    """A receipt: the transaction as the caller's wallet sees it, the merchant and terminal, refunds, ledger legs."""
    return receipts.transaction_receipt(current_user(), path.transaction_id)


@merchant_history_api.get("/merchants/<merchant_id>/transactions", responses={200: MerchantTransactionPage})
def merchant_transactions(path: MerchantPath, query: MerchantHistoryQuery):
    """The merchant's history over its accounts (or one `currency`), newest first, filterable by terminal."""
    return merchant_sales.merchant_transactions(current_user(), path.merchant_id, filters=query.filters(),
                                                currency=query.currency, limit=query.limit, cursor=query.cursor)


@merchant_history_api.get("/merchants/<merchant_id>/transactions.csv", responses={200: None})
def merchant_transactions_csv(path: MerchantPath, query: MerchantHistoryFilterQuery):
    """The merchant's history as CSV (text/csv, streamed), with the same filters; amounts in minor units."""
    filename, lines = merchant_sales.merchant_csv(current_user(), path.merchant_id, filters=query.filters(),
                                                  currency=query.currency)
    return csv_response(filename, lines)


@merchant_history_api.get("/merchants/<merchant_id>/statements/<month>", responses={200: MerchantStatementOut})
def merchant_statement(path: MerchantStatementPath):
    """A UTC month (YYYY-MM) of the merchant: opening and closing balance, sales, refunds, fees, net, per day."""
    return merchant_statements.merchant_statement(current_user(), path.merchant_id, path.month)


@merchant_history_api.get("/merchants/<merchant_id>/statements/<month>.csv", responses={200: None})
def merchant_statement_csv(path: MerchantStatementPath):
    """The same statement as CSV: a row a day, then the month's row; amounts in minor units."""
    filename, lines = merchant_statements.statement_csv(current_user(), path.merchant_id, path.month)
    return csv_response(filename, lines)


def csv_response(filename: str, lines) -> Response:
    # stream_with_context keeps the request (and its database session) alive while the
    # generator runs after this function has returned.
    return Response(stream_with_context(lines), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})
