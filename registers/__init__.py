"""The municipal registers, each tied to plots and buildings of ``layers``."""
