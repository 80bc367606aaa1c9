-- Vector tile of the landscape inspections register (Martin's signature plus ``allowed``).
-- Input: z, x, y of a web-mercator tile; ``allowed`` = municipality ids in which the viewer holds
-- Capability.VIEW_LANDSCAPE. Storage SRID 2180; output: an MVT tile (bytea), layer "landscape_inspections".
-- Not public: no feature outside ``allowed`` (the public passes an empty array and gets nothing).
CREATE OR REPLACE FUNCTION landscape_inspections_tile(z integer, x integer, y integer,
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
    features AS (
        SELECT i.id,
               i.outcome,
               i.object ->> 'type' AS object_type,
               i.inspected_at::date::text AS inspected_on,
               i.parcel_cadastral_id,
               ST_AsMVTGeom(ST_Transform(i.geom, 3857), b.env_3857, 4096, 64, true) AS geom
        FROM landscape_inspection AS i
        CROSS JOIN bounds AS b
        WHERE i.geom && b.env
          AND i.municipality_id = ANY(allowed)
    )
    SELECT ST_AsMVT(features, 'landscape_inspections', 4096, 'geom')
    FROM features
$$;
