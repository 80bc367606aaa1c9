-- Plots with protected flats (training / assisted), for holders of VIEW_HOUSING only.
-- Input: z, x, y of a web-mercator tile; ``allowed`` municipality ids; storage SRID 2180.
-- Output: an MVT tile with counts per plot (never residents: the register holds none).
CREATE OR REPLACE FUNCTION housing_flats_tile(z integer, x integer, y integer,
                                              allowed bigint[])
RETURNS bytea
LANGUAGE sql
STABLE PARALLEL SAFE
SET max_parallel_workers_per_gather = 0
AS $$
    WITH bounds AS (
        SELECT ST_TileEnvelope(z, x, y) AS env_3857,
               ST_Transform(ST_TileEnvelope(z, x, y), 2180) AS env
    ),
    flats AS (
        SELECT f.municipality_id,
               f.cadastral_id,
               count(*) AS flats,
               sum(f.places) AS places,
               sum(f.occupied_places) AS occupied,
               string_agg(DISTINCT f.kind, ',') AS kinds
        FROM housing_protectedflat AS f
        WHERE f.municipality_id = ANY(allowed)
        GROUP BY f.municipality_id, f.cadastral_id
    ),
    features AS (
        SELECT p.id,
               p.cadastral_id,
               fl.flats,
               fl.places,
               fl.occupied,
               fl.kinds,
               ST_AsMVTGeom(ST_Transform(p.geom, 3857), b.env_3857, 4096, 64, true) AS geom
        FROM flats AS fl
        JOIN layers_parcel AS p
            ON p.municipality_id = fl.municipality_id
           AND p.cadastral_id = fl.cadastral_id
           AND p.retired_at IS NULL
        CROSS JOIN bounds AS b
        WHERE p.geom && b.env
    )
    SELECT ST_AsMVT(features, 'protected_flats', 4096, 'geom')
    FROM features
$$;
