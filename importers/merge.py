"""Set-based merge of the staged features into the ``layers`` tables.

This module owns the import's temp-table protocol: every statement over the temp tables of an
import's transaction is here, and ``importers.services`` calls the steps below by name, never a
table. Geometry parse, transform, validation and repair; duplicate and foreign-municipality
rejection; choice of the current version per object; reference resolution (all three href forms
were normalised by the reader to ``i:<namespace>:<localId>`` or ``g:<gml:id>``); one INSERT and
one UPDATE per table; history into ``layers_featureversion``; links, retirement of objects
absent from a complete extract, and the report.

The tables, in the order they are made (statements alias each with the short name in brackets):

* ``import_staged`` (stg): the reader's records as COPY'd (``importers.staging``);
* ``import_checked`` (t): typed, geometry in the storage CRS, ``error`` holding every reason
  an object is rejected;
* ``import_current`` (k): the current version of each accepted object (and how many versions
  the file holds);
* ``import_unchanged`` (same): objects already stored exactly as the file has them;
* ``import_to_merge`` (c): the current versions left to merge, with the parcel-number parts;
* ``import_older`` (h): the older versions found in the file, for history;
* ``import_links`` (r): one row per (object, property, referenced object);
* ``import_unresolved`` (u): references neither in the file nor stored, per object;
* ``import_plan`` (m): per table, what to do with each object (create, update, same, older);
* ``import_touched`` (tt): stored rows this run created or updated, for their links.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from layers.domain.codes import LAND_USE_LABELS
from layers.domain.srid import STORAGE_SRID

STAGED = "import_staged"
CHECKED = "import_checked"
TEMP_TABLES = (STAGED, CHECKED, "import_current", "import_unchanged", "import_to_merge",
               "import_older", "import_links", "import_unresolved", "import_plan",
               "import_touched")
MAX_ISSUES = 10_000
AREA_TOLERANCE = 0.02  # relative; plus 1 m² absolute

COMMON_COLUMNS = {
    "municipality_id": "%(muni)s",
    "source_namespace": "c.ns",
    "local_id": "c.local_id",
    "version_id": "c.version_id",
    "object_start": "c.object_start",
    "version_start": "c.version_start",
    "version_end": "c.version_end",
    "object_end": "c.object_end",
    "retired_at": "CASE WHEN c.object_end IS NOT NULL THEN now() END",
    "import_run_id": "%(run)s",
    "unresolved_links": "coalesce(u.links, '{}'::jsonb)",
}
# Looked-up columns are LEFT JOINs of the merge statements (hash joins over all the staged rows
# at once), not subqueries, which ran once per row: three index probes per parcel.
COMMON_JOINS = ("LEFT JOIN import_unresolved u ON u.seq = c.seq",)


@dataclass(frozen=True)
class _Lookup:
    """A column found by a join: ``<alias>.id`` of ``join`` ({a} stands for the alias)."""

    join: str


def _fk(props: tuple[str, ...], table: str) -> _Lookup:
    """The stored target of a feature's reference through one of ``props``."""
    plist = ",".join(f"'{p}'" for p in props)
    return _Lookup(f"LEFT JOIN (SELECT DISTINCT ON (r.seq) r.seq, x.id FROM import_links r "
                   f"JOIN {table} x ON x.source_namespace = r.tns AND x.local_id = r.tlid "
                   f"WHERE r.prop IN ({plist}) ORDER BY r.seq, r.ref) {{a}} ON {{a}}.seq = c.seq")


def _precinct_of() -> _Lookup:
    """The precinct named by the feature's identifier (``c.pkey``: its WWPPGG_R.OOOO)."""
    return _Lookup("LEFT JOIN layers_precinct {a} ON {a}.teryt = c.pkey")


@dataclass
class Spec:
    ftype: str
    table: str
    label: str
    columns: dict[str, str | _Lookup]
    refs: dict[str, str] = field(default_factory=dict)  # prop → target table
    key: str = "e.source_namespace = c.ns AND e.local_id = c.local_id"


REGUNIT = "layers_registrationunit"
SUBJECT = "layers_subject"
ADDRESS = "layers_address"
PARCEL = "layers_parcel"
PRECINCT = "layers_precinct"

# The properties by which a subject (a marriage, a group) names its members: the subject's
# references here, and its member links in ``link_relations``.
SUBJECT_MEMBER_PROPS = ("osobaFizyczna2", "osobaFizyczna3", "instytucja", "osobaFizyczna4",
                        "malzenstwo3", "osobaFizyczna", "malzenstwo")

SPECS: list[Spec] = [
    Spec("precinct", PRECINCT, "precincts", {
        "teryt": "c.attrs->>'teryt'",
        "name": "coalesce(c.attrs->>'name', '')",
        "geom": "ST_Multi(c.geom)",
    }, key="e.teryt = c.attrs->>'teryt'"),
    Spec("address", ADDRESS, "addresses", {
        "locality": "c.attrs->>'locality'",
        "locality_simc": "c.attrs->>'locality_simc'",
        "street": "c.attrs->>'street'",
        "street_ulic": "c.attrs->>'street_ulic'",
        "house_number": "left(c.attrs->>'house_number', 32)",
        "flat_number": "left(c.attrs->>'flat_number', 32)",
        "search_text": "left(c.attrs->>'search_text', 400)",
        "geom": "CASE WHEN GeometryType(c.geom) = 'POINT' THEN c.geom END",
    }),
    Spec("regunit", REGUNIT, "registration units", {
        "unit_id": "c.attrs->>'unit_id'",
        "kind": "c.attrs->>'kind'",
        "group": "(c.attrs->>'group')::smallint",
    }),
    Spec("subject", SUBJECT, "subjects", {
        "kind": "c.attrs->>'kind'",
        "name": "left(c.attrs->>'name', 512)",
        "search_text": "left(c.attrs->>'search_text', 512)",
        "regon": "left(coalesce(c.attrs->>'regon', ''), 14)",
        "status": "(c.attrs->>'status')::smallint",
        "pesel_encrypted": "convert_to(c.attrs->>'pesel_enc', 'UTF8')",
    }, refs=dict.fromkeys(SUBJECT_MEMBER_PROPS, SUBJECT)),
    Spec("share", "layers_share", "shares", {
        "kind": "c.attrs->>'kind'",
        "right": "(c.attrs->>'right')::smallint",
        "numerator": "(c.attrs->>'numerator')::integer",
        "denominator": "nullif((c.attrs->>'denominator')::integer, 0)",
        "subject_id": _fk(("podmiotUdzialuWlasnosci", "podmiotUdzialuWeWladaniu"), SUBJECT),
        "registration_unit_id": _fk(("przedmiotUdzialuWlasnosci", "przedmiotUdzialuWladania"),
                                    REGUNIT),
    }, refs={"podmiotUdzialuWlasnosci": SUBJECT, "podmiotUdzialuWeWladaniu": SUBJECT,
             "przedmiotUdzialuWlasnosci": REGUNIT, "przedmiotUdzialuWladania": REGUNIT}),
    Spec("parcel", PARCEL, "parcels", {
        "precinct_id": _precinct_of(),
        "cadastral_id": "c.attrs->>'cadastral_id'",
        "number": "left(c.number, 32)",
        "sheet": "c.sheet",
        "legal_area_m2": "round((c.attrs->>'legal_area_m2')::numeric, 2)",
        "kw_numbers": "ARRAY(SELECT left(jsonb_array_elements_text(c.attrs->'kw'), 20))",
        "registration_unit_id": _fk(("JRG2", "JRG"), REGUNIT),
        "source_format": "c.attrs->>'schema'",
        "geom": "c.geom",
    }, refs={"JRG2": REGUNIT, "JRG": REGUNIT, "adresDzialki": ADDRESS,
             "lokalizacjaDzialki": PRECINCT, "lokalizacjaDzialki2": PRECINCT}),
    Spec("building", "layers_building", "buildings", {
        "precinct_id": _precinct_of(),
        "building_id": "left(c.attrs->>'building_id', 80)",
        "kind": "coalesce(c.attrs->>'kind', '')",
        "kind_source": "coalesce(c.attrs->>'kind_source', '')",
        "storeys_above": "(c.attrs->>'storeys_above')::smallint",
        "storeys_below": "(c.attrs->>'storeys_below')::smallint",
        "built_up_area_m2": "round((c.attrs->>'built_up_area_m2')::numeric, 2)",
        "usable_area_separate_m2": "round((c.attrs->>'usable_area_separate_m2')::numeric, 2)",
        "usable_area_other_m2": "round((c.attrs->>'usable_area_other_m2')::numeric, 2)",
        "usable_area_ancillary_m2": "round((c.attrs->>'usable_area_ancillary_m2')::numeric, 2)",
        "kw_numbers": "ARRAY(SELECT left(jsonb_array_elements_text(c.attrs->'kw'), 20))",
        "registration_unit_id": _fk(("JRBdlaBudynku",), REGUNIT),
        "geom": "c.geom",
    }, refs={"dzialkaZabudowana": PARCEL, "adresBudynku": ADDRESS, "JRBdlaBudynku": REGUNIT}),
    Spec("landuse", "layers_landuse", "land-use contours", {
        "precinct_id": _precinct_of(),
        "kind": "c.attrs->>'kind'",
        "contour_id": "left(coalesce(c.attrs->>'contour_id', ''), 64)",
        "ofu": "left(coalesce(c.attrs->>'ofu', ''), 8)",
        "ozu": "left(coalesce(c.attrs->>'ozu', ''), 8)",
        "ozk": "left(coalesce(c.attrs->>'ozk', ''), 8)",
        "geom": "c.geom",
    }, refs={"lokalizacjaUzytku": PRECINCT, "lokalizacjaKonturu": PRECINCT}),
]
SPEC_BY_TYPE = {s.ftype: s for s in SPECS}
# Geometry is required for these; a row without one is rejected before the merge.
GEOM_REQUIRED = {"parcel", "landuse"}
POLYGONAL = {"parcel", "landuse", "building", "precinct"}
ID_FIELDS = ("cadastral_id", "building_id", "contour_id", "unit_id", "teryt")


def _range(expr: str, label: str, low: str, high: str, unit: str = "") -> str:
    """A reason when the number ``expr`` (text) is negative or out of its column's range."""
    negative = ("" if low.startswith("-") else
                f"WHEN ({expr})::numeric < 0 THEN '{label} ' || ({expr}) || '{unit} is negative' ")
    return (f"CASE {negative}WHEN ({expr})::numeric NOT BETWEEN {low} AND {high} "
            f"THEN '{label} ' || ({expr}) || '{unit} is out of range ({low} to {high})' END")


_AREA14 = ("0", "999999999999.99")  # numeric(14, 2), never negative
_AREA12 = ("0", "9999999999.99")  # numeric(12, 2)
_SMALLINT = ("0", "32767")
# Numbers that would break a column's type or check constraint: the object is rejected with
# the reason (before, one such value was a database error that failed the whole file).
_RANGES = {
    "parcel": [_range("attrs->>'legal_area_m2'", "legal area", *_AREA14, " m²"),
               f"""(SELECT string_agg({_range("lu->>'area_m2'", "land-use area", *_AREA14,
                                              " m²")}, '; ')
                   FROM jsonb_array_elements(attrs->'land_uses') lu)"""],
    "building": [
        _range("attrs->>'storeys_above'", "storeys above ground", "-32768", "32767"),
        _range("attrs->>'storeys_below'", "storeys below ground", "-32768", "32767"),
        *(_range(f"attrs->>'{f}'", f.removesuffix("_m2").replace("_", " "), *_AREA12, " m²")
          for f in ("built_up_area_m2", "usable_area_separate_m2", "usable_area_other_m2",
                    "usable_area_ancillary_m2")),
    ],
    "share": [_range("attrs->>'right'", "right", *_SMALLINT),
              _range("attrs->>'numerator'", "numerator", "0", "2147483647"),
              _range("attrs->>'denominator'", "denominator", "1", "2147483647")],
    "subject": [_range("attrs->>'status'", "status", *_SMALLINT)],
    "regunit": [_range("attrs->>'group'", "registration group", *_SMALLINT)],
}
RANGE_SQL = f"""
    UPDATE import_checked t SET error = concat_ws('; ', t.error, q.reason)
    FROM (SELECT seq, CASE ftype {" ".join(
        f"WHEN '{ftype}' THEN concat_ws('; ', {', '.join(cases)})"
        for ftype, cases in _RANGES.items())} END AS reason
          FROM import_checked t WHERE ftype IN ({", ".join(f"'{f}'" for f in _RANGES)})) q
    WHERE q.seq = t.seq AND q.reason <> ''"""


def prepare_sql(check_unit: bool, transformed: bool = False,
                place: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Statements turning ``stg`` into the typed ``t`` (geometry in 2180, checked, repaired).

    ``transformed``: the COPY already computed the storage-CRS geometry ``stg.g`` (of every
    row: rows the reader rejected are checked too, so that all their problems are reported).
    ``place``: the statements of ``importers.place.place_sql`` over ``t``. Every check of an
    object's own content appends its reason to ``error``; the duplicate checks that follow
    compare only the objects still accepted."""
    target = ("stg.g" if transformed
              else f"ST_Transform(ST_GeomFromEWKT(stg.geom_src), {STORAGE_SRID})")
    # the fallback path transforms here: only rows without a problem (a transform the server
    # refuses would fail the file)
    staged_ok = "" if transformed else " AND stg.error IS NULL"
    poly = ",".join(f"'{f}'" for f in POLYGONAL)
    required = ",".join(f"'{f}'" for f in GEOM_REQUIRED)
    idexpr = "coalesce(" + ",".join(f"attrs->>'{f}'" for f in ID_FIELDS) + ")"
    sql = [
        f"""
        CREATE TEMP TABLE import_checked ON COMMIT DROP AS
        SELECT s.seq, s.ftype, s.gml_id, s.ns, s.local_id, s.version_id, s.object_start,
               s.version_start, s.version_end, s.object_end, s.line, s.attrs, s.refs,
               CASE
                 WHEN s.tg IS NULL THEN NULL
                 WHEN s.ftype NOT IN ({poly}) THEN s.tg
                 WHEN s.valid THEN ST_Multi(s.tg)
                 ELSE ST_Multi(ST_CollectionExtract(ST_MakeValid(s.tg), 3))
               END AS geom,
               CASE WHEN s.tg IS NOT NULL AND s.ftype IN ({poly}) AND NOT s.valid
                    THEN ST_IsValidReason(s.tg) END AS repair,
               coalesce(s.error, CASE WHEN s.geom_src IS NULL AND s.ftype IN ({required})
                                      THEN 'no geometry' END) AS error,
               {idexpr} AS obj_id
        FROM (
            SELECT stg.*, g.g AS tg, (g.g IS NULL OR ST_IsValid(g.g)) AS valid
            FROM import_staged stg
            LEFT JOIN LATERAL (
                SELECT {target} AS g
                WHERE stg.geom_src IS NOT NULL{staged_ok}
            ) g ON true
        ) s
        """,
        "CREATE INDEX ON import_checked (seq)",
        "CREATE INDEX ON import_checked (ns, local_id)",
        # a repair that leaves nothing polygonal is a rejection with the reason
        """UPDATE import_checked t SET error = concat_ws('; ', error,
                                         'invalid geometry that cannot be repaired: ' || repair),
                        geom = NULL
           WHERE repair IS NOT NULL AND (geom IS NULL OR ST_IsEmpty(geom))""",
        RANGE_SQL,
    ]
    if check_unit:
        sql.append(
            """UPDATE import_checked t
               SET error = concat_ws('; ', error, 'belongs to cadastral unit '
                                    || left(obj_id, 8) || ', not to ' || %(teryt)s)
               WHERE obj_id ~ '^\\d{6}_\\d\\.' AND left(obj_id, 8) <> %(teryt)s""")
    sql += list(place)
    sql += [
        # the same identity (namespace, local id, version) twice: keep the first
        """UPDATE import_checked t SET error = 'duplicate id ' || t.ns || ':' || t.local_id
           || ' version '
                               || t.version_id || ' (first at line ' || d.first_line || ')'
           FROM (SELECT seq, first_value(line) OVER w AS first_line,
                        row_number() OVER w AS n
                 FROM import_checked t WHERE error IS NULL AND ftype <> 'other'
                 WINDOW w AS (PARTITION BY ftype COLLATE "C", ns COLLATE "C", local_id COLLATE "C",
                                           version_id COLLATE "C" ORDER BY seq)) d
           WHERE d.seq = t.seq AND d.n > 1""",
        """UPDATE import_checked t SET error = 'duplicate gml:id ' || t.gml_id || ' (first at line '
                               || d.first_line || ')'
           FROM (SELECT seq, first_value(line) OVER w AS first_line,
                        row_number() OVER w AS n
                 FROM import_checked t WHERE error IS NULL AND gml_id <> '' AND ftype <> 'other'
                 WINDOW w AS (PARTITION BY gml_id COLLATE "C" ORDER BY seq)) d
           WHERE d.seq = t.seq AND d.n > 1""",
        # the current version of each object: the one without an end of version, else the latest
        # (COLLATE "C" on keys compared only for equality: the same groups, a cheaper sort; the
        # sort sees only the narrow keys, not the geometry and attributes); ``n``: how many
        # versions of the object the file holds
        """CREATE TEMP TABLE import_current ON COMMIT DROP AS
           SELECT DISTINCT ON (ftype COLLATE "C", ns COLLATE "C", local_id COLLATE "C")
                  seq, ftype,
                  count(*) OVER (PARTITION BY ftype COLLATE "C", ns COLLATE "C",
                                              local_id COLLATE "C") AS n
           FROM import_checked t WHERE error IS NULL
           ORDER BY ftype COLLATE "C", ns COLLATE "C", local_id COLLATE "C",
                    (version_end IS NULL) DESC, version_start DESC NULLS LAST,
                    version_id DESC, seq DESC""",
        "CREATE INDEX ON import_current (seq)",
        # a parcel number must be unique among current parcels: the newest version wins
        """UPDATE import_checked t SET error = 'duplicate parcel id ' || d.cid || ' (also object '
                               || d.keep || ')'
           FROM (SELECT seq, attrs->>'cadastral_id' AS cid,
                        first_value(ns || ':' || local_id) OVER w AS keep,
                        row_number() OVER w AS n
                 FROM import_checked t JOIN import_current k USING (seq)
                 WHERE t.ftype = 'parcel' AND t.object_end IS NULL
                 WINDOW w AS (PARTITION BY attrs->>'cadastral_id'
                              ORDER BY version_start DESC NULLS LAST, seq DESC)) d
           WHERE d.seq = t.seq AND d.n > 1""",
        # ``same``: objects already stored exactly as the file has them (filled by
        # ``unchanged_sql``); the merge below never sees them again
        "CREATE TEMP TABLE import_unchanged (seq bigint, ftype text) ON COMMIT DROP",
    ]
    return sql


# Feature types whose stored row is found by (namespace, local id): those ``unchanged_sql`` may
# set aside (a precinct is matched by its TERYT code).
SKIPPABLE = ("address", "regunit", "subject", "share", "parcel", "building", "landuse")


def unchanged_sql(spec: Spec) -> str:
    """Fill ``same`` with the file's objects of ``spec`` that the table already holds as current
    in the same version, the same municipality and the same retired state: the merge's "same"
    verdict, taken before the costly steps so that a re-import of a mostly unchanged extract
    does not resolve, compare and report every object again. Only objects with a single version
    in the file: the others need the choice of the current version against the stored one."""
    return f"""
        INSERT INTO import_unchanged (seq, ftype)
        SELECT k.seq, k.ftype FROM import_current k JOIN import_checked t ON t.seq = k.seq
        JOIN {spec.table} e ON e.source_namespace = t.ns AND e.local_id = t.local_id
        WHERE k.ftype = '{spec.ftype}' AND k.n = 1 AND t.error IS NULL
          AND e.version_id = t.version_id AND e.municipality_id = %(muni)s
          AND (e.retired_at IS NULL) = (t.object_end IS NULL)"""


def _target_case() -> str:
    """The stored table a modelled reference points into, NULL for the others: a column of
    ``r``, so that the planner knows from its statistics how many references are modelled (a
    join with the list of (feature type, property) was estimated at 500 rows for 200,000 and
    made the unresolved-link check 200,000 index probes)."""
    whens = " ".join(f"WHEN x.ftype = '{spec.ftype}' AND x.prop = '{prop}' THEN '{table}'"
                     for spec in SPECS for prop, table in spec.refs.items())
    return f"CASE {whens} END"


def current_sql() -> list[str]:
    """``c`` (the current versions to merge, with the parcel number parts), ``h`` (the older
    versions: history) and ``r`` (their references), after ``same`` is known."""
    target = _target_case()
    return [
        # The precinct (``pkey``, WWPPGG_R.OOOO), map sheet (AR_n) and parcel number of an EGiB
        # identifier: one cheap regular-expression test per row; the costly ones (captures,
        # replacement) only for the rare identifiers with a map sheet.
        r"""CREATE TEMP TABLE import_to_merge ON COMMIT DROP AS
           SELECT t.*,
                  CASE WHEN t.ftype = 'parcel' THEN coalesce(attrs->>'number',
                       CASE WHEN q.ar THEN regexp_replace(obj_id,
                                               '^\d{6}_\d\.\d{4}\.(AR_\d+\.)?', '')
                            WHEN q.pfx THEN substr(obj_id, 15) ELSE obj_id END) END AS number,
                  CASE WHEN t.ftype = 'parcel' THEN CASE WHEN q.ar THEN coalesce(substring(obj_id
                       from '^\d{6}_\d\.\d{4}\.(AR_\d+)\.'), '') ELSE '' END END AS sheet,
                  CASE WHEN q.pre THEN left(obj_id, 13) END AS pkey
           FROM import_checked t CROSS JOIN LATERAL (
                SELECT p.pre, p.pfx, p.pfx AND substr(t.obj_id, 15, 3) = 'AR_' AS ar
                FROM (SELECT o.pre, o.pre AND substr(t.obj_id, 14, 1) = '.' AS pfx
                      FROM (SELECT t.obj_id ~ '^\d{6}_\d\.\d{4}' AS pre) o) p) q
           JOIN import_current k USING (seq)
           WHERE t.error IS NULL AND NOT EXISTS (SELECT 1 FROM import_unchanged same
             WHERE same.seq = t.seq)""",
        "CREATE INDEX ON import_to_merge (seq)",
        # lookups of stored rows back to their staged ones (``touched``): without it a stale
        # estimate of the target table (e.g. after a mass delete) makes that a nested seq scan
        "CREATE INDEX ON import_to_merge (ns, local_id)",
        # the older versions found in the file become history
        """CREATE TEMP TABLE import_older ON COMMIT DROP AS
           SELECT t.* FROM import_checked t WHERE t.error IS NULL
             AND NOT EXISTS (SELECT 1 FROM import_current k WHERE k.seq = t.seq)""",
        # references: one row per (feature, property, target)
        # (``i:<ns>:<id>``, the namespace never holds a colon; the gml:id map is built only for
        # the ids some ``g:`` reference asks for, not sorted over every staged feature)
        f"""CREATE TEMP TABLE import_links ON COMMIT DROP AS
           WITH x AS MATERIALIZED (
               SELECT c.seq, c.ftype, p.key AS prop, v.value AS ref
               FROM import_to_merge c, jsonb_each(c.refs) p, jsonb_array_elements_text(p.value) v),
           g AS (SELECT DISTINCT ON (gml_id) gml_id, ns, local_id FROM import_checked t
                 WHERE gml_id IN (SELECT substr(ref, 3) FROM x WHERE ref LIKE 'g:%%')
                 ORDER BY gml_id, seq)
           SELECT x.seq, x.ftype, x.prop, x.ref, {target} AS target,
                  CASE WHEN x.ref LIKE 'i:%%' THEN split_part(x.ref, ':', 2) ELSE g.ns END AS tns,
                  CASE WHEN x.ref LIKE 'i:%%'
                       THEN substr(x.ref, length(split_part(x.ref, ':', 2)) + 4)
                       ELSE g.local_id END AS tlid
           FROM x LEFT JOIN g ON x.ref LIKE 'g:%%' AND g.gml_id = substr(x.ref, 3)""",
        "CREATE INDEX ON import_links (seq)",
        "CREATE INDEX ON import_links (tns, tlid)",
        # statistics only where later statements filter or join (the jsonb and geometry
        # columns are the costly ones to sample)
        "ANALYZE import_to_merge (seq, ftype, ns, local_id, object_end)",
        "ANALYZE import_links (seq, prop, tns, tlid, target)",
    ]


def unresolved_sql() -> str:
    """``u(seq, links)``: modelled references whose target is neither in the file nor stored.

    One pass over ``r`` for all modelled properties (``r.target`` names the table), not one
    pass per property: ``t`` is hashed once."""
    targets = sorted({table for spec in SPECS for table in spec.refs.values()})
    stored = " ".join(f"""WHEN '{table}' THEN EXISTS (SELECT 1 FROM {table} x
                                 WHERE x.source_namespace = r.tns AND x.local_id = r.tlid)"""
                      for table in targets)
    modelled = ",".join(sorted({f"'{p}'" for s in SPECS for p in s.refs}))
    union = f"""SELECT r.seq, r.prop, r.ref FROM import_links r
                WHERE r.target IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM import_checked t WHERE t.ns = r.tns
                    AND t.local_id = r.tlid
                                  AND t.error IS NULL)
                  AND NOT (CASE r.target {stored} END)
                UNION ALL
                SELECT r.seq, r.prop, r.ref FROM import_links r
                WHERE r.prop NOT IN ({modelled})
                  AND NOT EXISTS (SELECT 1 FROM import_checked t WHERE t.ns = r.tns
                    AND t.local_id = r.tlid)"""
    return f"""
        CREATE TEMP TABLE import_unresolved ON COMMIT DROP AS
        SELECT seq, jsonb_object_agg(prop, refs) AS links FROM (
            SELECT seq, prop, jsonb_agg(CASE WHEN ref LIKE 'i:%%'
                                             THEN 'urn:pzgik:id:' || substr(ref, 3)
                                             ELSE '#' || substr(ref, 3) END) AS refs
            FROM ({union}) q GROUP BY seq, prop) q2
        GROUP BY seq;
        CREATE INDEX ON import_unresolved (seq);
    """


def merge_sql(spec: Spec) -> dict[str, str]:
    """The statements of one table's merge; each returns or affects counted rows."""
    cols: dict[str, str] = dict(COMMON_COLUMNS)
    joins = list(COMMON_JOINS)
    for name, value in spec.columns.items():
        if isinstance(value, _Lookup):
            alias = f"j{len(joins)}"
            joins.append(value.join.format(a=alias))
            value = f"{alias}.id"
        cols[name] = value
    joined = " ".join(joins)
    names = ", ".join(f'"{n}"' for n in cols)
    exprs = ", ".join(cols.values())
    sets = ", ".join(f'"{n}" = {e}' for n, e in cols.items() if n != "municipality_id")
    ft = spec.ftype
    hist = ("ns", "local_id", "version_id", "version_start", "version_end", "attrs",
            "object_start", "object_end", "line", "geom")
    hcols = ", ".join(f"h.{n}" for n in hist)
    ccols = ", ".join(f"c.{n}" for n in hist)
    egeom = "e.geom" if "geom" in spec.columns else "NULL::geometry"
    return {
        # m: what to do with each current staged object
        "plan": f"""
            CREATE TEMP TABLE import_plan ON COMMIT DROP AS
            SELECT c.seq, e.id,
                   CASE WHEN e.id IS NULL THEN 'create'
                        WHEN e.version_id = c.version_id
                             AND (e.retired_at IS NULL) = (c.object_end IS NULL)
                             AND e.municipality_id = %(muni)s THEN 'same'
                        WHEN e.version_start IS NOT NULL AND c.version_start IS NOT NULL
                             AND c.version_start < e.version_start THEN 'older'
                        ELSE 'update' END AS action
            FROM import_to_merge c LEFT JOIN {spec.table} e ON {spec.key}
            WHERE c.ftype = '{ft}'""",
        "archive": f"""
            INSERT INTO layers_featureversion (feature_type, municipality_id, source_namespace,
                local_id, version_id, version_start, version_end, attributes, geom,
                import_run_id, archived_at)
            SELECT '{ft}', e.municipality_id, e.source_namespace, e.local_id, e.version_id,
                   e.version_start, coalesce(e.version_end, now()),
                   to_jsonb(e) - 'geom' - 'pesel_encrypted', {egeom}, %(run)s, now()
            FROM {spec.table} e JOIN import_plan m ON m.id = e.id AND m.action = 'update'
            ON CONFLICT DO NOTHING""",
        "update": f"""
            UPDATE {spec.table} e SET {sets}, municipality_id = %(muni)s
            FROM import_plan m JOIN import_to_merge c ON c.seq = m.seq {joined}
            WHERE m.id = e.id AND m.action = 'update'""",
        "insert": f"""
            INSERT INTO {spec.table} ({names})
            SELECT {exprs} FROM import_to_merge c JOIN import_plan m ON m.seq = c.seq
              AND m.action = 'create' {joined}""",
        "history": f"""
            INSERT INTO layers_featureversion (feature_type, municipality_id, source_namespace,
                local_id, version_id, version_start, version_end, attributes, geom,
                import_run_id, archived_at)
            SELECT '{ft}', %(muni)s, x.ns, x.local_id, x.version_id, x.version_start,
                   x.version_end, x.attrs || jsonb_build_object('object_start', x.object_start,
                   'object_end', x.object_end, 'line', x.line), x.geom, %(run)s, now()
            FROM (SELECT {hcols} FROM import_older h WHERE h.ftype = '{ft}'
                  UNION ALL
                  SELECT {ccols} FROM import_to_merge c JOIN import_plan m ON m.seq = c.seq
                    AND m.action = 'older') x
            ON CONFLICT DO NOTHING""",
    }


# ---- the steps, in the order ``importers.services`` runs them ---------------------------------
# Every step takes the psycopg2 cursor of the import's transaction and the statement parameters
# (``muni``, ``run``, ``teryt`` and those of ``importers.place``).

def _exec(cur: Any, sql: str, params: dict | None = None) -> int:
    cur.execute(sql, params)
    return int(cur.rowcount)


def staged_extents(cur: Any, transformed: bool) -> list[tuple[int, float, float, float, float]]:
    """(srid, xmin, ymin, xmax, ymax) per CRS of the staged rows without a problem.

    ``transformed``: of the storage-CRS geometry the COPY computed, per source CRS (cheap);
    otherwise of the source geometry in its own CRS (a second parse of the text)."""
    if transformed:
        cur.execute(f"""
            SELECT src_srid, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (
                SELECT src_srid, ST_Extent(g) AS e FROM {STAGED}
                WHERE g IS NOT NULL AND error IS NULL GROUP BY 1) q""")
    else:
        cur.execute(f"""
            SELECT srid, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (
                SELECT ST_SRID(g) AS srid, ST_Extent(g) AS e FROM (
                    SELECT ST_GeomFromEWKT(geom_src) AS g FROM {STAGED}
                    WHERE geom_src IS NOT NULL AND error IS NULL) q
                GROUP BY 1) q2""")
    return list(cur.fetchall())


def drop_tables(cur: Any) -> None:
    """Drop the temp tables (ON COMMIT DROP is not enough inside an outer transaction: tests,
    batch imports)."""
    cur.execute("DROP TABLE IF EXISTS " + ", ".join(TEMP_TABLES))


def check(cur: Any, params: dict, *, check_unit: bool, transformed: bool,
          place: list[str]) -> tuple[int, int]:
    """Build ``import_checked`` and ``import_current`` (``prepare_sql``); (accepted, rejected)
    objects of modelled types, warnings not counted as rejections."""
    for sql in prepare_sql(check_unit, transformed, place):
        cur.execute(sql, params)
    cur.execute("""SELECT count(*) FILTER (WHERE error IS NULL),
                          count(*) FILTER (WHERE error IS NOT NULL
                                           AND NOT coalesce(attrs ? 'warning', false))
                   FROM import_checked t WHERE ftype <> 'other'""")
    accepted, rejected = cur.fetchone()
    return int(accepted), int(rejected)


def stored_types(cur: Any, params: dict) -> set[str]:
    """The feature types of which the town already has rows, before this import's merge:
    the searches that can only find stored rows (unchanged objects, objects absent from a
    complete extract) are skipped for the others, a first import into the town above all."""
    stored = set()
    for spec in SPECS:
        cur.execute(f"SELECT EXISTS (SELECT 1 FROM {spec.table} "
                    "WHERE municipality_id = %(muni)s)", params)
        if cur.fetchone()[0]:
            stored.add(spec.ftype)
    return stored


def set_aside_unchanged(cur: Any, params: dict, in_file: set[str],
                        stored: set[str]) -> dict[str, int]:
    """Fill ``import_unchanged`` (``unchanged_sql``) for the types the file holds; per type,
    how many objects were set aside. Types the town has no rows of (``stored_types``) skip
    the search altogether."""
    for spec in SPECS:
        if spec.ftype in SKIPPABLE and spec.ftype in in_file and spec.ftype in stored:
            cur.execute(unchanged_sql(spec), params)
    cur.execute("SELECT ftype, count(*) FROM import_unchanged same GROUP BY ftype")
    return dict(cur.fetchall())


def resolve(cur: Any, params: dict) -> None:
    """``import_to_merge``, ``import_older``, ``import_links`` and ``import_unresolved``."""
    for sql in current_sql():
        cur.execute(sql, params)
    cur.execute(unresolved_sql(), params)


def _counts() -> dict[str, int]:
    return {"created": 0, "updated": 0, "unchanged": 0, "retired": 0, "history": 0}


def merge_table(cur: Any, params: dict, spec: Spec, *, set_aside: int,
                in_file: bool) -> dict[str, int] | None:
    """Merge the objects of one table; its counts, or None when the file has none of them."""
    stm = merge_sql(spec)
    cur.execute(stm["plan"], params)
    cur.execute("ANALYZE import_plan")  # row counts for the planner: hash joins, not probes
    cur.execute("SELECT action, count(*) FROM import_plan m GROUP BY action")
    plan = dict(cur.fetchall())
    if not plan and not set_aside and not in_file:
        cur.execute("DROP TABLE import_plan")
        if spec.ftype == "precinct":
            _implied_precincts(cur, params)
        return None
    row = _counts()
    row["unchanged"] = plan.get("same", 0) + plan.get("older", 0) + set_aside
    if spec.ftype == "parcel":  # a parcel number taken over by another object
        row["retired"] += _exec(cur, """
            UPDATE layers_parcel e SET retired_at = now()
            FROM import_to_merge c WHERE c.ftype = 'parcel' AND c.object_end IS NULL
              AND e.cadastral_id = c.attrs->>'cadastral_id' AND e.retired_at IS NULL
              AND NOT (e.source_namespace = c.ns AND e.local_id = c.local_id)""", params)
    row["history"] += _exec(cur, stm["archive"], params)
    row["updated"] = _exec(cur, stm["update"], params)
    row["created"] = _exec(cur, stm["insert"], params)
    row["history"] += _exec(cur, stm["history"], params)
    cur.execute("DROP TABLE import_plan")
    if spec.ftype == "precinct":
        _implied_precincts(cur, params)
    return row


def rejected_by_type(cur: Any) -> dict[str, int]:
    """Rejected objects per feature type (warnings are not rejections)."""
    cur.execute("""SELECT ftype, count(*) FROM import_checked t
                   WHERE error IS NOT NULL AND NOT coalesce(attrs ? 'warning', false)
                   GROUP BY ftype""")
    return dict(cur.fetchall())


def retire_absent(cur: Any, params: dict, counts: dict[str, dict[str, int]],
                  stored: set[str]) -> None:
    """A complete extract of a precinct: its stored objects missing from the file are retired.

    ``stored``: the types the town had rows of before this import (``stored_types``); for the
    others every row of the town now comes from this file, so none can be absent from it."""
    specs = []
    for spec in SPECS:
        if spec.ftype in ("parcel", "building", "landuse"):
            counts.setdefault(spec.label, _counts())  # reported, retired or not
            if spec.ftype in stored:
                specs.append(spec)
    if not specs:
        return
    # Without statistics on the checked table the anti-join below became a nested loop of full
    # scans: 176 s of the demo town's 195 s load. With them it is a hash anti-join.
    cur.execute("ANALYZE import_checked (ftype, ns, local_id, obj_id)")
    for spec in specs:
        n = _exec(cur, f"""
            UPDATE {spec.table} e SET retired_at = now()
            WHERE e.municipality_id = %(muni)s AND e.retired_at IS NULL
              AND e.precinct_id IN (SELECT p.id FROM layers_precinct p
                    WHERE p.teryt IN (
                        SELECT DISTINCT substring(obj_id from '^(\\d{{6}}_\\d\\.\\d{{4}})')
                        FROM import_checked t WHERE ftype = '{spec.ftype}'))
              AND NOT EXISTS (SELECT 1 FROM import_checked t WHERE t.ftype = '{spec.ftype}'
                              AND t.ns = e.source_namespace AND t.local_id = e.local_id)""",
                  params)
        counts.setdefault(spec.label, _counts())["retired"] += n


def _implied_precincts(cur: Any, params: dict) -> None:
    """Precincts implied by identifiers (WWPPGG_R.OOOO.…) that the file does not describe."""
    cur.execute(r"""
        INSERT INTO layers_precinct (municipality_id, teryt, name, source_namespace,
            local_id, version_id, unresolved_links, import_run_id)
        SELECT %(muni)s, p, '', 'TERYT', p, '', '{}'::jsonb, %(run)s
        FROM (SELECT DISTINCT left(obj_id, 13) AS p FROM import_to_merge c) q
        WHERE p ~ '^\d{6}_\d\.\d{4}$'
        ON CONFLICT (teryt) DO NOTHING""", params)


def link_relations(cur: Any, params: dict) -> None:
    """Klasoużytki and many-to-many links of the rows this run created or updated."""
    cur.execute("""
        CREATE TEMP TABLE import_touched ON COMMIT DROP AS
        SELECT 'parcel'::text AS ftype, p.id, c.seq FROM layers_parcel p
          JOIN import_to_merge c ON c.ftype = 'parcel' AND c.ns = p.source_namespace
            AND c.local_id = p.local_id
         WHERE p.import_run_id = %(run)s
        UNION ALL
        SELECT 'building', b.id, c.seq FROM layers_building b
          JOIN import_to_merge c ON c.ftype = 'building' AND c.ns = b.source_namespace
            AND c.local_id = b.local_id
         WHERE b.import_run_id = %(run)s
        UNION ALL
        SELECT 'subject', s.id, c.seq FROM layers_subject s
          JOIN import_to_merge c ON c.ftype = 'subject' AND c.ns = s.source_namespace
            AND c.local_id = s.local_id
         WHERE s.import_run_id = %(run)s""", params)
    known = "'" + "','".join(LAND_USE_LABELS) + "'"
    statements = [
        """DELETE FROM layers_parcellanduse WHERE parcel_id IN
           (SELECT id FROM import_touched WHERE ftype = 'parcel')""",
        f"""INSERT INTO layers_parcellanduse (parcel_id, ofu, ozu, ozk, area_m2, known_code)
           SELECT tt.id, left(lu->>'ofu', 8), left(coalesce(lu->>'ozu', ''), 8),
                  left(coalesce(lu->>'ozk', ''), 8), round((lu->>'area_m2')::numeric, 2),
                  (lu->>'ofu') IN ({known})
           FROM import_touched tt JOIN import_to_merge c ON c.seq = tt.seq,
                jsonb_array_elements(c.attrs->'land_uses') lu
           WHERE tt.ftype = 'parcel'""",
        """DELETE FROM layers_parcel_addresses WHERE parcel_id IN
           (SELECT id FROM import_touched WHERE ftype = 'parcel')""",
        """INSERT INTO layers_parcel_addresses (parcel_id, address_id)
           SELECT DISTINCT tt.id, a.id FROM import_touched tt JOIN import_links r ON r.seq = tt.seq
             JOIN layers_address a ON a.source_namespace = r.tns AND a.local_id = r.tlid
           WHERE tt.ftype = 'parcel' AND r.prop = 'adresDzialki'""",
        """DELETE FROM layers_building_parcels WHERE building_id IN
           (SELECT id FROM import_touched WHERE ftype = 'building')""",
        """INSERT INTO layers_building_parcels (building_id, parcel_id)
           SELECT DISTINCT tt.id, p.id FROM import_touched tt JOIN import_links r ON r.seq = tt.seq
             JOIN layers_parcel p ON p.source_namespace = r.tns AND p.local_id = r.tlid
           WHERE tt.ftype = 'building' AND r.prop = 'dzialkaZabudowana'""",
        """DELETE FROM layers_building_addresses WHERE building_id IN
           (SELECT id FROM import_touched WHERE ftype = 'building')""",
        """INSERT INTO layers_building_addresses (building_id, address_id)
           SELECT DISTINCT tt.id, a.id FROM import_touched tt JOIN import_links r ON r.seq = tt.seq
             JOIN layers_address a ON a.source_namespace = r.tns AND a.local_id = r.tlid
           WHERE tt.ftype = 'building' AND r.prop = 'adresBudynku'""",
        """DELETE FROM layers_subject_members WHERE from_subject_id IN
           (SELECT id FROM import_touched WHERE ftype = 'subject')""",
        """INSERT INTO layers_subject_members (from_subject_id, to_subject_id)
           SELECT DISTINCT tt.id, s.id FROM import_touched tt JOIN import_links r ON r.seq = tt.seq
             JOIN layers_subject s ON s.source_namespace = r.tns AND s.local_id = r.tlid
           WHERE tt.ftype = 'subject' AND r.prop = ANY(%(member_props)s)
             AND s.id <> tt.id""",
        # marriages and groups are named after their members
        """UPDATE layers_subject g SET name = left(q.name, 512), search_text = left(q.st, 512)
           FROM (SELECT m.from_subject_id AS id,
                        string_agg(s.name, ' i ' ORDER BY s.name) AS name,
                        string_agg(s.search_text, ' i ' ORDER BY s.name) AS st
                 FROM layers_subject_members m JOIN layers_subject s ON s.id = m.to_subject_id
                 WHERE m.from_subject_id IN (SELECT id FROM import_touched WHERE ftype = 'subject')
                 GROUP BY 1) q
           WHERE g.id = q.id AND g.name = ''""",
    ]
    params = {**params, "member_props": list(SUBJECT_MEMBER_PROPS)}
    for sql in statements:
        cur.execute(sql, params)


def issues(cur: Any, params: dict) -> list[dict[str, Any]]:
    """The run's report: rejections, warnings, repairs, area differences, unknown codes."""
    known = "'" + "','".join(LAND_USE_LABELS) + "'"
    cur.execute(f"""
        SELECT kind, ftype, obj, line, reason FROM (
          SELECT CASE WHEN attrs ? 'warning' THEN 'warning' ELSE 'rejected' END AS kind,
                 ftype, coalesce(obj_id, ns || ':' || local_id) AS obj,
                 line, error AS reason FROM import_checked t WHERE error IS NOT NULL
          UNION ALL
          SELECT 'repaired', ftype, coalesce(obj_id, ns || ':' || local_id), line,
                 'invalid geometry repaired with ST_MakeValid: ' || repair
          FROM import_checked t WHERE repair IS NOT NULL AND error IS NULL
          UNION ALL
          SELECT 'area', 'parcel', obj_id, line,
                 'legal area ' || round((attrs->>'legal_area_m2')::numeric, 2) || ' m² vs '
                 || 'geometric ' || round(ST_Area(geom)::numeric, 2) || ' m² ('
                 || round((100 * (ST_Area(geom) - (attrs->>'legal_area_m2')::float8)
                           / nullif((attrs->>'legal_area_m2')::float8, 0))::numeric, 1) || ' %%)'
          FROM import_checked t JOIN import_current k USING (seq)
          WHERE t.error IS NULL AND t.ftype = 'parcel' AND attrs->>'legal_area_m2' IS NOT NULL
            AND abs(ST_Area(geom) - (attrs->>'legal_area_m2')::float8)
                > greatest(1.0, {AREA_TOLERANCE} * (attrs->>'legal_area_m2')::float8)
          UNION ALL
          SELECT 'code', ftype, obj_id, line, 'unknown land-use code (OFU) ' || quote_literal(o)
          FROM (SELECT t.ftype, obj_id, line, attrs->>'ofu' AS o FROM import_checked t
            JOIN import_current k USING (seq)
                WHERE t.error IS NULL AND t.ftype = 'landuse'
                UNION ALL
                SELECT t.ftype, obj_id, line, lu->>'ofu' FROM import_checked t
                  JOIN import_current k USING (seq),
                       jsonb_array_elements(t.attrs->'land_uses') lu
                WHERE t.error IS NULL AND t.ftype = 'parcel') q
          WHERE o <> '' AND o NOT IN ({known})
        ) q ORDER BY line LIMIT {MAX_ISSUES}""", params)
    return [{"kind": k, "feature_type": f or "", "object_id": (o or "")[:200], "line": ln,
             "reason": r} for k, f, o, ln, r in cur.fetchall()]

