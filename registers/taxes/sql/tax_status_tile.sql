-- The ONE definition of a parcel's tax status, read by the parcel card
-- (taxes.selectors.card_section) and by the tax_status tile below (issue #15: one home per
-- rule; tests/db/test_tax_status_parity.py proves both agree for every status).
--
-- taxes_parcel_tax_status(municipality_id, cadastral_id, on_day) -> (status, arrears, klass):
--   differs       an open reconciliation case (still found, status new or in_review; a case
--                 marked explained or corrected is closed) — the cadastre disagrees;
--   not_assessed  no tax object active on the day (arose_on <= day <= ceased_on, open ends);
--   exempt        only exempt objects;
--   in_arrears    a taxpayer of a non-exempt object has an instalment due before the day and
--                 not paid in full (arrears = the sum of those taxpayers' unpaid instalments;
--                 tax is owed per taxpayer, not per plot);
--   paid          charges posted and nothing overdue (paid to date);
--   assessed      taxed, but no decision's instalments posted yet.
-- klass refines in_arrears by amount for the map legend (arrears_low < 500 zł <= arrears_mid
-- < 5,000 zł <= arrears_high).
-- Bodies reference payments_charge (registers/payments), created after this file first runs
-- in an older migration: validation of the bodies is deferred to the first call.
SET LOCAL check_function_bodies = off;

CREATE OR REPLACE FUNCTION taxes_parcel_tax_status(mun bigint, cad text, on_day date)
RETURNS TABLE (status text, arrears numeric, klass text)
LANGUAGE sql
STABLE
AS $$
    SELECT s.status, s.arrears,
           CASE WHEN s.status <> 'in_arrears' THEN s.status
                WHEN s.arrears < 500 THEN 'arrears_low'
                WHEN s.arrears < 5000 THEN 'arrears_mid'
                ELSE 'arrears_high' END AS klass
    FROM (
        SELECT CASE
                   WHEN EXISTS (
                       SELECT 1 FROM taxes_reconciliationcase AS c
                       WHERE c.municipality_id = mun AND c.cadastral_id = cad
                         AND c.still_detected AND c.status IN ('new', 'in_review'))
                       THEN 'differs'
                   WHEN o.n_active = 0 THEN 'not_assessed'
                   WHEN o.n_taxed = 0 THEN 'exempt'
                   WHEN d.arrears > 0 THEN 'in_arrears'
                   WHEN d.n_charges > 0 THEN 'paid'
                   ELSE 'assessed'
               END AS status,
               d.arrears
        FROM (
            SELECT count(*) AS n_active, count(*) FILTER (WHERE NOT t.exempt) AS n_taxed,
                   array_agg(DISTINCT t.taxpayer_id) FILTER (WHERE NOT t.exempt) AS payers
            FROM taxes_taxobject AS t
            WHERE t.municipality_id = mun AND t.cadastral_id = cad
              AND (t.arose_on IS NULL OR t.arose_on <= on_day)
              AND (t.ceased_on IS NULL OR t.ceased_on >= on_day)
        ) AS o
        CROSS JOIN LATERAL (
            SELECT count(*) AS n_charges,
                   coalesce(sum(ch.principal_open)
                            FILTER (WHERE ch.due_date < on_day AND ch.kind = 'instalment'), 0)
                       AS arrears
            FROM payments_charge AS ch
            WHERE ch.taxpayer_id = ANY (coalesce(o.payers, '{}'))
        ) AS d
    ) AS s
$$;

-- taxes_tax_status_tile(z, x, y, allowed): the "tax_status" vector tile layer (MVT, layer name
-- tax_status, feature id = parcel id). Inputs: tile coordinates and the municipalities in which
-- the viewer holds VIEW_TAX. Output: active parcels of those municipalities only (nothing for
-- the public), each with cadastral_id, status, klass and arrears from taxes_parcel_tax_status
-- (the same function the card reads) on the current day. Filtered on the stored 2180 column
-- so that the GiST index is used; geometries simplified to about half a pixel. PL/pgSQL so each
-- connection caches the plan; serial plan (a parallel one was slower on 2 cores).
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
            s.status,
            s.klass,
            s.arrears::float8 AS arrears,
            ST_AsMVTGeom(ST_Transform(ST_Simplify(p.geom, tol, true), 3857),
                         env, 4096, 64, true) AS geom
        FROM layers_parcel AS p
        CROSS JOIN LATERAL taxes_parcel_tax_status(p.municipality_id, p.cadastral_id,
                                                   (now() AT TIME ZONE 'Europe/Warsaw')::date) AS s
        WHERE p.geom && bbox
          AND p.retired_at IS NULL
          AND p.municipality_id = ANY (allowed)
    ) AS t
    WHERE t.geom IS NOT NULL;
    RETURN coalesce(result, ''::bytea);
END $$;
