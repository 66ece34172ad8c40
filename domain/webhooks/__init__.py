"""Outgoing webhooks: which ticket events are published, how deliveries are signed and retried."""
