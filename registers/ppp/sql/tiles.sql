-- PPP projects as vector tiles: the union of each project's plots (2180), coloured by stage.
-- Public: projects open for partners (title, stage, contact) of every municipality; every
-- project, with the partner's name, where the viewer holds VIEW_LEASES (``allowed``).
CREATE OR REPLACE FUNCTION ppp_projects_tile(z integer, x integer, y integer, allowed bigint[])
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
        SELECT p.id,
               p.title,
               p.stage,
               p.route,
               p.open_for_partners,
               p.contact,
               array_to_string(p.cadastral_ids, ', ') AS cadastral_ids,
               CASE WHEN p.municipality_id = ANY(allowed) THEN p.partner_name END
                   AS partner_name,
               ST_AsMVTGeom(ST_Transform(p.geom, 3857), b.env_3857, 4096, 64, true) AS geom
        FROM ppp_pppproject AS p
        CROSS JOIN bounds AS b
        WHERE p.geom && b.env
          AND (p.municipality_id = ANY(allowed)
               OR (p.open_for_partners AND p.stage NOT IN ('operation', 'closed')))
    )
    SELECT ST_AsMVT(features, 'ppp_projects', 4096, 'geom')
    FROM features
$$;
