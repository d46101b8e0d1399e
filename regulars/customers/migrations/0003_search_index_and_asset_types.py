"""A trigram index for the one search box (PostgreSQL only) and the two asset types every business gets."""

from django.db import migrations

VEHICLE_FIELDS = [
    {"key": "make", "label": "Make", "label_ru": "Марка", "type": "text", "required": True},
    {"key": "model", "label": "Model", "label_ru": "Модель", "type": "text", "required": True},
    {"key": "year", "label": "Year", "label_ru": "Год", "type": "integer", "min": 1900, "max": 2100},
    {"key": "vin", "label": "VIN", "label_ru": "VIN", "type": "vin"},
    {"key": "plate", "label": "Plate", "label_ru": "Госномер", "type": "plate"},
    {"key": "mileage", "label": "Mileage, km", "label_ru": "Пробег, км", "type": "integer", "min": 0, "max": 5000000},
]
EYE = [("sph", "Sphere", "Сфера", -30, 30), ("cyl", "Cylinder", "Цилиндр", -10, 10),
       ("axis", "Axis", "Ось", 0, 180), ("add", "Add", "Аддидация", 0, 4)]
PRESCRIPTION_FIELDS = [
    {"key": f"{eye}_{key}", "label": f"{eye.upper()} {label}", "label_ru": f"{eye.upper()} {label_ru}",
     "type": "integer" if key == "axis" else "decimal", "min": lo, "max": hi, "step": "1" if key == "axis" else "0.25"}
    for eye in ("od", "os") for key, label, label_ru, lo, hi in EYE
] + [
    {"key": "pd", "label": "PD, mm", "label_ru": "Межзрачковое расстояние, мм", "type": "decimal", "min": 40, "max": 80,
     "step": "0.5"},
    {"key": "date", "label": "Examined on", "label_ru": "Дата осмотра", "type": "date"},
    {"key": "doctor", "label": "Doctor", "label_ru": "Врач", "type": "text"},
]


def add_asset_types(apps, schema_editor):
    AssetType = apps.get_model("customers", "AssetType")
    AssetType.objects.get_or_create(
        key="vehicle",
        defaults={"name": "Автомобиль", "fields": VEHICLE_FIELDS, "title_fields": ["make", "model", "year", "plate"]},
    )
    AssetType.objects.get_or_create(
        key="eyeglass_prescription",
        defaults={"name": "Рецепт на очки", "fields": PRESCRIPTION_FIELDS, "title_fields": ["date", "doctor"]},
    )


def trigram_up(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS customer_search_trgm ON customers_customer USING gin (search_text gin_trgm_ops)"
    )


def trigram_down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS customer_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_initial")]

    operations = [
        migrations.RunPython(trigram_up, trigram_down),
        migrations.RunPython(add_asset_types, migrations.RunPython.noop),
    ]
