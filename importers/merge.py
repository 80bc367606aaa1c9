"""Set-based merge of the staged features into the ``layers`` tables.

Everything here is SQL over the temp tables of one transaction: geometry parse, transform,
validation and repair; duplicate and foreign-municipality rejection; choice of the current
version per object; reference resolution (all three href forms were normalised by the reader to
``i:<namespace>:<localId>`` or ``g:<gml:id>``); one INSERT and one UPDATE per table; history
into ``layers_featureversion``; retirement of objects absent from a complete extract.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from layers.domain.srid import STORAGE_SRID

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
COMMON_JOINS = ("LEFT JOIN u ON u.seq = c.seq",)


@dataclass(frozen=True)
class _Lookup:
    """A column found by a join: ``<alias>.id`` of ``join`` ({a} stands for the alias)."""

    join: str


def _fk(props: tuple[str, ...], table: str) -> _Lookup:
    """The stored target of a feature's reference through one of ``props``."""
    plist = ",".join(f"'{p}'" for p in props)
    return _Lookup(f"LEFT JOIN (SELECT DISTINCT ON (r.seq) r.seq, x.id FROM r "
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
# references here, and its member links in services._relations.
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
    UPDATE t SET error = concat_ws('; ', t.error, q.reason)
    FROM (SELECT seq, CASE ftype {" ".join(
        f"WHEN '{ftype}' THEN concat_ws('; ', {', '.join(cases)})"
        for ftype, cases in _RANGES.items())} END AS reason
          FROM t WHERE ftype IN ({", ".join(f"'{f}'" for f in _RANGES)})) q
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
        CREATE TEMP TABLE t ON COMMIT DROP AS
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
            FROM stg
            LEFT JOIN LATERAL (
                SELECT {target} AS g
                WHERE stg.geom_src IS NOT NULL{staged_ok}
            ) g ON true
        ) s
        """,
        "CREATE INDEX ON t (seq)",
        "CREATE INDEX ON t (ns, local_id)",
        # a repair that leaves nothing polygonal is a rejection with the reason
        """UPDATE t SET error = concat_ws('; ', error,
                                         'invalid geometry that cannot be repaired: ' || repair),
                        geom = NULL
           WHERE repair IS NOT NULL AND (geom IS NULL OR ST_IsEmpty(geom))""",
        RANGE_SQL,
    ]
    if check_unit:
        sql.append(
            """UPDATE t SET error = concat_ws('; ', error, 'belongs to cadastral unit '
                                    || left(obj_id, 8) || ', not to ' || %(teryt)s)
               WHERE obj_id ~ '^\\d{6}_\\d\\.' AND left(obj_id, 8) <> %(teryt)s""")
    sql += list(place)
    sql += [
        # the same identity (namespace, local id, version) twice: keep the first
        """UPDATE t SET error = 'duplicate id ' || t.ns || ':' || t.local_id || ' version '
                               || t.version_id || ' (first at line ' || d.first_line || ')'
           FROM (SELECT seq, first_value(line) OVER w AS first_line,
                        row_number() OVER w AS n
                 FROM t WHERE error IS NULL AND ftype <> 'other'
                 WINDOW w AS (PARTITION BY ftype COLLATE "C", ns COLLATE "C", local_id COLLATE "C",
                                           version_id COLLATE "C" ORDER BY seq)) d
           WHERE d.seq = t.seq AND d.n > 1""",
        """UPDATE t SET error = 'duplicate gml:id ' || t.gml_id || ' (first at line '
                               || d.first_line || ')'
           FROM (SELECT seq, first_value(line) OVER w AS first_line,
                        row_number() OVER w AS n
                 FROM t WHERE error IS NULL AND gml_id <> '' AND ftype <> 'other'
                 WINDOW w AS (PARTITION BY gml_id COLLATE "C" ORDER BY seq)) d
           WHERE d.seq = t.seq AND d.n > 1""",
        # the current version of each object: the one without an end of version, else the latest
        # (COLLATE "C" on keys compared only for equality: the same groups, a cheaper sort; the
        # sort sees only the narrow keys, not the geometry and attributes); ``n``: how many
        # versions of the object the file holds
        """CREATE TEMP TABLE k ON COMMIT DROP AS
           SELECT DISTINCT ON (ftype COLLATE "C", ns COLLATE "C", local_id COLLATE "C")
                  seq, ftype,
                  count(*) OVER (PARTITION BY ftype COLLATE "C", ns COLLATE "C",
                                              local_id COLLATE "C") AS n
           FROM t WHERE error IS NULL
           ORDER BY ftype COLLATE "C", ns COLLATE "C", local_id COLLATE "C",
                    (version_end IS NULL) DESC, version_start DESC NULLS LAST,
                    version_id DESC, seq DESC""",
        "CREATE INDEX ON k (seq)",
        # a parcel number must be unique among current parcels: the newest version wins
        """UPDATE t SET error = 'duplicate parcel id ' || d.cid || ' (also object '
                               || d.keep || ')'
           FROM (SELECT seq, attrs->>'cadastral_id' AS cid,
                        first_value(ns || ':' || local_id) OVER w AS keep,
                        row_number() OVER w AS n
                 FROM t JOIN k USING (seq)
                 WHERE t.ftype = 'parcel' AND t.object_end IS NULL
                 WINDOW w AS (PARTITION BY attrs->>'cadastral_id'
                              ORDER BY version_start DESC NULLS LAST, seq DESC)) d
           WHERE d.seq = t.seq AND d.n > 1""",
        # ``same``: objects already stored exactly as the file has them (filled by
        # ``unchanged_sql``); the merge below never sees them again
        "CREATE TEMP TABLE same (seq bigint, ftype text) ON COMMIT DROP",
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
        INSERT INTO same (seq, ftype)
        SELECT k.seq, k.ftype FROM k JOIN t ON t.seq = k.seq
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
        r"""CREATE TEMP TABLE c ON COMMIT DROP AS
           SELECT t.*,
                  CASE WHEN t.ftype = 'parcel' THEN coalesce(attrs->>'number',
                       CASE WHEN q.ar THEN regexp_replace(obj_id,
                                               '^\d{6}_\d\.\d{4}\.(AR_\d+\.)?', '')
                            WHEN q.pfx THEN substr(obj_id, 15) ELSE obj_id END) END AS number,
                  CASE WHEN t.ftype = 'parcel' THEN CASE WHEN q.ar THEN coalesce(substring(obj_id
                       from '^\d{6}_\d\.\d{4}\.(AR_\d+)\.'), '') ELSE '' END END AS sheet,
                  CASE WHEN q.pre THEN left(obj_id, 13) END AS pkey
           FROM t CROSS JOIN LATERAL (
                SELECT p.pre, p.pfx, p.pfx AND substr(t.obj_id, 15, 3) = 'AR_' AS ar
                FROM (SELECT o.pre, o.pre AND substr(t.obj_id, 14, 1) = '.' AS pfx
                      FROM (SELECT t.obj_id ~ '^\d{6}_\d\.\d{4}' AS pre) o) p) q
           JOIN k USING (seq)
           WHERE t.error IS NULL AND NOT EXISTS (SELECT 1 FROM same WHERE same.seq = t.seq)""",
        "CREATE INDEX ON c (seq)",
        # lookups of stored rows back to their staged ones (``touched``): without it a stale
        # estimate of the target table (e.g. after a mass delete) makes that a nested seq scan
        "CREATE INDEX ON c (ns, local_id)",
        # the older versions found in the file become history
        """CREATE TEMP TABLE h ON COMMIT DROP AS
           SELECT t.* FROM t WHERE t.error IS NULL
             AND NOT EXISTS (SELECT 1 FROM k WHERE k.seq = t.seq)""",
        # references: one row per (feature, property, target)
        # (``i:<ns>:<id>``, the namespace never holds a colon; the gml:id map is built only for
        # the ids some ``g:`` reference asks for, not sorted over every staged feature)
        f"""CREATE TEMP TABLE r ON COMMIT DROP AS
           WITH x AS MATERIALIZED (
               SELECT c.seq, c.ftype, p.key AS prop, v.value AS ref
               FROM c, jsonb_each(c.refs) p, jsonb_array_elements_text(p.value) v),
           g AS (SELECT DISTINCT ON (gml_id) gml_id, ns, local_id FROM t
                 WHERE gml_id IN (SELECT substr(ref, 3) FROM x WHERE ref LIKE 'g:%%')
                 ORDER BY gml_id, seq)
           SELECT x.seq, x.ftype, x.prop, x.ref, {target} AS target,
                  CASE WHEN x.ref LIKE 'i:%%' THEN split_part(x.ref, ':', 2) ELSE g.ns END AS tns,
                  CASE WHEN x.ref LIKE 'i:%%'
                       THEN substr(x.ref, length(split_part(x.ref, ':', 2)) + 4)
                       ELSE g.local_id END AS tlid
           FROM x LEFT JOIN g ON x.ref LIKE 'g:%%' AND g.gml_id = substr(x.ref, 3)""",
        "CREATE INDEX ON r (seq)",
        "CREATE INDEX ON r (tns, tlid)",
        # statistics only where later statements filter or join (the jsonb and geometry
        # columns are the costly ones to sample)
        "ANALYZE c (seq, ftype, ns, local_id, object_end)",
        "ANALYZE r (seq, prop, tns, tlid, target)",
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
    union = f"""SELECT r.seq, r.prop, r.ref FROM r
                WHERE r.target IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM t WHERE t.ns = r.tns AND t.local_id = r.tlid
                                  AND t.error IS NULL)
                  AND NOT (CASE r.target {stored} END)
                UNION ALL
                SELECT r.seq, r.prop, r.ref FROM r
                WHERE r.prop NOT IN ({modelled})
                  AND NOT EXISTS (SELECT 1 FROM t WHERE t.ns = r.tns AND t.local_id = r.tlid)"""
    return f"""
        CREATE TEMP TABLE u ON COMMIT DROP AS
        SELECT seq, jsonb_object_agg(prop, refs) AS links FROM (
            SELECT seq, prop, jsonb_agg(CASE WHEN ref LIKE 'i:%%'
                                             THEN 'urn:pzgik:id:' || substr(ref, 3)
                                             ELSE '#' || substr(ref, 3) END) AS refs
            FROM ({union}) q GROUP BY seq, prop) q2
        GROUP BY seq;
        CREATE INDEX ON u (seq);
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
            CREATE TEMP TABLE m ON COMMIT DROP AS
            SELECT c.seq, e.id,
                   CASE WHEN e.id IS NULL THEN 'create'
                        WHEN e.version_id = c.version_id
                             AND (e.retired_at IS NULL) = (c.object_end IS NULL)
                             AND e.municipality_id = %(muni)s THEN 'same'
                        WHEN e.version_start IS NOT NULL AND c.version_start IS NOT NULL
                             AND c.version_start < e.version_start THEN 'older'
                        ELSE 'update' END AS action
            FROM c LEFT JOIN {spec.table} e ON {spec.key}
            WHERE c.ftype = '{ft}'""",
        "archive": f"""
            INSERT INTO layers_featureversion (feature_type, municipality_id, source_namespace,
                local_id, version_id, version_start, version_end, attributes, geom,
                import_run_id, archived_at)
            SELECT '{ft}', e.municipality_id, e.source_namespace, e.local_id, e.version_id,
                   e.version_start, coalesce(e.version_end, now()),
                   to_jsonb(e) - 'geom' - 'pesel_encrypted', {egeom}, %(run)s, now()
            FROM {spec.table} e JOIN m ON m.id = e.id AND m.action = 'update'
            ON CONFLICT DO NOTHING""",
        "update": f"""
            UPDATE {spec.table} e SET {sets}, municipality_id = %(muni)s
            FROM m JOIN c ON c.seq = m.seq {joined}
            WHERE m.id = e.id AND m.action = 'update'""",
        "insert": f"""
            INSERT INTO {spec.table} ({names})
            SELECT {exprs} FROM c JOIN m ON m.seq = c.seq AND m.action = 'create' {joined}""",
        "history": f"""
            INSERT INTO layers_featureversion (feature_type, municipality_id, source_namespace,
                local_id, version_id, version_start, version_end, attributes, geom,
                import_run_id, archived_at)
            SELECT '{ft}', %(muni)s, x.ns, x.local_id, x.version_id, x.version_start,
                   x.version_end, x.attrs || jsonb_build_object('object_start', x.object_start,
                   'object_end', x.object_end, 'line', x.line), x.geom, %(run)s, now()
            FROM (SELECT {hcols} FROM h WHERE h.ftype = '{ft}'
                  UNION ALL
                  SELECT {ccols} FROM c JOIN m ON m.seq = c.seq AND m.action = 'older') x
            ON CONFLICT DO NOTHING""",
    }
