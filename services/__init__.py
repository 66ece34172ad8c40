"""What people can do, once for every way in: the API routes, the web pages and inbound mail call these.

Services sit between the workflows and the transports; they never import api/ or web/, and they
raise `services.problems.Problem`, which each transport renders its own way.
"""
