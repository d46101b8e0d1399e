"""The flows Regulars ships: an e-shop's parcel, a car in the workshop, glasses being made.

Each step: (code, name, rank, pickup outcome, notify, delay minutes, send within minutes). Notifying steps get a
template per channel (key `order-<flow>-<code>`), which the business edits like any other template. The texts
are Russian, the language of the businesses the product is made for; every one is editable in the UI.
"""

from __future__ import annotations

from typing import NamedTuple


class Step(NamedTuple):
    code: str
    name: str
    rank: int
    outcome: str = ""
    notify: bool = False
    delay_minutes: int = 0
    send_within_minutes: int | None = None


class Reminder(NamedTuple):
    status: str
    after_days: int
    is_last: bool


FLOWS: dict[str, tuple[str, list[Step]]] = {
    "eshop": ("Интернет-магазин", [
        Step("new", "Новый", 10, notify=True, send_within_minutes=24 * 60),
        Step("confirmed", "Подтверждён", 20, notify=True, send_within_minutes=24 * 60),
        Step("assembled", "Собран", 30),
        Step("handed_to_courier", "Передан курьеру", 40, notify=True, send_within_minutes=12 * 60),
        Step("delivered", "Доставлен в пункт выдачи", 50, notify=True),
        Step("picked_up", "Получен", 60, outcome="picked_up", notify=True, delay_minutes=120),
        Step("not_picked_up", "Не забран", 60, outcome="not_picked_up"),
        Step("returned", "Возвращён", 70),
        Step("cancelled", "Отменён", 90, notify=True, send_within_minutes=24 * 60),
    ]),
    "service": ("Автосервис", [
        Step("booked", "Записан", 10, notify=True, send_within_minutes=24 * 60),
        Step("in_repair", "В ремонте", 20),
        Step("ready", "Готов", 30, notify=True),
        Step("issued", "Выдан", 40, outcome="picked_up", notify=True, delay_minutes=120),
        Step("cancelled", "Отменён", 90),
    ]),
    "optics": ("Оптика", [
        Step("ordered", "Заказан", 10, notify=True, send_within_minutes=24 * 60),
        Step("in_production", "В производстве", 20),
        Step("ready_for_pickup", "Готов к выдаче", 30, notify=True),
        Step("issued", "Выдан", 40, outcome="picked_up", notify=True, delay_minutes=24 * 60),
        Step("not_picked_up", "Не забран", 40, outcome="not_picked_up"),
        Step("cancelled", "Отменён", 90),
    ]),
}
DEFAULT_FLOW = "eshop"

# A parcel waits 7 days at the pickup point: reminders on day 3 and on day 6, the last before it goes back.
REMINDERS: dict[str, list[Reminder]] = {
    "eshop": [Reminder("delivered", 3, False), Reminder("delivered", 6, True)],
    "optics": [Reminder("ready_for_pickup", 7, False), Reminder("ready_for_pickup", 14, True)],
}

_THANKS = ("Спасибо, что выбрали нас, {{ customer.first_name }}!"
           "{% if order.review_url %} Оцените нас, пожалуйста: {{ order.review_url }}{% endif %}")
TEXTS: dict[tuple[str, str], str] = {
    ("eshop", "new"): "Заказ {{ order.number }} принят, сумма {{ order.total }}. Мы сообщим, когда он будет в пути."
                      "{% if order.payment_url %} Оплатить: {{ order.payment_url }}{% endif %}",
    ("eshop", "confirmed"): "Заказ {{ order.number }} подтверждён и собирается.",
    ("eshop", "handed_to_courier"): "Заказ {{ order.number }} передан в доставку."
                                    "{% if order.courier_phone %} Курьер {{ order.courier_name }}, "
                                    "тел. {{ order.courier_phone }}.{% endif %}"
                                    "{% if order.tracking_number %} Трек-номер {{ order.tracking_number }}."
                                    "{% endif %}",
    ("eshop", "delivered"): "Заказ {{ order.number }} ждёт вас{% if order.pickup_point %} в пункте выдачи: "
                            "{{ order.pickup_point }}{% endif %}.",
    ("eshop", "picked_up"): _THANKS,
    ("eshop", "cancelled"): "Заказ {{ order.number }} отменён. Если это ошибка — позвоните нам: {{ branch.phone }}.",
    ("service", "booked"): "Вы записаны в {{ branch.name }}. Заказ-наряд {{ order.number }}.",
    ("service", "ready"): "Автомобиль готов, можно забирать: {{ branch.address }}. К оплате {{ order.total }}.",
    ("service", "issued"): _THANKS,
    ("optics", "ordered"): "Заказ {{ order.number }} принят в работу, мы сообщим, когда очки будут готовы.",
    ("optics", "ready_for_pickup"): "Ваши очки готовы! Ждём вас: {{ branch.address }}.",
    ("optics", "issued"): _THANKS,
}
REMINDER_TEXTS: dict[tuple[str, bool], str] = {
    ("eshop", False): "Напоминаем: заказ {{ order.number }} ждёт вас{% if order.pickup_point %} в пункте выдачи: "
                      "{{ order.pickup_point }}{% endif %}.",
    ("eshop", True): "Последний день: заказ {{ order.number }} хранится до {{ order.keep_until }}, потом он уедет "
                     "обратно. Успейте забрать!",
    ("optics", False): "Напоминаем: ваши очки готовы и ждут вас: {{ branch.address }}.",
    ("optics", True): "Ваши очки всё ещё ждут вас: {{ branch.address }}. Заберите их, пожалуйста.",
}
CHANNELS = ("sms", "telegram", "whatsapp", "vk", "email")


def template_key(flow: str, code: str) -> str:
    return f"order-{flow}-{code}"


def reminder_key(flow: str, status: str, is_last: bool) -> str:
    return f"order-{flow}-{status}-{'last-reminder' if is_last else 'reminder'}"
