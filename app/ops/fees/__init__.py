"""Fees: a finance operator sets a merchant's discount rate and the global fee settings (the
posting reads them: app/wallet/sql/fees.sql). Each change is audited in its own transaction."""
