"""Outgoing webhooks: where deliveries may go, and the loop that sends them."""
