import pytest
from django.core.exceptions import ImproperlyConfigured

from gis_app.settings import Env


def test_production_needs_a_secret_key(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        Env.from_environ({"GEOGMINA_DEBUG": "0", "GEOGMINA_VAR_DIR": str(tmp_path)})


def test_production_needs_a_pii_key(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="GEOGMINA_PII_KEY"):
        Env.from_environ({"SECRET_KEY": "x" * 50, "GEOGMINA_VAR_DIR": str(tmp_path)})


def test_debug_keeps_a_development_key_under_var(tmp_path):
    env = Env.from_environ({"GEOGMINA_DEBUG": "1", "GEOGMINA_VAR_DIR": str(tmp_path)})
    again = Env.from_environ({"GEOGMINA_DEBUG": "1", "GEOGMINA_VAR_DIR": str(tmp_path)})
    assert env.secret_key == again.secret_key and len(env.secret_key) > 40
    assert (tmp_path / "dev-secret-key").stat().st_mode & 0o077 == 0


def test_database_url_selects_a_server_and_embedded_is_the_default(tmp_path):
    env = Env.from_environ({"GEOGMINA_DEBUG": "1", "GEOGMINA_VAR_DIR": str(tmp_path),
                            "DATABASE_URL": "postgis://u:p@db.example:5433/town"})
    assert not env.embedded_db and env.database_url.endswith("/town")
    embedded = Env.from_environ({"GEOGMINA_DEBUG": "1", "GEOGMINA_VAR_DIR": str(tmp_path)})
    assert embedded.embedded_db and embedded.database_url.startswith("postgis://")


def test_wrong_boolean_is_named(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="boolean"):
        Env.from_environ({"GEOGMINA_DEBUG": "maybe", "GEOGMINA_VAR_DIR": str(tmp_path)})


def test_embedded_cluster_never_uses_the_system_port():
    from gis_app import dbctl

    assert dbctl.port() != 5432
    assert "host=" in dbctl.url()


def _check_deploy(tmp_path, pii_key: str):
    import os
    import secrets
    import subprocess
    import sys

    from tests.conftest import REPO

    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GEOGMINA_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update({
        "GEOGMINA_DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "GEOGMINA_PII_KEY": pii_key,
        "ALLOWED_HOSTS": "gis.example.gov.pl",
        "GEOGMINA_VAR_DIR": str(tmp_path),
        "DATABASE_URL": "postgis://u:p@127.0.0.1:1/none",
    })
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO, env=env, capture_output=True, text=True,
    )


def test_production_settings_pass_check_deploy(tmp_path):
    """`manage.py check --deploy` on the production configuration reports nothing."""
    from cryptography.fernet import Fernet

    result = _check_deploy(tmp_path, Fernet.generate_key().decode())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_refuses_a_pii_key_that_is_no_random_fernet_key(tmp_path):
    import base64
    import secrets

    from gis_app.checks import pii_key_problem

    weak_keys = (secrets.token_urlsafe(32),  # random, but no Fernet key
                 "changeme",
                 base64.urlsafe_b64encode(b"\0" * 32).decode(),  # AAAA…=: constant
                 base64.urlsafe_b64encode(b"geogmina" * 4).decode(),  # a repeated word
                 base64.urlsafe_b64encode(bytes(range(32))).decode())  # 0, 1, 2 …
    for weak in weak_keys:
        assert pii_key_problem(weak), weak
    # the whole `check --deploy` (a Django start, ~3 s) once per kind of refusal
    for weak in (weak_keys[0], weak_keys[2]):
        result = _check_deploy(tmp_path, weak)
        assert result.returncode != 0, weak
        output = result.stdout + result.stderr
        assert "geogmina.E001" in output and "GEOGMINA_PII_KEY is refused" in output, output
        assert weak not in output  # the check never prints the key it refuses


def test_pii_key_rules():
    import base64

    from cryptography.fernet import Fernet

    from gis_app.checks import pii_key_problem

    assert pii_key_problem(Fernet.generate_key().decode()) is None
    assert "empty" in pii_key_problem("")
    assert "not a Fernet key" in pii_key_problem("x" * 44)
    assert "distinct bytes" in pii_key_problem(base64.urlsafe_b64encode(b"ab" * 16).decode())
    assert "constant step" in pii_key_problem(
        base64.urlsafe_b64encode(bytes(range(0, 256, 8))).decode())


def test_raster_tile_cache_cap_and_interval(tmp_path):
    base = {"GEOGMINA_DEBUG": "1", "GEOGMINA_VAR_DIR": str(tmp_path)}
    default = Env.from_environ(base)
    assert default.raster_tile_cache_mb == 2048 and default.raster_tile_cache_prune_minutes == 10
    env = Env.from_environ({**base, "GEOGMINA_RASTER_TILE_CACHE_MB": "512",
                            "GEOGMINA_RASTER_TILE_CACHE_PRUNE_MINUTES": "0"})
    assert env.raster_tile_cache_mb == 512 and env.raster_tile_cache_prune_minutes == 0
    for wrong in ("2 GB", "-1"):
        with pytest.raises(ImproperlyConfigured, match="GEOGMINA_RASTER_TILE_CACHE_MB"):
            Env.from_environ({**base, "GEOGMINA_RASTER_TILE_CACHE_MB": wrong})


def test_basic_auth_cache_seconds(tmp_path):
    base = {"GEOGMINA_DEBUG": "1", "GEOGMINA_VAR_DIR": str(tmp_path)}
    assert Env.from_environ(base).basic_auth_cache_seconds == 300
    assert Env.from_environ({**base, "GEOGMINA_BASIC_AUTH_CACHE_SECONDS": "0"}
                            ).basic_auth_cache_seconds == 0
    with pytest.raises(ImproperlyConfigured, match="GEOGMINA_BASIC_AUTH_CACHE_SECONDS"):
        Env.from_environ({**base, "GEOGMINA_BASIC_AUTH_CACHE_SECONDS": "5m"})
