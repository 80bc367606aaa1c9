"""Municipal property and leases register."""
