"""The demo town loads through the real importers: parcels, owners, buildings, zones, users."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from gis_app.accounts.access import has_capability
from gis_app.accounts.roles import Capability
from importers.demo.generator import DemoTown, fake_pesel, kw_number
from importers.models import ImportRun
from layers import pii
from layers.models import (
    Building,
    FeatureVersion,
    LandscapeArea,
    LandUse,
    Municipality,
    Parcel,
    ParkingZone,
    Share,
    Subject,
)


def test_fake_pesel_is_well_formed():
    for serial in range(50):
        for female in (True, False):
            pesel = fake_pesel(serial, female)
            weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3, 1)
            assert len(pesel) == 11 and pesel.startswith("000101")
            assert sum(int(d) * w for d, w in zip(pesel, weights, strict=True)) % 10 == 0
            assert int(pesel[9]) % 2 == (0 if female else 1)


def test_kw_number_format():
    assert kw_number(12345) == "KS1J/00012345/" + kw_number(12345)[-1]
    import re
    assert re.fullmatch(r"[A-Z]{2}[1-9][A-Z]/[0-9]{8}/[0-9]", kw_number(7))


def test_generator_is_deterministic(tmp_path):
    a = DemoTown(parcels=120).write_gml(tmp_path / "a.gml").read_bytes()
    b = DemoTown(parcels=120).write_gml(tmp_path / "b.gml").read_bytes()
    assert a == b
    assert "ul. Kościuszki".encode() in a


@pytest.mark.django_db
def test_load_demo_small_town(settings, tmp_path):
    settings.GEOGMINA_VAR_DIR = tmp_path
    settings.DEBUG = True
    call_command("load_demo", "--parcels", "200", "--no-hooks")
    town = Municipality.objects.get(teryt="180501_1")
    assert town.name == "Jasło" and town.geom is not None
    parcels = Parcel.objects.filter(municipality=town, retired_at__isnull=True)
    plots = parcels.exclude(land_uses__ofu__in=["dr", "Wp"])
    assert plots.count() >= 200
    assert parcels.filter(land_uses__ofu="dr").exists()
    assert parcels.filter(land_uses__ofu="Wp").exists()
    assert parcels.filter(registration_unit__group=4).exists()  # municipal land
    assert parcels.exclude(kw_numbers=[]).exists()
    assert Building.objects.filter(municipality=town, kind="m", parcels__isnull=False).exists()
    assert LandUse.objects.filter(municipality=town, kind="class", ozk__isnull=False).exists()
    assert Share.objects.filter(municipality=town, subject__isnull=False,
                                registration_unit__isnull=False).count() > 100
    # the wrapped share form resolved as well as the direct one: no share lacks its subject
    assert not Share.objects.filter(municipality=town, subject__isnull=True).exists()
    person = Subject.objects.filter(municipality=town, kind="person").first()
    assert person.pesel_encrypted and b"000101" not in bytes(person.pesel_encrypted)
    assert pii.decrypt(person.pesel_encrypted).startswith("000101")
    marriage = Subject.objects.filter(municipality=town, kind="marriage").first()
    assert marriage.members.count() == 2 and " i " in marriage.name
    # coordinates: stored in 2180 around Jasło (lon ≈ 21.47, lat ≈ 49.75)
    centroid = parcels.first().geom.transform(4326, clone=True).centroid
    assert 21.3 < centroid.x < 21.7 and 49.6 < centroid.y < 49.9
    assert ParkingZone.objects.filter(municipality=town, kind="ordinary").exists()
    assert ParkingZone.objects.filter(municipality=town, kind="city_centre").exists()
    assert set(LandscapeArea.objects.filter(municipality=town).values_list("code", flat=True)) \
        >= {"A", "B"}
    assert LandscapeArea.objects.filter(kind="protected_landscape").exists()
    users = get_user_model().objects
    admin = users.get(username="admin")
    assert admin.is_superuser and admin.check_password("demo-admin")
    urzednik = users.get(username="urzednik")
    assert has_capability(urzednik, Capability.VIEW_OWNERS, town.id)
    assert not has_capability(users.get(username="planista"), Capability.VIEW_OWNERS, town.id)
    # --if-empty: a second run does nothing
    runs = ImportRun.objects.count()
    call_command("load_demo", "--if-empty", "--parcels", "200", "--no-hooks")
    assert ImportRun.objects.count() == runs
    # a forced second load: the same file again changes nothing
    call_command("load_demo", "--parcels", "200", "--no-hooks")
    last = ImportRun.objects.filter(kind="cadastre").order_by("-id").first()
    assert last.status == ImportRun.Status.UNCHANGED
    assert FeatureVersion.objects.count() == 0
