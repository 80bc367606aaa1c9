"""The UI speaks Polish: every catalogue is complete and compiles, and each app has one."""

import subprocess

import pytest

from tests.conftest import REPO

CATALOGUES = sorted(p for p in REPO.rglob("locale/pl/LC_MESSAGES/django.po")
                    if ".venv" not in p.parts and "node_modules" not in p.parts)


def test_every_app_with_strings_has_a_polish_catalogue():
    apps = {p.relative_to(REPO).parts[0] for p in CATALOGUES}
    assert {"gis_app", "layers", "importers", "map_ui", "registers"} <= apps
    registers = {p.relative_to(REPO).parts[1] for p in CATALOGUES if p.parts[-6] != "layers"
                 and p.relative_to(REPO).parts[0] == "registers"}
    assert registers == {"taxes", "leases", "housing", "parking", "landscape", "payments", "ppp"}


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(REPO)))
def test_catalogue_is_complete(po):
    result = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr
