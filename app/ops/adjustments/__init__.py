"""Corrections to a wallet that one finance operator proposes and a different one approves."""
