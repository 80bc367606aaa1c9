"""PESELs imported from EGiB are encrypted at rest and readable only with VIEW_OWNERS."""

from __future__ import annotations

import pytest
from django.db import connection

from importers.services import import_cadastre
from layers import pii
from layers.models import Subject
from tests.data import egib_samples as eg

PERSON = """<gml:featureMember><egb:EGB_OsobaFizyczna gml:id="os1">
<egb:idIIP><egb:EGB_IdentyfikatorIIP><egb:lokalnyId>os-1</egb:lokalnyId>
<egb:przestrzenNazw>PL.PZGiK.9999.EGiB</egb:przestrzenNazw>
<egb:wersjaId>2024-01-01T00:00:00</egb:wersjaId></egb:EGB_IdentyfikatorIIP></egb:idIIP>
<egb:pierwszeImie>Łucja</egb:pierwszeImie><egb:pierwszyCzlonNazwiska>Żak</egb:pierwszyCzlonNazwiska>
<egb:pesel>00010112345</egb:pesel><egb:status>1</egb:status>
</egb:EGB_OsobaFizyczna></gml:featureMember>
"""


@pytest.mark.django_db
def test_pesel_encrypted(tmp_path):
    result = import_cadastre(eg.write(tmp_path / "p.gml", *eg.grid(1), PERSON))
    assert result.ok, result.run.message
    subject = Subject.objects.get(local_id="os-1")
    assert subject.name == "Żak Łucja" and subject.search_text == "zak lucja"
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM layers_subject WHERE "
                    "position('00010112345' in encode(pesel_encrypted, 'escape')) > 0")
        assert cur.fetchone()[0] == 0
    assert pii.decrypt(subject.pesel_encrypted) == "00010112345"  # with the key only
