"""Process entry points: worker, mailer, inbound mail, the `make dev` launcher and the worker registry."""
