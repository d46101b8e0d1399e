"""The shipped flows (regulars/orders/flows.py), their notification templates and the one policy row."""

from django.db import migrations
from django.utils import timezone

from regulars.orders import flows


def install(apps, schema_editor):
    Flow = apps.get_model("orders", "Flow")
    OrderStatus = apps.get_model("orders", "OrderStatus")
    StatusReminder = apps.get_model("orders", "StatusReminder")
    OrdersPolicy = apps.get_model("orders", "OrdersPolicy")
    Template = apps.get_model("messaging", "Template")
    TemplateVersion = apps.get_model("messaging", "TemplateVersion")
    now = timezone.now()

    def template(key, name, body, subject):
        for channel in flows.CHANNELS:
            row, created = Template.objects.get_or_create(
                key=key, channel=channel, category="",
                defaults={"name": name, "purpose": "service", "subject": subject if channel == "email" else "",
                          "body": body, "version": 1, "updated_at": now})
            if created:
                TemplateVersion.objects.create(template=row, version=1, subject=row.subject, body=body,
                                               created_at=now, created_by_label="system")

    for key, (name, steps) in flows.FLOWS.items():
        flow = Flow.objects.create(key=key, name=name, is_default=key == flows.DEFAULT_FLOW)
        by_code = {}
        for step in steps:
            text = flows.TEXTS.get((key, step.code), "")
            by_code[step.code] = OrderStatus.objects.create(
                flow=flow, code=step.code, name=step.name, rank=step.rank, outcome=step.outcome,
                notify=step.notify and bool(text), template_key=flows.template_key(key, step.code) if text else "",
                delay_minutes=step.delay_minutes, send_within_minutes=step.send_within_minutes)
            if text:
                template(flows.template_key(key, step.code), f"{name}: {step.name}", text,
                         f"Заказ {{{{ order.number }}}}: {step.name.lower()}")
        for reminder in flows.REMINDERS.get(key, []):
            rkey = flows.reminder_key(key, reminder.status, reminder.is_last)
            StatusReminder.objects.create(status=by_code[reminder.status], after_days=reminder.after_days,
                                          template_key=rkey, is_last=reminder.is_last)
            template(rkey, f"{name}: {'последнее напоминание' if reminder.is_last else 'напоминание'}",
                     flows.REMINDER_TEXTS[(key, reminder.is_last)], "Заказ {{ order.number }} ждёт вас")
    OrdersPolicy.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
        ("messaging", "0003_fallback_after"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
