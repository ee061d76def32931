"""Who hears of what beyond Slack: PagerDuty pages, e-mails and signed outbound web hooks.

Each is an event subscriber (`bot.services.events`): it reads the item and incident events of a unit of work
and queues deliveries (`bot.services.outbox.deliver`) in the same transaction, one per event and recipient,
each with an idempotency key that is stable for that event and recipient. The destinations' senders
(`bot.pagerduty`, `bot.email`, `bot.webhooks`) send them. Reports (the digest, the weekly report) are
published as events of subject ``report`` by the jobs that post them in Slack.
"""

REPORT = "report"  # the subject of the digest and weekly report events (bot.services.reports)
