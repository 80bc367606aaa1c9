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
