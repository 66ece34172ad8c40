"""SLA compliance over a period: per-ticket outcomes replayed from timeline events, then grouped."""
