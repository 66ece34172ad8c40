"""`/docs` (Swagger UI) and `/redoc` from files shipped in the `fastapi-offline` wheel, not a CDN.

FastAPI's default pages load their JavaScript and CSS from a CDN and render blank without internet
(docs/ENVIRONMENT: checked in headless Chromium). The package's assets are pinned with the project,
so the docs work on an air-gapped machine and match what was tested.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs-assets"
# ReDoc's bundle shows a "by Redocly" logo from their CDN; images from elsewhere are not loaded, and
# the link is hidden, so the page makes no request off this server.
REDOC_OFFLINE_CSP = "img-src 'self' data:"
REDOC_HIDE_LOGO = '<style>a[href^="https://redocly.com"] { display: none; }</style>'

ASSETS_DIR = Path(fastapi_offline.__file__).with_name("static")


def install_offline_docs(app: FastAPI) -> None:
    """Serve /docs and /redoc with local assets; create the app with `docs_url=None, redoc_url=None`."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
    oauth2_redirect = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} – API docs",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
            oauth2_redirect_url=oauth2_redirect,
        )

    @app.get(oauth2_redirect, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        page = get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} – API reference",
            redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
        html = bytes(page.body).decode().replace("</head>", f"{REDOC_HIDE_LOGO}</head>", 1)
        return HTMLResponse(html, headers={"Content-Security-Policy": REDOC_OFFLINE_CSP})
