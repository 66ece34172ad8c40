"""The edges: clients and servers that talk to systems outside Escalator (JIRA, SMTP)."""
