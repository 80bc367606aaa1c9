-- taxes_object_liabilities(municipality, year): every tax object's liability for the year.
-- Inputs: a municipality id and a tax year. Reads taxes_taxobject, taxes_rateresolution,
-- taxes_rate. Output: one row per object with months of obligation > 0: base (m², usable m² or
-- value), the rate applied and the amount in grosze. The formulas mirror registers/taxes/rules.py
-- (obligation_months, usable_area, object_tax): months from the first day of the month after
-- the event to the end of the month of cessation; rooms 1.40–2.20 m count half; G2 per hectare;
-- BU in per cent; rates from the latest resolution of the year or before it (art. 20a); a
-- differentiated variant when the resolution has it, else the general rate. LANGUAGE sql and
-- one SELECT so that the planner inlines it and pushes filters (taxpayer, object) down.
-- A building's or structure's completion or start of use (arose_event) makes the obligation
-- arise on 1 January of the next year (art. 6 ust. 2 UPOL): the event counts as 31 December
-- (rules.building_obligation_event). Bodies are not checked at creation: earlier migrations
-- create this function before the columns it reads exist; the migration that adds them
-- re-creates it.
SET LOCAL check_function_bodies = off;
CREATE OR REPLACE FUNCTION taxes_object_liabilities(p_municipality bigint, p_year integer)
RETURNS TABLE (
    object_id bigint, taxpayer_id bigint, kind varchar, category varchar, base numeric,
    rate numeric, months integer, exempt boolean, amount numeric
)
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    WITH obj AS (
        SELECT
            o.id, o.taxpayer_id, o.kind, o.category, o.exempt,
            CASE o.kind
                WHEN 'land' THEN o.area_m2
                WHEN 'building' THEN o.usable_full_m2 + COALESCE(o.usable_half_m2, 0) * 0.5
                ELSE o.value
            END AS base,
            -- a differentiated rate when the object names a variant the resolution has
            COALESCE(rv.rate, r0.rate) AS rate,
            GREATEST(0,
                LEAST(12, CASE WHEN o.ceased_on IS NULL THEN 12
                               ELSE (EXTRACT(YEAR FROM o.ceased_on)::int - p_year) * 12
                                    + EXTRACT(MONTH FROM o.ceased_on)::int END)
                - GREATEST(1, CASE WHEN o.arose_on IS NULL THEN 1
                                   WHEN o.arose_event IN ('completion', 'start_of_use')
                                   THEN (EXTRACT(YEAR FROM o.arose_on)::int - p_year) * 12 + 13
                                   ELSE (EXTRACT(YEAR FROM o.arose_on)::int - p_year) * 12
                                        + EXTRACT(MONTH FROM o.arose_on)::int + 1 END)
                + 1) AS months
        FROM taxes_taxobject AS o
        LEFT JOIN taxes_rate AS r0
            ON r0.resolution_id = (
                   -- art. 20a: the latest resolution of the year or before it
                   SELECT r.id
                   FROM taxes_rateresolution AS r
                   WHERE r.municipality_id = p_municipality
                     AND r.year <= p_year
                   ORDER BY r.year DESC
                   LIMIT 1)
           AND r0.category = o.category
           AND r0.variant = ''
        LEFT JOIN taxes_rate AS rv
            ON o.variant <> ''
           AND rv.resolution_id = r0.resolution_id
           AND rv.category = o.category
           AND rv.variant = o.variant
        WHERE o.municipality_id = p_municipality
    )
    SELECT
        obj.id,
        obj.taxpayer_id,
        obj.kind,
        obj.category,
        obj.base,
        obj.rate,
        obj.months,
        obj.exempt,
        CASE
            WHEN obj.exempt OR obj.rate IS NULL THEN 0::numeric
            ELSE round(
                CASE obj.category
                    WHEN 'G2' THEN obj.base / 10000
                    WHEN 'BU' THEN obj.base / 100
                    ELSE obj.base
                END * obj.rate * obj.months / 12, 2)
        END AS amount
    FROM obj
    WHERE obj.months > 0
$$;
