"""The law of this register as pure functions (no Django, no database)."""
