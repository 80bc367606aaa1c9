-- The change counter behind the tiles' ETag: a statement-level trigger bumps one row per table
-- in tiles_table_version on INSERT/UPDATE/DELETE/TRUNCATE (one cheap UPDATE per statement,
-- whatever the rows touched). tiles_track(table) puts a table under the counter. Applied by
-- layers/tiles/migrations/0001_tile_functions.py.

CREATE TABLE IF NOT EXISTS tiles_table_version (
    table_name text PRIMARY KEY,
    version bigint NOT NULL DEFAULT 0
);

CREATE OR REPLACE FUNCTION tiles_bump_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tiles_table_version AS v (table_name, version) VALUES (TG_TABLE_NAME, 1)
    ON CONFLICT (table_name) DO UPDATE SET version = v.version + 1;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION tiles_track(tbl regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    name text := (SELECT relname FROM pg_class WHERE oid = tbl);
BEGIN
    EXECUTE format('DROP TRIGGER IF EXISTS tiles_version_bump ON %s', tbl);
    EXECUTE format('CREATE TRIGGER tiles_version_bump AFTER INSERT OR UPDATE OR DELETE '
                   'OR TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION tiles_bump_version()',
                   tbl);
    INSERT INTO tiles_table_version (table_name, version) VALUES (name, 0)
    ON CONFLICT (table_name) DO NOTHING;
END $$;
