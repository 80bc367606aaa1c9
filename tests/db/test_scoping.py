"""Municipality scoping: a user of one town gets nothing of another."""

import pytest

from gis_app.accounts.access import has_capability, municipality_ids
from gis_app.accounts.roles import Capability, Role
from layers.selectors import municipality_list

pytestmark = pytest.mark.django_db


def test_user_sees_only_granted_municipalities(make_municipality, make_user):
    jaslo = make_municipality("180501_1", "Jasło")
    krosno = make_municipality("186101_1", "Krosno")
    officer = make_user("anna", jaslo, (Role.PROPERTY_OFFICER,))
    assert list(municipality_list(officer)) == [jaslo]
    assert municipality_ids(officer, Capability.VIEW_OWNERS) == {jaslo.id}
    assert not has_capability(officer, Capability.VIEW_OWNERS, krosno.id)
    assert has_capability(officer, Capability.VIEW_OWNERS, jaslo.id)


def test_roles_are_per_municipality(make_municipality, make_user):
    jaslo = make_municipality("180501_1", "Jasło")
    krosno = make_municipality("186101_1", "Krosno")
    user = make_user("piotr", jaslo, (Role.TAX_OFFICER,))
    from gis_app.accounts.access import grant

    grant(user, krosno, [Role.PLANNER])
    assert municipality_ids(user, Capability.VIEW_TAX) == {jaslo.id}
    assert municipality_ids(user, Capability.VIEW_MAP) == {jaslo.id, krosno.id}


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_capabilities_per_role(make_municipality, make_user, role):
    town = make_municipality()
    user = make_user(f"u-{role}", town, (role,))
    sees_owners = role in {Role.PROPERTY_OFFICER, Role.TAX_OFFICER}
    assert has_capability(user, Capability.VIEW_OWNERS, town.id) is sees_owners
    assert has_capability(user, Capability.VIEW_TAX, town.id) is (role == Role.TAX_OFFICER)
    assert has_capability(user, Capability.VIEW_MAP, town.id)


def test_public_has_no_capability(make_municipality):
    from django.contrib.auth.models import AnonymousUser

    town = make_municipality()
    anon = AnonymousUser()
    assert municipality_ids(anon, Capability.VIEW_MAP) == set()
    assert list(municipality_list(anon)) == [town]  # the public map lists every town
