"""Pure Python: identifiers, code lists, SRIDs. Imports neither Django nor the database."""
