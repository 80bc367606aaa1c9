-- taxes_object_liabilities(municipality, year): every tax object's liability for the year.
-- Inputs: a municipality id and a tax year. Reads taxes_taxobject, taxes_rateresolution,
-- taxes_rate. Output: one row per object with months of obligation > 0: base (m², usable m² or
-- value), the rate applied and the amount in grosze. The formulas mirror registers/taxes/rules.py
-- (obligation_months, usable_area, object_tax): months from the first day of the month after
-- the event to the end of the month of cessation; rooms 1.40–2.20 m count half; G2 per hectare;
-- BU in per cent; rates from the latest resolution of the year or before it (art. 20a); a
-- differentiated variant when the resolution has it, else the general rate. LANGUAGE sql and
-- one SELECT so that the planner inlines it and pushes filters (taxpayer, object) down.
CREATE OR REPLACE FUNCTION taxes_object_liabilities(p_municipality bigint, p_year integer)
RETURNS TABLE (
    object_id bigint, taxpayer_id bigint, kind varchar, category varchar, base numeric,
    rate numeric, months integer, exempt boolean, amount numeric
)
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    WITH res AS (
        SELECT r.id
        FROM taxes_rateresolution AS r
        WHERE r.municipality_id = p_municipality
          AND r.year <= p_year
        ORDER BY r.year DESC
        LIMIT 1
    ),
    rates AS (
        SELECT t.category, t.variant, t.rate
        FROM taxes_rate AS t
        WHERE t.resolution_id = (SELECT id FROM res)
    ),
    obj AS (
        SELECT
            o.id, o.taxpayer_id, o.kind, o.category, o.variant, o.exempt,
            CASE o.kind
                WHEN 'land' THEN o.area_m2
                WHEN 'building' THEN o.usable_full_m2 + COALESCE(o.usable_half_m2, 0) * 0.5
                ELSE o.value
            END AS base,
            GREATEST(0,
                LEAST(12, CASE WHEN o.ceased_on IS NULL THEN 12
                               ELSE (EXTRACT(YEAR FROM o.ceased_on)::int - p_year) * 12
                                    + EXTRACT(MONTH FROM o.ceased_on)::int END)
                - GREATEST(1, CASE WHEN o.arose_on IS NULL THEN 1
                                   ELSE (EXTRACT(YEAR FROM o.arose_on)::int - p_year) * 12
                                        + EXTRACT(MONTH FROM o.arose_on)::int + 1 END)
                + 1) AS months
        FROM taxes_taxobject AS o
        WHERE o.municipality_id = p_municipality
    )
    SELECT
        obj.id,
        obj.taxpayer_id,
        obj.kind,
        obj.category,
        obj.base,
        COALESCE(rv.rate, r0.rate) AS rate,
        obj.months,
        obj.exempt,
        CASE
            WHEN obj.exempt OR COALESCE(rv.rate, r0.rate) IS NULL THEN 0::numeric
            ELSE round(
                CASE obj.category
                    WHEN 'G2' THEN obj.base / 10000
                    WHEN 'BU' THEN obj.base / 100
                    ELSE obj.base
                END * COALESCE(rv.rate, r0.rate) * obj.months / 12, 2)
        END AS amount
    FROM obj
    LEFT JOIN rates AS rv
        ON rv.category = obj.category AND rv.variant = obj.variant AND obj.variant <> ''
    LEFT JOIN rates AS r0
        ON r0.category = obj.category AND r0.variant = ''
    WHERE obj.months > 0
$$;
