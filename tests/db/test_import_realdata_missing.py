"""A lone clone (no ../shared next to it): the real-data tests skip naming the missing folder;
with CI=true they fail instead. Nothing reads the folder while tests are collected."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import tests.conftest as conftest


@pytest.fixture
def lone_clone(tmp_path, monkeypatch):
    missing = tmp_path / "shared" / "realdata"
    monkeypatch.setattr(conftest, "REALDATA", missing)
    return missing


def test_outside_ci_the_real_data_tests_skip_naming_the_folder(lone_clone, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=str(lone_clone)):
        conftest.require_realdata()
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="is missing"):
        conftest.require_realdata()


def test_in_ci_the_real_data_tests_fail_without_the_folder(lone_clone, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=f"CI=true: .*{lone_clone}"):
        conftest.require_realdata()


def test_parametrised_real_data_tests_are_not_silently_empty(lone_clone):
    # an empty parameter set would be skipped even in CI: one placeholder runs the check
    params = conftest.realdata_samples(lambda p: True)
    assert len(params) == 1 and params[0].values == (None,)


def test_the_real_folder_is_used_when_present(tmp_path, monkeypatch):
    folder = tmp_path / "realdata"
    (folder / "group").mkdir(parents=True)
    (folder / "group" / "a.gml").write_text("<x/>", encoding="utf-8")
    monkeypatch.setattr(conftest, "REALDATA", folder)
    monkeypatch.setenv("CI", "true")
    assert conftest.require_realdata() == folder
    assert conftest.realdata_samples(lambda p: p.suffix == ".gml") == [folder / "group" / "a.gml"]


def test_collection_in_a_lone_clone(tmp_path):
    """The real-data modules collect without the folder (GEOGMINA_SHARED_DIR points at a
    missing one), each real-sample test as one placeholder."""
    env = {**os.environ, "GEOGMINA_SHARED_DIR": str(tmp_path / "no-shared"), "CI": "true"}
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "tests/db/test_import_realdata.py", "tests/db/test_import_parallel.py"],
        capture_output=True, text=True, env=env, cwd=conftest.REPO, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "test_real_sample_matches_gdal[realdata-missing]" in out.stdout
    assert "test_real_samples_stage_the_same_in_slices[realdata-missing]" in out.stdout
