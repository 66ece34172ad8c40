"""Adding the pages to the FastAPI app: routes, static files, error pages and their settings.

Called by the app factory (api/app.py), the one place where the API and the pages meet.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from integrations.mail.smtp import MailSettings
from web.error_pages import install_error_pages
from web.links import PORTAL, STATIC
from web.routes import router
from web.settings import WebSettings
from web.uploads import MAX_FORM_BYTES

STATIC_DIR = Path(__file__).with_name("static")
# Request body caps of the pages, for the app's body limit: a form may carry five files of 500 KB.
PAGE_BODY_LIMITS = {f"{PORTAL}/": MAX_FORM_BYTES}


def mount_web(app: FastAPI) -> None:
    """Serve the portal on `app`; tests may replace `app.state.mail_settings` / `web_settings` after."""
    if not hasattr(app.state, "web_settings"):
        app.state.web_settings = WebSettings()
    if not hasattr(app.state, "mail_settings"):
        app.state.mail_settings = MailSettings()
    app.include_router(router)
    app.mount(STATIC, StaticFiles(directory=STATIC_DIR), name="portal-static")
    install_error_pages(app)
