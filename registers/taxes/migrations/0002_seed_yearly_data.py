"""Seed the statutory caps, yearly parameters and fixed conversion factors from ``data.py``.

Later years are added by an administrator in the admin; re-running changes nothing.
"""

from django.db import migrations


def seed(apps, schema_editor):
    from registers.taxes import data

    RateCap = apps.get_model("taxes", "RateCap")
    YearlyParameters = apps.get_model("taxes", "YearlyParameters")
    ConversionFactor = apps.get_model("taxes", "ConversionFactor")
    sources = {2024: "SECONDARY (2025 = 2024 × 1.027)", 2025: "M.P. 2024 poz. 716",
               2026: "M.P. 2025 poz. 726"}
    for year, caps in data.RATE_CAPS.items():
        for category, cap in caps.items():
            RateCap.objects.get_or_create(year=year, category=category,
                                          defaults={"cap": cap, "source": sources[year]})
    for year, threshold in data.MINIMUM_THRESHOLD.items():
        YearlyParameters.objects.get_or_create(year=year, defaults={
            "minimum_threshold": threshold,
            "rye_price_per_dt": data.RYE_PRICE_PER_DT.get(year),
            "timber_price_per_m3": data.TIMBER_PRICE_PER_M3.get(year),
            "note": data.MINIMUM_THRESHOLD_NOTE,
        })
    for district, ofu, soil_class, factor in data.CONVERSION_FACTORS:
        ConversionFactor.objects.get_or_create(district=district, ofu=ofu, soil_class=soil_class,
                                               defaults={"factor": factor})


class Migration(migrations.Migration):
    dependencies = [("taxes", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
