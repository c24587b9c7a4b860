"""Fixtures for the wallet tests, from tests/support."""
from tests.support.history import mixed  # noqa: F401 - a fixture: a wallet with every kind of transaction
