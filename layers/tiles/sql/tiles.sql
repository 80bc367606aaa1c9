-- Vector tile functions of the spatial register, one per layer:
-- fn(z integer, x integer, y integer, allowed bigint[]) RETURNS bytea (see
-- layers/tiles/migrations/0001_tile_functions.py for why they are shaped so). Below z16 a parcel,
-- building or land-use tile carries the feature id and geometry only, on a 1024 grid; from z16
-- on the ids and, where the viewer may see them (``allowed``), the details. Applied by the
-- tiles migrations; a change here needs a migration that re-applies this file
-- (tests/db/test_sql_files.py compares a from-scratch migrate with these definitions).
CREATE OR REPLACE FUNCTION tiles_parcels(z integer, x integer, y integer, allowed bigint[])
RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    env geometry;
    bbox geometry;
    tol float8;
    extent integer;
    buffer integer;
    detail boolean;
    result bytea;
BEGIN
    IF z < 14 THEN
        RETURN ''::bytea;
    END IF;
    detail := z >= 16;
    extent := CASE WHEN detail THEN 4096 ELSE 1024 END;
    buffer := extent / 64;
    env := ST_TileEnvelope(z, x, y);
    bbox := ST_Transform(ST_TileEnvelope(z, x, y, margin => 1.0 / 64), 2180);
    -- half a grid cell in metres on the ground (Web Mercator stretches ~1.6 x at 51 N)
    tol := (ST_XMax(env) - ST_XMin(env)) / extent * 0.3;
    SELECT ST_AsMVT(t, 'parcels', extent, 'geom', 'fid') INTO result FROM (
        SELECT f.id AS fid, CASE WHEN detail THEN f.cadastral_id END AS cadastral_id, CASE WHEN detail THEN f.number END AS number, CASE WHEN detail AND f.municipality_id = ANY(allowed) THEN f.legal_area_m2::float8 END AS legal_area_m2,
               ST_AsMVTGeom(ST_Transform(ST_Simplify(f.geom, tol, true), 3857),
                            env, extent, buffer, true) AS geom
        FROM layers_parcel f WHERE f.geom && bbox AND f.retired_at IS NULL
    ) t WHERE t.geom IS NOT NULL;
    RETURN coalesce(result, ''::bytea);
END $$;


CREATE OR REPLACE FUNCTION tiles_buildings(z integer, x integer, y integer, allowed bigint[])
RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    env geometry;
    bbox geometry;
    tol float8;
    extent integer;
    buffer integer;
    detail boolean;
    result bytea;
BEGIN
    IF z < 15 THEN
        RETURN ''::bytea;
    END IF;
    detail := z >= 16;
    extent := CASE WHEN detail THEN 4096 ELSE 1024 END;
    buffer := extent / 64;
    env := ST_TileEnvelope(z, x, y);
    bbox := ST_Transform(ST_TileEnvelope(z, x, y, margin => 1.0 / 64), 2180);
    -- half a grid cell in metres on the ground (Web Mercator stretches ~1.6 x at 51 N)
    tol := (ST_XMax(env) - ST_XMin(env)) / extent * 0.3;
    SELECT ST_AsMVT(t, 'buildings', extent, 'geom', 'fid') INTO result FROM (
        SELECT f.id AS fid, CASE WHEN detail THEN f.building_id END AS building_id, CASE WHEN detail AND f.municipality_id = ANY(allowed) THEN nullif(f.kind, '') END AS kind, CASE WHEN detail AND f.municipality_id = ANY(allowed) THEN f.storeys_above::integer END AS storeys_above,
               ST_AsMVTGeom(ST_Transform(ST_Simplify(f.geom, tol, true), 3857),
                            env, extent, buffer, true) AS geom
        FROM layers_building f WHERE f.geom && bbox AND f.retired_at IS NULL
    ) t WHERE t.geom IS NOT NULL;
    RETURN coalesce(result, ''::bytea);
END $$;


CREATE OR REPLACE FUNCTION tiles_land_uses(z integer, x integer, y integer, allowed bigint[])
RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    env geometry;
    bbox geometry;
    tol float8;
    extent integer;
    buffer integer;
    detail boolean;
    result bytea;
BEGIN
    IF z < 14 THEN
        RETURN ''::bytea;
    END IF;
    detail := z >= 16;
    extent := CASE WHEN detail THEN 4096 ELSE 1024 END;
    buffer := extent / 64;
    env := ST_TileEnvelope(z, x, y);
    bbox := ST_Transform(ST_TileEnvelope(z, x, y, margin => 1.0 / 64), 2180);
    -- half a grid cell in metres on the ground (Web Mercator stretches ~1.6 x at 51 N)
    tol := (ST_XMax(env) - ST_XMin(env)) / extent * 0.3;
    SELECT ST_AsMVT(t, 'land_uses', extent, 'geom', 'fid') INTO result FROM (
        SELECT f.id AS fid, CASE WHEN detail THEN nullif(f.contour_id, '') END AS contour_id, CASE WHEN detail AND f.municipality_id = ANY(allowed) THEN nullif(f.ofu, '') END AS ofu, CASE WHEN detail AND f.municipality_id = ANY(allowed) THEN nullif(f.ozu, '') END AS ozu, CASE WHEN detail AND f.municipality_id = ANY(allowed) THEN nullif(f.ozk, '') END AS ozk,
               ST_AsMVTGeom(ST_Transform(ST_Simplify(f.geom, tol, true), 3857),
                            env, extent, buffer, true) AS geom
        FROM layers_landuse f WHERE f.geom && bbox AND f.retired_at IS NULL AND f.kind = 'use'
    ) t WHERE t.geom IS NOT NULL;
    RETURN coalesce(result, ''::bytea);
END $$;


CREATE OR REPLACE FUNCTION tiles_parking_zones(z integer, x integer, y integer, allowed bigint[])
RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    env geometry;
    bbox geometry;
    tol float8;
    result bytea;
BEGIN
    IF z < 8 THEN
        RETURN ''::bytea;
    END IF;
    env := ST_TileEnvelope(z, x, y);
    bbox := ST_Transform(ST_TileEnvelope(z, x, y, margin => 64.0 / 4096), 2180);
    -- half a pixel in metres on the ground (Web Mercator stretches ~1.6 x at 51 N)
    tol := (ST_XMax(env) - ST_XMin(env)) / 4096 * 0.3;
    SELECT ST_AsMVT(t, 'parking_zones', 4096, 'geom', 'fid') INTO result FROM (
        SELECT f.id AS fid, f.code, CASE WHEN f.municipality_id = ANY(allowed) THEN f.name END AS name, CASE WHEN f.municipality_id = ANY(allowed) THEN f.kind END AS kind,
               ST_AsMVTGeom(ST_Transform(ST_Simplify(f.geom, tol, true), 3857),
                            env, 4096, 64, true) AS geom
        FROM layers_parkingzone f WHERE f.geom && bbox AND f.retired_at IS NULL
    ) t WHERE t.geom IS NOT NULL;
    RETURN coalesce(result, ''::bytea);
END $$;


CREATE OR REPLACE FUNCTION tiles_landscape_areas(z integer, x integer, y integer, allowed bigint[])
RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    env geometry;
    bbox geometry;
    tol float8;
    result bytea;
BEGIN
    IF z < 8 THEN
        RETURN ''::bytea;
    END IF;
    env := ST_TileEnvelope(z, x, y);
    bbox := ST_Transform(ST_TileEnvelope(z, x, y, margin => 64.0 / 4096), 2180);
    -- half a pixel in metres on the ground (Web Mercator stretches ~1.6 x at 51 N)
    tol := (ST_XMax(env) - ST_XMin(env)) / 4096 * 0.3;
    SELECT ST_AsMVT(t, 'landscape_areas', 4096, 'geom', 'fid') INTO result FROM (
        SELECT f.id AS fid, f.code, CASE WHEN f.municipality_id = ANY(allowed) THEN f.name END AS name, CASE WHEN f.municipality_id = ANY(allowed) THEN f.kind END AS kind,
               ST_AsMVTGeom(ST_Transform(ST_Simplify(f.geom, tol, true), 3857),
                            env, 4096, 64, true) AS geom
        FROM layers_landscapearea f WHERE f.geom && bbox AND f.retired_at IS NULL
    ) t WHERE t.geom IS NOT NULL;
    RETURN coalesce(result, ''::bytea);
END $$;
