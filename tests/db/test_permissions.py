"""Every endpoint declares who may use it, and docs/permissions.md says so."""

import pytest

from gis_app.permissions import matrix_markdown, walk
from tests.conftest import REPO


def test_every_endpoint_declares_a_rule():
    missing = [ep.route for ep in walk() if not ep.admin and ep.rule is None]
    assert missing == [], f"views without @access: {missing}"


def test_the_walk_sees_known_endpoints():
    routes = {ep.route for ep in walk()}
    assert "accounts/login/" in routes and "health/" in routes
    assert any(ep.admin for ep in walk())


@pytest.mark.django_db
def test_permissions_doc_is_current():
    doc = (REPO / "docs" / "permissions.md").read_text()
    assert doc == matrix_markdown(), "run: python manage.py permissions_doc"
