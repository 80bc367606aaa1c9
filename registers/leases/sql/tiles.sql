-- Vector tiles of the leases register: one function per layer, Martin's signature plus
-- ``allowed`` (municipality ids in which the viewer holds the layer's capability).
-- Input: z, x, y of a web-mercator tile; storage SRID 2180; output: an MVT tile (bytea).
-- The tile envelope is transformed to 2180 so the GiST index on the stored column is used.
-- Registration groups 4 and 5 (gminy) = layers.domain.codes.MUNICIPAL_GROUPS.

-- Leased areas, coloured by status and expiry (``state``: proposed, expiring within 90 days,
-- running, open-term, expired). Not public: no feature outside ``allowed``.
CREATE OR REPLACE FUNCTION leases_leased_areas_tile(z integer, x integer, y integer,
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
        SELECT l.id,
               l.number,
               l.status,
               l.kind,
               l.shared,
               l.end_date::text AS end_date,
               (l.end_date - current_date) AS days_left,
               CASE
                   WHEN l.end_date IS NULL THEN 'open'
                   WHEN l.end_date < current_date THEN 'expired'
                   WHEN l.end_date - current_date <= 90 THEN 'expiring'
                   ELSE 'running'
               END AS expiry,
               -- one attribute for the map's colours: a proposal, else the expiry class
               CASE
                   WHEN l.status = 'proposed' THEN 'proposed'
                   WHEN l.end_date IS NULL THEN 'open'
                   WHEN l.end_date < current_date THEN 'expired'
                   WHEN l.end_date - current_date <= 90 THEN 'expiring'
                   ELSE 'running'
               END AS state,
               ST_AsMVTGeom(ST_Transform(l.geom, 3857), b.env_3857, 4096, 64, true) AS geom
        FROM leases_lease AS l
        CROSS JOIN bounds AS b
        WHERE l.geom && b.env
          AND l.municipality_id = ANY(allowed)
          AND l.status IN ('proposed', 'active')
    )
    SELECT ST_AsMVT(features, 'leased_areas', 4096, 'geom')
    FROM features
$$;

-- Municipal property: plots of registration groups 4/5, corrected by hand. Not public.
CREATE OR REPLACE FUNCTION leases_municipal_property_tile(z integer, x integer, y integer,
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
        SELECT p.id,
               p.cadastral_id,
               coalesce(o.status, 'cadastre') AS source,
               coalesce(o.manager, '') AS manager,
               coalesce(o.management_form, '') AS management_form,
               ST_AsMVTGeom(ST_Transform(p.geom, 3857), b.env_3857, 4096, 64, true) AS geom
        FROM layers_parcel AS p
        CROSS JOIN bounds AS b
        LEFT JOIN layers_registrationunit AS ru
            ON ru.id = p.registration_unit_id
        LEFT JOIN leases_propertyoverride AS o
            ON o.municipality_id = p.municipality_id
           AND o.cadastral_id = p.cadastral_id
        WHERE p.geom && b.env
          AND p.retired_at IS NULL
          AND p.municipality_id = ANY(allowed)
          AND (o.status = 'include'
               OR (ru."group" IN (4, 5) AND coalesce(o.status, 'cadastre') <> 'exclude'))
    )
    SELECT ST_AsMVT(features, 'municipal_property', 4096, 'geom')
    FROM features
$$;

-- The investment offer: public, published offers of every municipality.
CREATE OR REPLACE FUNCTION leases_investment_offer_tile(z integer, x integer, y integer,
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
        SELECT o.id,
               o.title,
               o.mode,
               round(o.area_m2::numeric, 0)::integer AS area_m2,
               o.price::text AS price,
               array_to_string(o.cadastral_ids, ', ') AS cadastral_ids,
               ST_AsMVTGeom(ST_Transform(o.geom, 3857), b.env_3857, 4096, 64, true) AS geom
        FROM leases_investmentoffer AS o
        CROSS JOIN bounds AS b
        WHERE o.geom && b.env
          AND o.published
    )
    SELECT ST_AsMVT(features, 'investment_offer', 4096, 'geom')
    FROM features
$$;
