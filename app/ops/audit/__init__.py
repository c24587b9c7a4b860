"""Reading and verifying the audit trail (app.core.audit writes it)."""
