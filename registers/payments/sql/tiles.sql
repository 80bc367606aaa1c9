-- payments_arrears_precinct_tile(z, x, y, allowed): the "tax_arrears_precincts" choropleth
-- (MVT layer tax_arrears_precincts). Per cadastral precinct of the municipalities in
-- ``allowed`` (VIEW_TAX; nothing for the public): arrears = the unpaid instalments due before
-- today of every taxpayer holding a non-exempt tax object in the precinct on that day (a
-- taxpayer with plots in two precincts counts in both), debtors = how many such taxpayers owe,
-- band 0–3 for the legend (0 none, 1 < 1,000 zł, 2 < 10,000 zł, 3 above).
CREATE OR REPLACE FUNCTION payments_arrears_precinct_tile(z integer, x integer, y integer,
                                                          allowed bigint[])
RETURNS bytea
LANGUAGE sql
STABLE PARALLEL SAFE
SET max_parallel_workers_per_gather = 0
AS $$
    WITH bounds AS (
        SELECT ST_TileEnvelope(z, x, y) AS env_3857,
               ST_Transform(ST_TileEnvelope(z, x, y, margin => 64.0 / 4096), 2180) AS env,
               (now() AT TIME ZONE 'Europe/Warsaw')::date AS today
    ),
    precincts AS (
        SELECT pr.id, pr.teryt, pr.name, pr.municipality_id, pr.geom
        FROM layers_precinct AS pr, bounds AS b
        WHERE pr.geom && b.env AND pr.municipality_id = ANY (allowed)
    ),
    payers AS (
        SELECT DISTINCT pc.id AS precinct_id, o.taxpayer_id
        FROM precincts AS pc
        JOIN layers_parcel AS p ON p.precinct_id = pc.id AND p.retired_at IS NULL
        JOIN taxes_taxobject AS o ON o.municipality_id = p.municipality_id
                                  AND o.cadastral_id = p.cadastral_id AND NOT o.exempt
        CROSS JOIN bounds AS b
        WHERE (o.arose_on IS NULL OR o.arose_on <= b.today)
          AND (o.ceased_on IS NULL OR o.ceased_on >= b.today)
    ),
    debt AS (
        SELECT py.precinct_id, sum(c.principal_open) AS arrears,
               count(DISTINCT c.taxpayer_id) AS debtors
        FROM payers AS py
        JOIN payments_charge AS c ON c.taxpayer_id = py.taxpayer_id
        CROSS JOIN bounds AS b
        WHERE c.kind = 'instalment' AND c.principal_open > 0 AND c.due_date < b.today
        GROUP BY py.precinct_id
    ),
    features AS (
        SELECT pc.id, pc.teryt, pc.name,
               coalesce(d.arrears, 0)::float8 AS arrears,
               coalesce(d.debtors, 0) AS debtors,
               CASE WHEN coalesce(d.arrears, 0) = 0 THEN '0'
                    WHEN d.arrears < 1000 THEN '1'
                    WHEN d.arrears < 10000 THEN '2'
                    ELSE '3' END AS band,
               ST_AsMVTGeom(ST_Transform(pc.geom, 3857), b.env_3857, 4096, 64, true) AS geom
        FROM precincts AS pc
        CROSS JOIN bounds AS b
        LEFT JOIN debt AS d ON d.precinct_id = pc.id
    )
    SELECT coalesce(ST_AsMVT(features, 'tax_arrears_precincts', 4096, 'geom', 'id'), ''::bytea)
    FROM features
    WHERE geom IS NOT NULL
$$;
