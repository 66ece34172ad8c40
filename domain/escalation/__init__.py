"""An escalation to engineering or product: stages, dev cards, verification, and their rules."""
