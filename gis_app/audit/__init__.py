"""The audit trail: who read protected data and who changed register records."""
