"""The importers' rejection reasons and phases read in Polish on the pages (issue #18), while
the stored English text (what the CLI prints and the tests assert) stays as written."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from importers import reasons
from importers.web.jobs import phase_label

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")

#: reasons as the importers write them (SQL checks, the GML reader, the geometry parser, the
#: placement checks, the vector importer), joined with "; " when one object fails several
WRITTEN = [
    "geometry: a ring has 3 positions (at least 4 are needed)",
    "no geometry; belongs to cadastral unit 180502_2, not to 180501_1",
    "legal area -5.00 m² is negative; denominator 0 is out of range (1 to 2147483647)",
    "duplicate id PL.PZGiK.1:abc version 2020-01-01T00:00:00 (first at line 17)",
    "duplicate gml:id ID_1 (first at line 3)",
    "duplicate parcel id 180501_1.0001.12 (also object PL.1:x)",
    "invalid geometry that cannot be repaired: Self-intersection[1 2]",
    "invalid geometry repaired with ST_MakeValid: Ring Self-intersection[1 2]",
    "legal area 100.00 m² vs geometric 120.00 m² (20.0 %)",
    "unknown land-use code (OFU) 'Xx'",
    "no idIIP and no gml:id: the object cannot be identified",
    "parcel without idDzialki", "parcel without geometry", "parcel without an identifier",
    "idDzialki '18_1' is not an EGiB parcel id WWPPGG_R.OOOO.NUMBER: bad unit",
    "share with denominator 0",
    "owner (OsobaFizyczna) with no name in the tags the reader knows (imie, nazwisko); tags "
    "it does not know: none; not stored",
    "startObiekt: 'jutro' is not a date-time",
    "geometry: non-numeric coordinates", "geometry: a ring is not closed",
    "geometry: unsupported geometry type Solid", "geometry: an empty geometry",
    "outside the boundary of 180501_1 by more than 50 m (option --boundary-tolerance)",
    "outside Poland (the area of use of EPSG:2180: 14.14–24.15° E, 49.00–54.84° N)",
    "kind 'tablica' is not one of board, sign", "no polygon geometry",
    "duplicate code 'A' (first at row 2)", "3 invalid geometries repaired",
]


@pytest.mark.parametrize("reason", WRITTEN)
def test_every_written_form_reads_in_polish(reason):
    assert reasons.is_known(reason), reason
    with translation.override("pl"):
        polish = reasons.reason_text(reason)
    assert polish != reason
    english_words = {"geometry", "without", "duplicate", "negative", "range", "belongs",
                     "unknown", "ring", "invalid", "outside", "repaired", "stored"}
    assert not english_words & set(re.findall(r"[a-z]+", polish)), polish
    with translation.override("en"):
        assert reasons.reason_text(reason) == reason  # English: exactly as written


def test_polish_of_every_form_keeps_its_parameters_and_unknown_text_stays():
    with translation.override("pl"):
        for _pattern, template in reasons.PATTERNS:
            with translation.override(None):
                msgid = str(template)
            polish = str(template)
            assert polish != msgid or msgid.startswith("%(tag)s"), msgid
            assert sorted(PLACEHOLDER.findall(polish)) == sorted(PLACEHOLDER.findall(msgid))
        assert reasons.reason_text("something new; no geometry") == "something new; " \
            "brak geometrii"
        assert phase_label("merging parcels") == "scalanie z rejestrem: działki"
        assert reasons.feature_type_label("landuse") == "kontur użytku gruntowego"


#: why whole runs failed, as the importers write them (``ImportRun.message``; the browser
#: import shows it): cadastral, vector and raster
FAILED = [
    ("every one of the 3 objects was rejected: nothing was stored",
     "odrzucono wszystkie obiekty (3): nic nie zapisano"),
    ("every one of the 2 features was rejected: nothing was changed",
     "odrzucono wszystkie obiekty (2): nic nie zmieniono"),
    ("the file holds no cadastral features",
     "plik nie zawiera obiektów ewidencji gruntów i budynków"),
    ("malformed XML at line 7, column 12: Opening and ending tag mismatch: a line 1 and b",
     "błędny XML w wierszu 7, kolumna 12: Opening and ending tag mismatch: a line 1 and b"),
    ("unknown coordinate reference system 'EPSG:9999'",
     "nieznany układ współrzędnych 'EPSG:9999'"),
    ("the file declares a DTD or entities (line 1); cadastral GML never does, so it is refused "
     "unread (XXE / entity-expansion protection)",
     "plik deklaruje DTD lub encje (wiersz 1); GML ewidencyjny nigdy tego nie robi, więc "
     "odrzucono go bez czytania (ochrona przed XXE i rozwijaniem encji)"),
    ("line 4: Dzialka in namespace 'urn:x', which is neither the 2015 "
     "(urn:gugik:specyfikacje:gmlas:ewidencjaGruntowBudynkow:1.0) nor the 2021 "
     "(urn:gugik:specyfikacje:gmlas:ewidencjaGruntowBudynkow:2.0) EGiB namespace",
     "wiersz 4: Dzialka w przestrzeni nazw 'urn:x', która nie jest przestrzenią nazw EGiB ani "
     "z 2015 r. (urn:gugik:specyfikacje:gmlas:ewidencjaGruntowBudynkow:1.0), ani z 2021 r. "
     "(urn:gugik:specyfikacje:gmlas:ewidencjaGruntowBudynkow:2.0)"),
    ("interrupted: the import process ended before finishing (killed or crashed); its "
     "transaction was rolled back, nothing of it was stored",
     "przerwano: proces importu zakończył się przed końcem pracy (zabity lub awaria); jego "
     "transakcję wycofano, nic z niego nie zapisano"),
    ("the source has no coordinate reference system", "źródło nie ma układu współrzędnych"),
    ("column 'nazwa' (for name) is not in the source; it has kod, geometry",
     "kolumny 'nazwa' (dla pola name) nie ma w źródle; są w nim: kod, geometry"),
    ("orto.tif: the file has no coordinate reference system (CRS); add one (e.g. gdal_edit.py "
     "-a_srs EPSG:2180) and import again",
     "orto.tif: plik nie ma układu współrzędnych (CRS); dodaj go (np. gdal_edit.py -a_srs "
     "EPSG:2180) i zaimportuj ponownie"),
    ("dem.tif: an elevation model needs exactly 1 band, the file has 3",
     "dem.tif: numeryczny model terenu potrzebuje dokładnie 1 kanału, plik ma 3"),
]


@pytest.mark.parametrize(("written", "polish"), FAILED)
def test_failed_runs_read_in_polish_and_keep_other_tools_words(written, polish):
    assert reasons.is_known(written), written
    with translation.override("pl"):
        assert reasons.reason_text(written) == polish
    with translation.override("en"):
        assert reasons.reason_text(written) == written
