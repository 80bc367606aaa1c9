-- taxes_tax_status_tile(z, x, y, allowed): the "tax_status" vector tile layer (MVT, layer name
-- tax_status, feature id = parcel id). Inputs: tile coordinates and the municipalities in which
-- the viewer holds VIEW_TAX. Output: active parcels of those municipalities only (nothing for
-- the public), each with cadastral_id and status: differs (an open reconciliation case still
-- found), assessed (an active, non-exempt tax object), exempt (only exempt objects),
-- not_assessed (no object). Filtered on the stored 2180 column so that the GiST index is used;
-- geometries simplified to about half a pixel. PL/pgSQL so each connection caches the plan;
-- serial plan (a parallel one was slower on 2 cores, see layers/tiles).
CREATE OR REPLACE FUNCTION taxes_tax_status_tile(z integer, x integer, y integer, allowed bigint[])
RETURNS bytea
LANGUAGE plpgsql
STABLE
PARALLEL SAFE
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    env geometry;
    bbox geometry;
    tol float8;
    result bytea;
BEGIN
    IF z < 14 OR allowed IS NULL OR cardinality(allowed) = 0 THEN
        RETURN ''::bytea;
    END IF;
    env := ST_TileEnvelope(z, x, y);
    bbox := ST_Transform(ST_TileEnvelope(z, x, y, margin => 64.0 / 4096), 2180);
    tol := (ST_XMax(env) - ST_XMin(env)) / 4096 * 0.3;
    SELECT ST_AsMVT(t, 'tax_status', 4096, 'geom', 'fid') INTO result FROM (
        SELECT
            p.id AS fid,
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
            ST_AsMVTGeom(ST_Transform(ST_Simplify(p.geom, tol, true), 3857),
                         env, 4096, 64, true) AS geom
        FROM layers_parcel AS p
        WHERE p.geom && bbox
          AND p.retired_at IS NULL
          AND p.municipality_id = ANY (allowed)
    ) AS t
    WHERE t.geom IS NOT NULL;
    RETURN coalesce(result, ''::bytea);
END $$;
