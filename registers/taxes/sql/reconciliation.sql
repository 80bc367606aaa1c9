-- Reconciliation of the tax register with the cadastre: every disagreement as one candidate row.
-- Inputs (named): m (municipality id), on (reference date: objects in force on it), tol_m2 and
-- tol_ratio (area tolerance: max of both), footprint_factor (footprint × storeys above this many
-- times the declared area is suspicious), usable_ratio (usable / gross area when estimating),
-- rates G1..B5 (zł per m², G2 per ha: the year's resolved rates, caps where none) and the
-- building-kind → category list (kinds, cats: arrays of equal length).
-- Output columns: kind, fingerprint (stable: kind + cadastral identity), cadastral_id,
-- building_id, tax_object_id, estimated_loss (zł/year, 2 decimals), detail (jsonb).
-- Municipal land (registration groups 4, 5) is exempt (art. 7 ust. 1 pkt 15 UPOL) and is not
-- expected in the register; leases of it are checked separately.
WITH
kind_cat AS (
    SELECT k, c FROM unnest(%(kinds)s::text[], %(cats)s::text[]) AS u(k, c)
),
cat_rate AS (
    SELECT c, r FROM unnest(%(rate_cats)s::text[], %(rate_values)s::numeric[]) AS u(c, r)
),
obj AS (
    SELECT o.*,
           CASE WHEN o.category = 'G2' THEN cr.r / 10000 ELSE cr.r END AS rate_m2
    FROM taxes_taxobject AS o
    LEFT JOIN cat_rate AS cr ON cr.c = o.category
    WHERE o.municipality_id = %(m)s
      AND (o.ceased_on IS NULL OR o.ceased_on >= %(on)s)
      AND (o.arose_on IS NULL OR o.arose_on <= %(on)s)
),
parcel AS (
    SELECT p.id, p.cadastral_id, p.legal_area_m2,
           COALESCE(p.legal_area_m2, p.geom_area_m2::numeric) AS area,
           COALESCE(ru."group" IN (4, 5), false) AS municipal
    FROM layers_parcel AS p
    LEFT JOIN layers_registrationunit AS ru ON ru.id = p.registration_unit_id
    WHERE p.municipality_id = %(m)s
      AND p.retired_at IS NULL
),
parcel_use AS (
    SELECT lu.parcel_id,
           count(*) AS n,
           sum(lu.area_m2) FILTER (WHERE lu.ofu = 'Ba') AS ba_m2,
           sum(lu.area_m2) FILTER (WHERE lu.ofu IN ('Ws')) AS water_m2,
           sum(lu.area_m2) FILTER (WHERE lu.ofu IN %(other_ofu)s) AS other_m2
    FROM layers_parcellanduse AS lu
    JOIN parcel AS p ON p.id = lu.parcel_id
    GROUP BY lu.parcel_id
),
land_declared AS (
    SELECT o.cadastral_id,
           sum(o.area_m2) AS declared_m2,
           sum(o.area_m2 * CASE WHEN o.exempt THEN 0 ELSE COALESCE(o.rate_m2, 0) END)
               / NULLIF(sum(o.area_m2), 0) AS avg_rate_m2,
           count(*) AS n
    FROM obj AS o
    WHERE o.kind = 'land'
    GROUP BY o.cadastral_id
),
building_parcel AS (
    SELECT bp.building_id,
           min(p.cadastral_id) AS cadastral_id,
           bool_and(p.municipal) AS on_municipal_land
    FROM layers_building_parcels AS bp
    JOIN parcel AS p ON p.id = bp.parcel_id
    GROUP BY bp.building_id
),
building AS (
    SELECT b.id, b.building_id, b.kind,
           COALESCE(b.built_up_area_m2, b.geom_area_m2::numeric) AS footprint,
           GREATEST(COALESCE(b.storeys_above, 1), 1) AS storeys,
           NULLIF(COALESCE(b.usable_area_separate_m2, 0) + COALESCE(b.usable_area_other_m2, 0)
                  + COALESCE(b.usable_area_ancillary_m2, 0), 0) AS cadastre_usable,
           COALESCE(ru."group" IN (4, 5), false) AS municipal,
           bpa.cadastral_id,
           bpa.on_municipal_land
    FROM layers_building AS b
    LEFT JOIN layers_registrationunit AS ru ON ru.id = b.registration_unit_id
    LEFT JOIN building_parcel AS bpa ON bpa.building_id = b.id
    WHERE b.municipality_id = %(m)s
      AND b.retired_at IS NULL
),
building_declared AS (
    SELECT o.building_id,
           sum(o.usable_full_m2 + COALESCE(o.usable_half_m2, 0)
               + COALESCE(o.usable_low_m2, 0)) AS declared_gross,
           sum(o.usable_full_m2 + COALESCE(o.usable_half_m2, 0) * 0.5) AS declared_base,
           sum((o.usable_full_m2 + COALESCE(o.usable_half_m2, 0) * 0.5)
               * CASE WHEN o.exempt THEN 0 ELSE COALESCE(o.rate_m2, 0) END)
               / NULLIF(sum(o.usable_full_m2 + COALESCE(o.usable_half_m2, 0) * 0.5), 0)
               AS avg_rate_m2,
           bool_and(o.exempt) AS all_exempt
    FROM obj AS o
    WHERE o.kind = 'building' AND o.building_id <> ''
    GROUP BY o.building_id
),
parcel_untaxed AS (
    -- taxable if it has no land-use record or some property-tax land use
    SELECT 'parcel_untaxed'::text AS kind,
           'parcel_untaxed:' || p.cadastral_id AS fingerprint,
           p.cadastral_id, ''::text AS building_id, NULL::bigint AS tax_object_id,
           round(CASE WHEN u.parcel_id IS NULL THEN p.area * %(G3)s
                      ELSE COALESCE(u.ba_m2, 0) * %(G1)s + COALESCE(u.water_m2, 0) * %(G2)s / 10000
                           + COALESCE(u.other_m2, 0) * %(G3)s END, 2) AS estimated_loss,
           jsonb_build_object('legal_area_m2', p.legal_area_m2, 'ba_m2', u.ba_m2) AS detail
    FROM parcel AS p
    LEFT JOIN parcel_use AS u ON u.parcel_id = p.id
    WHERE NOT p.municipal
      AND (u.parcel_id IS NULL OR COALESCE(u.ba_m2, 0) + COALESCE(u.water_m2, 0)
                                  + COALESCE(u.other_m2, 0) > 0)
      AND NOT EXISTS (SELECT 1 FROM obj AS o
                      WHERE o.cadastral_id = p.cadastral_id AND o.kind = 'land')
),
area_mismatch AS (
    SELECT 'area_mismatch'::text,
           'area_mismatch:' || p.cadastral_id,
           p.cadastral_id, ''::text, NULL::bigint,
           round((p.legal_area_m2 - d.declared_m2) * COALESCE(d.avg_rate_m2, 0), 2),
           jsonb_build_object('legal_area_m2', p.legal_area_m2, 'declared_m2', d.declared_m2)
    FROM parcel AS p
    JOIN land_declared AS d ON d.cadastral_id = p.cadastral_id
    WHERE p.legal_area_m2 IS NOT NULL
      AND abs(p.legal_area_m2 - d.declared_m2)
          > GREATEST(%(tol_m2)s, p.legal_area_m2 * %(tol_ratio)s)
),
business_as_other AS (
    SELECT 'business_as_other'::text,
           'business_as_other:' || p.cadastral_id,
           p.cadastral_id, ''::text, min(o.id),
           round(sum(CASE WHEN t.business THEN o.area_m2
                          ELSE LEAST(o.area_m2, COALESCE(u.ba_m2, 0)) END)
                 * (%(G1)s - %(G3)s), 2),
           jsonb_build_object('area_m2', sum(o.area_m2), 'ba_m2', max(u.ba_m2),
                              'business_taxpayer', bool_or(t.business))
    FROM obj AS o
    JOIN parcel AS p ON p.cadastral_id = o.cadastral_id
    JOIN taxes_taxpayer AS t ON t.id = o.taxpayer_id
    LEFT JOIN parcel_use AS u ON u.parcel_id = p.id
    WHERE o.kind = 'land' AND o.category = 'G3' AND NOT o.exempt
      AND (COALESCE(u.ba_m2, 0) > 0
           OR (t.business AND NOT EXISTS (   -- homes and their land are not business (ust. 2a)
                SELECT 1 FROM layers_building_parcels AS bp
                JOIN layers_building AS b ON b.id = bp.building_id
                WHERE bp.parcel_id = p.id AND b.kind = 'm' AND b.retired_at IS NULL)))
    GROUP BY p.cadastral_id
),
building_untaxed AS (
    SELECT 'building_untaxed'::text,
           'building_untaxed:' || b.building_id,
           COALESCE(b.cadastral_id, ''), b.building_id, NULL::bigint,
           round(COALESCE(b.cadastre_usable, b.footprint * b.storeys * %(usable_ratio)s, 0)
                 * cr.r, 2),
           jsonb_build_object('kind', b.kind, 'footprint_m2', b.footprint,
                              'storeys', b.storeys, 'category', kc.c)
    FROM building AS b
    LEFT JOIN kind_cat AS kc ON kc.k = b.kind
    LEFT JOIN cat_rate AS cr ON cr.c = COALESCE(kc.c, 'B5')
    WHERE NOT b.municipal AND NOT COALESCE(b.on_municipal_land, false)
      AND NOT EXISTS (SELECT 1 FROM obj AS o
                      WHERE o.building_id = b.building_id AND o.kind = 'building')
),
building_underdeclared AS (
    SELECT 'building_underdeclared'::text,
           'building_underdeclared:' || b.building_id,
           COALESCE(b.cadastral_id, ''), b.building_id, NULL::bigint,
           round(GREATEST(b.footprint * b.storeys * %(usable_ratio)s - d.declared_base, 0)
                 * COALESCE(d.avg_rate_m2, 0), 2),
           jsonb_build_object('footprint_m2', b.footprint, 'storeys', b.storeys,
                              'declared_m2', d.declared_gross)
    FROM building AS b
    JOIN building_declared AS d ON d.building_id = b.building_id
    WHERE b.footprint IS NOT NULL
      AND NOT d.all_exempt
      AND b.footprint * b.storeys > %(footprint_factor)s * d.declared_gross
),
object_orphaned AS (
    -- the cadastre split, merged or removed the plot/building: the record needs review
    SELECT 'object_orphaned'::text,
           'object_orphaned:' || x.key,
           min(x.cadastral_id), min(x.building_id), min(x.id),
           0::numeric,
           jsonb_build_object('objects', count(*), 'kind', min(x.kind))
    FROM (
        SELECT o.id, o.kind, o.cadastral_id, o.building_id,
               CASE WHEN o.kind = 'land' THEN o.cadastral_id ELSE o.building_id END AS key
        FROM obj AS o
        WHERE (o.kind = 'land' AND o.cadastral_id <> ''
               AND NOT EXISTS (SELECT 1 FROM parcel AS p WHERE p.cadastral_id = o.cadastral_id))
           OR (o.kind = 'building' AND o.building_id <> ''
               AND NOT EXISTS (SELECT 1 FROM building AS b
                               WHERE b.building_id = o.building_id))
    ) AS x
    GROUP BY x.key
)
SELECT * FROM parcel_untaxed
UNION ALL SELECT * FROM area_mismatch
UNION ALL SELECT * FROM business_as_other
UNION ALL SELECT * FROM building_untaxed
UNION ALL SELECT * FROM building_underdeclared
UNION ALL SELECT * FROM object_orphaned
