"""People's workspaces: server-rendered pages (Jinja2 + htmx) in the API's own FastAPI app.

`web.mount.mount_web(app)` adds them; see web/README.md for how pages are written.
"""
