"""/docs in Chromium: Swagger UI renders the operations, under the page's strict CSP."""
from __future__ import annotations


def test_docs_page_lists_the_operations(phone_page, console):
    phone_page.goto("/docs")
    phone_page.wait_for_selector(".opblock", timeout=15_000)
    assert phone_page.locator(".opblock").count() > 20
    assert console.errors == []
