"""Who is calling: the socket's address, or the proxy chain's when TRUSTED_PROXY_COUNT says so.

ProxyFix (installed in create_app when TRUSTED_PROXY_COUNT > 0) rewrites remote_addr from
X-Forwarded-For; without it a client cannot choose its own address with a header.
"""
from flask import request


def client_address() -> str:
    return request.remote_addr or "unknown"
