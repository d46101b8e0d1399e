"""Events this domain reacts to: every event may go out to webhook subscriptions."""

from regulars.platform.events import Consumer

from .outbound import deliveries_for_event, deliveries_for_events

CONSUMERS: list[Consumer] = [
    # Inline: the deliveries and their first jobs commit with the event, so none is lost and none is sent for a
    # change that rolled back. The POSTs themselves are jobs.
    Consumer(name="integrations.webhooks", events=("*",), handler=deliveries_for_event, mode="inline",
             batch=deliveries_for_events),
]
