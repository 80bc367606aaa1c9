"""docker-compose.yml as shipped: the settings its environment produces serve plain HTTP at
localhost (no redirect to an https:// that nothing answers, cookies a browser sends back over
http). Docker cannot run here, so the compose file's own environment is fed to the settings."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import yaml

from tests.conftest import REPO

_SUBST = re.compile(r"\$\{(\w+)(?::\?[^}]*)?\}")

_PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
login = Client().get("/accounts/login/", HTTP_HOST="localhost:8000")
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "SECURE_PROXY_SSL_HEADER": settings.SECURE_PROXY_SSL_HEADER,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "MIDDLEWARE": settings.MIDDLEWARE,
    "login_status": login.status_code,
    "login_location": login.get("Location", ""),
    "hsts_header": login.get("Strict-Transport-Security", ""),
}))
"""


def _compose_environment(values: dict[str, str]) -> dict[str, str]:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    raw = compose["services"]["web"]["environment"]
    return {key: _SUBST.sub(lambda m: values[m.group(1)], str(value))
            for key, value in raw.items()}


def test_the_compose_stack_serves_plain_http_at_localhost(tmp_path):
    from cryptography.fernet import Fernet

    environment = _compose_environment({
        "POSTGRES_PASSWORD": "pg-pass", "SECRET_KEY": "s" * 10 + Fernet.generate_key().decode(),
        "GEOGMINA_PII_KEY": Fernet.generate_key().decode()})
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GEOGMINA_", "DJANGO_ALLOW")) and k not in (
               "SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "MEDIA_ROOT", "STATIC_ROOT")}
    env.update(environment)
    env.update({"DJANGO_SETTINGS_MODULE": "gis_app.settings",
                "GEOGMINA_VAR_DIR": str(tmp_path), "MEDIA_ROOT": str(tmp_path / "media")})
    result = subprocess.run([sys.executable, "-c", _PROBE], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["DEBUG"] is False
    assert "localhost" in found["ALLOWED_HOSTS"]
    # plain HTTP works: no redirect to https, cookies not limited to https, no HSTS
    assert found["SECURE_SSL_REDIRECT"] is False
    assert found["SESSION_COOKIE_SECURE"] is False and found["CSRF_COOKIE_SECURE"] is False
    assert found["SECURE_HSTS_SECONDS"] == 0 and found["hsts_header"] == ""
    assert found["SECURE_PROXY_SSL_HEADER"] is None
    assert found["login_status"] == 200, found["login_location"]
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in found["MIDDLEWARE"]
