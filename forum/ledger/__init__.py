"""The contribution ledger: one row per countable act, read by the tallies."""
