"""No English in the Polish UI (issue #18): every string the code and templates mark for
translation, extracted afresh by ``makemessages`` (into a copy of the tree, the project's own
catalogues untouched), has a Polish translation in the project's catalogues (or Django's own,
for the strings of Django's templates a project template reuses); no catalogue holds a fuzzy
entry, which gettext would not use.

The existing ``test_i18n`` checks each catalogue against itself; this one checks the catalogues
against the code, which is what was missing: a string added to a template without a catalogue
entry showed in English."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

from tests.conftest import REPO

SOURCE_DIRS = ("gis_app", "layers", "importers", "map_ui", "registers")
SKIP = shutil.ignore_patterns("__pycache__", "*.mo", "*.po", "static", "migrations", "*.sql",
                              "*.gml", "*.gpkg", "*.tif", "*.json")


def _catalogues(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("locale/pl/LC_MESSAGES/django.po")
                  if ".venv" not in p.parts and "node_modules" not in p.parts)


def _key(entry: polib.POEntry) -> tuple[str | None, str, str]:
    return entry.msgctxt, entry.msgid, entry.msgid_plural


def _translated(entry: polib.POEntry) -> bool:
    if "fuzzy" in entry.flags or entry.obsolete:
        return False
    if entry.msgid_plural:
        return bool(entry.msgstr_plural) and all(entry.msgstr_plural.values())
    return bool(entry.msgstr)


def _django_translates(ctx: str | None, msgid: str, plural: str) -> bool:
    """Django's own Polish catalogues (contrib templates reused by the project)."""
    from django.utils import translation

    with translation.override("pl"):
        if ctx:
            return translation.pgettext(ctx, msgid) != msgid
        if plural:
            return translation.ngettext(msgid, plural, 5) != msgid
        return translation.gettext(msgid) != msgid


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> list[tuple[Path, polib.POEntry]]:
    """Every message of the code and templates, freshly extracted (no catalogue to merge
    with, so nothing is matched fuzzily to an older string)."""
    root = tmp_path_factory.mktemp("extract")
    shutil.copy(REPO / "manage.py", root / "manage.py")
    for name in SOURCE_DIRS:
        shutil.copytree(REPO / name, root / name, ignore=SKIP)
    for po in _catalogues(REPO):  # the same locale directories, empty
        (root / po.relative_to(REPO).parent).mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GEOGMINA_DEBUG": "1", "GEOGMINA_VAR_DIR": str(root / "var"),
           "DJANGO_SETTINGS_MODULE": "gis_app.settings", "PYTHONPATH": str(root)}
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "pl", "--no-location",
         "--no-wrap"], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    found = [(po.relative_to(root), entry) for po in _catalogues(root)
             for entry in polib.pofile(str(po)) if entry.msgid]
    assert len(found) > 1000, "makemessages extracted suspiciously few strings"
    return found


def test_no_catalogue_holds_a_fuzzy_entry():
    fuzzy = [f"{po.relative_to(REPO)}: {e.msgid!r}" for po in _catalogues(REPO)
             for e in polib.pofile(str(po)) if "fuzzy" in e.flags and not e.obsolete]
    assert fuzzy == [], ("fuzzy entries are not used by gettext; translate them:\n"
                         + "\n".join(fuzzy))


def test_every_extracted_string_has_a_polish_translation(extracted):
    translated = {_key(e) for po in _catalogues(REPO) for e in polib.pofile(str(po))
                  if _translated(e)}
    missing = sorted({f"{po}: {e.msgid!r}" + (f" (context {e.msgctxt!r})" if e.msgctxt else "")
                      for po, e in extracted
                      if _key(e) not in translated
                      and not _django_translates(e.msgctxt, e.msgid, e.msgid_plural)})
    assert missing == [], (f"{len(missing)} strings of the UI have no Polish translation "
                           "(add them to the app's locale/pl/LC_MESSAGES/django.po):\n"
                           + "\n".join(missing))
