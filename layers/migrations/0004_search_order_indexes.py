"""Indexes in the text search's sort order (issue 17: autocomplete at 100,000 parcels).

The address and owner searches walk these in order and stop after a page's worth of plots
instead of building every match ("Jas" matches every address of Jasło). The expressions are
exactly those of layers.selectors (_ADDRESS_KEYS, the owner part's name_key): the planner only
uses an index whose expressions match the ORDER BY. The INCLUDE columns let the walk test the
search text and read the label from the index alone (an index-only scan once vacuumed).
Street and owner names sort in Polish (ICU collation pl-x-icu, part of PostgreSQL's ICU build).
"""

from django.db import migrations

ADDRESS = r"""
CREATE INDEX address_search_order_idx ON layers_address (
    (lower(coalesce(nullif(street, ''), locality)) COLLATE "pl-x-icu"),
    (substring(house_number from '^\d+')::bigint),
    house_number,
    (lower(locality) COLLATE "pl-x-icu"))
INCLUDE (id, search_text, street, locality)
WHERE retired_at IS NULL
"""
SUBJECT = r"""
CREATE INDEX subject_search_order_idx ON layers_subject ((name COLLATE "pl-x-icu"))
INCLUDE (id, search_text, name, municipality_id)
WHERE retired_at IS NULL
"""


class Migration(migrations.Migration):

    dependencies = [
        ('layers', '0003_parcel_number_search_index'),
    ]

    operations = [
        migrations.RunSQL(ADDRESS, "DROP INDEX IF EXISTS address_search_order_idx"),
        migrations.RunSQL(SUBJECT, "DROP INDEX IF EXISTS subject_search_order_idx"),
    ]
