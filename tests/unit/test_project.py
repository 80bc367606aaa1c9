"""Project-level checks: docker-compose matches the settings; the import contract bites."""

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import REPO


def test_docker_compose_matches_settings():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "web", "worker"}
    # the imports' background worker runs the same app against the same database
    worker = services["worker"]
    assert "db_worker" in worker["command"]
    assert worker["environment"]["DATABASE_URL"] == services["web"]["environment"]["DATABASE_URL"]
    web_env = services["web"]["environment"]
    db_env = services["db"]["environment"]
    assert web_env["DATABASE_URL"].startswith("postgis://")
    assert f"@db:5432/{db_env['POSTGRES_DB']}" in web_env["DATABASE_URL"]
    assert db_env["POSTGRES_USER"] in web_env["DATABASE_URL"]
    # every variable the web service sets is one the settings read
    settings_src = (REPO / "gis_app" / "settings.py").read_text()
    for var in web_env:
        assert f'"{var}"' in settings_src, f"{var} is not read by gis_app/settings.py"
    assert "127.0.0.1:8000:8000" in services["web"]["ports"]
    assert "postgis" in services["db"]["image"]


def test_readme_documents_every_environment_variable():
    import re

    settings_src = (REPO / "gis_app" / "settings.py").read_text()
    dbctl_src = (REPO / "gis_app" / "dbctl.py").read_text()
    readme = (REPO / "README.md").read_text()
    variables = set(re.findall(r'(?:environ\.get\(|_int\(environ, )"([A-Z_]+)"',
                               settings_src + dbctl_src))
    assert "GEOGMINA_RASTER_TILE_CACHE_MB" in variables
    assert variables
    missing = sorted(v for v in variables if f"`{v}`" not in readme)
    assert missing == [], f"README lacks {missing}"


def test_import_contract_fails_on_a_wrong_arrow(tmp_path):
    """Copy the packages, make ``layers`` import ``map_ui``, and lint-imports must fail."""
    for name in ("gis_app", "layers", "importers", "registers", "map_ui"):
        shutil.copytree(REPO / name, tmp_path / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    lint = Path(sys.executable).parent / "lint-imports"
    ok = subprocess.run([str(lint), "--no-cache"], cwd=tmp_path, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    (tmp_path / "layers" / "bad_arrow.py").write_text("import map_ui.views  # noqa\n")
    bad = subprocess.run([str(lint), "--no-cache"], cwd=tmp_path, capture_output=True, text=True)
    assert bad.returncode != 0
    assert "layers.bad_arrow" in bad.stdout


def test_strictly_typed_modules_have_no_known_mypy_errors():
    """The law (layers/domain, registers/*/rules.py) and the GML reader are checked by mypy in
    strict mode with no error allowed: the baseline of known errors may hold only Django code."""
    import re

    strict = re.compile(r"^(layers/domain/|registers/[a-z_]+/rules\.py|importers/gml/)")
    baseline = (REPO / "mypy-baseline.txt").read_text(encoding="utf-8").splitlines()
    assert baseline, "mypy-baseline.txt is empty: regenerate it with make mypy-baseline"
    assert [line for line in baseline if strict.match(line)] == []
