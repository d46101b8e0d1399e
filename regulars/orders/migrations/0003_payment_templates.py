"""The shipped texts of payment links (PRODUCT C7.3): "order-payment-link" (the link itself) and "order-paid" (the
payment arrived), one template per channel, purpose service. A business edits them like any other template."""

from django.db import migrations
from django.utils import timezone

CHANNELS = ("sms", "telegram", "whatsapp", "vk", "email")

TEMPLATES = {
    "order-payment-link": (
        "Заказ: ссылка на оплату",
        "Заказ {{ order.number }} на сумму {{ order.total }}. Оплатить: {{ order.payment_url }}",
        "Оплата заказа {{ order.number }}",
    ),
    "order-paid": (
        "Заказ: оплата получена",
        "Оплата заказа {{ order.number }} на сумму {{ order.total }} получена. Спасибо!",
        "Заказ {{ order.number }} оплачен",
    ),
}


def install(apps, schema_editor):
    Template = apps.get_model("messaging", "Template")
    TemplateVersion = apps.get_model("messaging", "TemplateVersion")
    now = timezone.now()
    for key, (name, body, subject) in TEMPLATES.items():
        for channel in CHANNELS:
            row, created = Template.objects.get_or_create(
                key=key, channel=channel, category="",
                defaults={"name": name, "purpose": "service", "subject": subject if channel == "email" else "",
                          "body": body, "version": 1, "updated_at": now})
            if created:
                TemplateVersion.objects.create(template=row, version=1, subject=row.subject, body=body,
                                               created_at=now, created_by_label="system")


def remove(apps, schema_editor):
    apps.get_model("messaging", "Template").objects.filter(key__in=list(TEMPLATES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0002_shipped_flows"),
        ("messaging", "0003_fallback_after"),
    ]

    operations = [migrations.RunPython(install, remove)]
