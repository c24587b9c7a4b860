"""The operator console's read side (/admin): finding users, a user's page, their ledger check, and
terminals that need a look. Read-only; the changes go through the ops features that own them."""
