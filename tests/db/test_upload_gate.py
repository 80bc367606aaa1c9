"""Uploads are refused before their body is parsed (spooled to disk) when the user is anonymous
or lacks the capability of the page they are sent to (issue 14).

A recording upload handler sits in front of Django's own: it sees every file the multipart
parser starts to receive. For a refused request it must see nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.test import Client

from gis_app.accounts.roles import Role

pytestmark = pytest.mark.django_db

RECEIVED: list[str] = []
BIG = 6 * 1024 * 1024  # over FILE_UPLOAD_MAX_MEMORY_SIZE: Django would spool it to a temp file


class RecordingHandler(FileUploadHandler):
    def new_file(self, field_name, file_name, *args, **kwargs):
        RECEIVED.append(file_name)
        super().new_file(field_name, file_name, *args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        return raw_data

    def file_complete(self, file_size):
        return None


@pytest.fixture
def recording(settings, tmp_path):
    settings.FILE_UPLOAD_HANDLERS = [
        "tests.db.test_upload_gate.RecordingHandler",
        "django.core.files.uploadhandler.MemoryFileUploadHandler",
        "django.core.files.uploadhandler.TemporaryFileUploadHandler"]
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    RECEIVED.clear()
    yield tmp_path
    RECEIVED.clear()


def _big_csv() -> SimpleUploadedFile:
    return SimpleUploadedFile("deklaracje.csv", b"a;b;c\n" * (BIG // 6), content_type="text/csv")


def test_anonymous_uploads_are_refused_unread(recording, make_municipality):
    town = make_municipality()
    for url, status in ((f"/taxes/{town.pk}/import/", 302), ("/leases/1/documents/", 302),
                        ("/admin/layers/parcel/add/", 302), ("/no/such/page/", 404)):
        response = Client().post(url, {"file": _big_csv(), "title": "x"})
        assert response.status_code == status, (url, response.status_code)
        if status == 302:  # to the login page, as the page itself would answer
            assert "login" in response["Location"], url
        assert RECEIVED == [], url
    api = Client().post(f"/taxes/{town.pk}/import/", {"file": _big_csv()},
                        HTTP_ACCEPT="application/json")
    assert api.status_code == 401 and RECEIVED == []
    assert list(recording.iterdir()) == []


def test_an_upload_without_the_capability_is_refused_unread(recording, make_municipality,
                                                            make_user):
    town = make_municipality()
    client = Client()
    client.force_login(make_user("planista", town, (Role.PLANNER,)))
    response = client.post(f"/taxes/{town.pk}/import/", {"file": _big_csv()})
    assert response.status_code == 403
    assert "edit_tax" in response.content.decode()
    assert RECEIVED == []
    response = client.post("/admin/layers/parcel/add/", {"file": _big_csv()})
    assert response.status_code == 403 and RECEIVED == []  # no staff user


def test_an_upload_with_the_capability_reaches_the_page(recording, make_municipality,
                                                        make_user):
    town = make_municipality()
    client = Client()
    client.force_login(make_user("podatnik", town, (Role.TAX_OFFICER,)))
    response = client.post(f"/taxes/{town.pk}/import/", {"file": _big_csv()})
    assert response.status_code in (200, 400)  # the import form answers, its verdict its own
    assert RECEIVED == ["deklaracje.csv"]
