-- Estimated occupancy of the paid-parking zones as vector tiles (the zone manager's thematic
-- layer): each zone of a municipality where the viewer may read parking revenue (``allowed``),
-- with its average occupancy over the paid hours of the recent period (parking_zoneoccupancy,
-- refreshed daily by manage.py parking_occupancy) and its class for the colours. Not public:
-- nothing outside ``allowed`` is returned.
CREATE OR REPLACE FUNCTION parking_occupancy_tile(z integer, x integer, y integer,
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
        SELECT f.id,
               f.code,
               f.name,
               c.bays,
               o.occupancy::float8 AS occupancy,
               o.revenue::float8 AS revenue,
               o.period_from::text AS period_from,
               o.period_to::text AS period_to,
               CASE WHEN o.occupancy IS NULL THEN 'none'
                    WHEN o.occupancy < 50 THEN 'low'
                    WHEN o.occupancy < 70 THEN 'medium'
                    WHEN o.occupancy < 85 THEN 'high'
                    ELSE 'full' END AS band,
               ST_AsMVTGeom(ST_Transform(f.geom, 3857), b.env_3857, 4096, 64, true) AS geom
        FROM layers_parkingzone AS f
        CROSS JOIN bounds AS b
        LEFT JOIN parking_zonecapacity AS c ON c.zone_id = f.id
        LEFT JOIN parking_zoneoccupancy AS o ON o.zone_id = f.id
        WHERE f.geom && b.env
          AND f.retired_at IS NULL
          AND f.municipality_id = ANY(allowed)
    )
    SELECT ST_AsMVT(features, 'parking_occupancy', 4096, 'geom')
    FROM features
$$;
