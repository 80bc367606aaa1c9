"""PostgreSQL advisory-lock namespaces: every ``pg_advisory_*lock(namespace, key)`` the project
takes names its namespace here, so two features can never pick the same number by accident.
The second key is the municipality's (or the import run's) id."""

from __future__ import annotations

#: Writes of imported data into one municipality's layers (the cadastre and vector imports).
IMPORT_MUNICIPALITY = 0x6765_6F67  # "geog"
#: An import run in progress (held by the running process; a stale run shows none).
IMPORT_RUN = 0x6765_6F68
#: Lease checks of one municipality (the overlap check cannot be a constraint).
LEASE_CHECKS = 7301
