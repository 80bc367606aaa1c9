"""The minimum wage by year (legal-facts §4): the base of the art. 13b and 13f caps."""

from django.db import migrations

from registers.parking.parameters import MINIMUM_WAGES as WAGES


def seed(apps, schema_editor):
    wage = apps.get_model("parking", "MinimumWage")
    for year, amount, source in WAGES:
        wage.objects.update_or_create(year=year, defaults={"amount": amount, "source": source})


def unseed(apps, schema_editor):
    apps.get_model("parking", "MinimumWage").objects.filter(
        year__in=[w[0] for w in WAGES]).delete()


class Migration(migrations.Migration):
    dependencies = [("parking", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
