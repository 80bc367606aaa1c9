-- taxes_tax_status_tile(z, x, y, allowed): the "tax_status" vector tile layer (MVT, layer name
-- tax_status). Inputs: tile coordinates and the municipalities in which the viewer holds
-- VIEW_TAX. Output: active parcels of those municipalities only (none for the public), each with
-- cadastral_id and status: differs (an open reconciliation case still found), assessed (an
-- active, non-exempt tax object), exempt (only exempt objects), not_assessed (no object).
-- Geometry filtered on the stored 2180 column so that the GiST index is used.
CREATE OR REPLACE FUNCTION taxes_tax_status_tile(z integer, x integer, y integer, allowed bigint[])
RETURNS bytea
LANGUAGE sql
STABLE
PARALLEL SAFE
SET max_parallel_workers_per_gather = 0
AS $$
    WITH env AS (
        SELECT ST_TileEnvelope(z, x, y) AS e3857,
               ST_Transform(ST_TileEnvelope(z, x, y), 2180) AS e2180
    ),
    feat AS (
        SELECT
            p.cadastral_id,
            CASE
                WHEN EXISTS (
                    SELECT 1 FROM taxes_reconciliationcase AS c
                    WHERE c.cadastral_id = p.cadastral_id
                      AND c.municipality_id = p.municipality_id
                      AND c.still_detected
                      AND c.status IN ('new', 'in_review')) THEN 'differs'
                WHEN EXISTS (
                    SELECT 1 FROM taxes_taxobject AS o
                    WHERE o.cadastral_id = p.cadastral_id
                      AND o.municipality_id = p.municipality_id
                      AND NOT o.exempt
                      AND (o.ceased_on IS NULL OR o.ceased_on >= current_date)) THEN 'assessed'
                WHEN EXISTS (
                    SELECT 1 FROM taxes_taxobject AS o
                    WHERE o.cadastral_id = p.cadastral_id
                      AND o.municipality_id = p.municipality_id
                      AND (o.ceased_on IS NULL OR o.ceased_on >= current_date)) THEN 'exempt'
                ELSE 'not_assessed'
            END AS status,
            ST_AsMVTGeom(ST_Transform(p.geom, 3857), env.e3857, 4096, 64, true) AS geom
        FROM layers_parcel AS p, env
        WHERE p.geom && env.e2180
          AND p.retired_at IS NULL
          AND p.municipality_id = ANY (allowed)
    )
    SELECT ST_AsMVT(feat, 'tax_status', 4096, 'geom')
    FROM feat
    WHERE geom IS NOT NULL
$$;
