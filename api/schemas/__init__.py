"""Request and response bodies of the HTTP API, one module per entity (the OpenAPI document
comes from these)."""
