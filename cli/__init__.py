"""`escalator`: the staff command line for the Escalator HTTP API (tickets, escalations, admin).

It only speaks HTTP to `/v1`, like any other client, so it works against `make dev`, the compose
stack or production with nothing but a URL and an API key.
"""
