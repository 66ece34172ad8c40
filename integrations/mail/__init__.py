"""E-mail: templates, composing notifications, the outbox deliverer, SMTP sending and the inbound server."""
