"""What the debug 500 page (GEOGMINA_DEBUG=1) and error reports may show.

Django's ``SafeExceptionReporterFilter`` hides settings and request META entries whose *name*
looks secret (API, TOKEN, KEY, SECRET, PASS, SIGNATURE, HTTP_COOKIE). Secrets must therefore only
ever live under such names (gis_app/settings.py keeps its environment object out of the settings
for that reason). This filter adds the names the project's own secrets travel under elsewhere:
``DATABASE_URL`` (its password; runserver copies the process environment into request.META) and
any ``PII`` setting or variable.
"""

from __future__ import annotations

import re

from django.views.debug import SafeExceptionReporterFilter


class SecretsHidingFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile(
        "API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|DATABASE_URL|DSN|PII", flags=re.I)
