"""Re-apply sql/liabilities.sql: rates joined directly (no CTE), so the roll may run in parallel;
the amounts are unchanged."""

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql"


class Migration(migrations.Migration):
    dependencies = [("taxes", "0003_sql_functions")]
    operations = [
        migrations.RunSQL((SQL / "liabilities.sql").read_text(), migrations.RunSQL.noop),
    ]
