"""Checks every request passes before any route sees it."""
from flask import Flask, request

from app.core.errors import AppError, Code


def register_guards(app: Flask) -> None:
    @app.before_request
    def refuse_nul_characters():
        """PostgreSQL text cannot hold NUL; refuse it at the door (as bad input) instead of letting
        it reach a query and fail there as a 500. Other control characters are left to schemas."""
        if "\x00" in request.path or "\x00" in request.query_string.decode("latin-1"):
            raise AppError(Code.NOT_FOUND, "not found")
        body = request.get_data(cache=True)
        if b"\x00" in body or b"\\u0000" in body:
            raise AppError(Code.VALIDATION_ERROR, "NUL characters are not accepted",
                           {"fields": [{"field": "body", "message": "contains a NUL character"}]})
