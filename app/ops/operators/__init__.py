"""Granting and revoking operator roles (admins only)."""
