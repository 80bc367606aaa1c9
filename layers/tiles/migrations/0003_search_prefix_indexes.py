"""Prefix indexes for search: "kosciuszki 12…" and "kowalski…" as btree range scans.

A street or surname typed alone matched thousands of rows through the trigram index, and
reading them all to rank took 25-50 ms on 100,000 addresses; the prefix (the usual way people
type) is answered in order from a btree in well under a millisecond. The trigram index remains
for words in any order. Created here because the tiles/search app owns the read paths; the
statements are idempotent.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tiles", "0002_lean_low_zoom_tiles"), ("layers", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS address_search_prefix "
            "ON layers_address (search_text text_pattern_ops);"
            "CREATE INDEX IF NOT EXISTS subject_search_prefix "
            "ON layers_subject (search_text text_pattern_ops);",
            "DROP INDEX IF EXISTS address_search_prefix;"
            "DROP INDEX IF EXISTS subject_search_prefix;",
        ),
    ]
