"""Stock rules as pure functions over plain data (docs/rules.md, "Stock"): units, the ledger, days of
cover, what to send next, alerts. No I/O."""
