"""Delivering the outbox: gateways (SMTP, webhooks) and the dispatcher that retries them.

See ``docs/operation.md`` ("Notifications") and ``docs/architecture.md`` ("Notifications leave through
an outbox").
"""
