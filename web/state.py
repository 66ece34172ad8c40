"""What pages need from the running app: its database engine and settings, reached through app state.

The API has its own accessors (api/deps.py); pages do not import the API, so these few lines are theirs.
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.settings import Settings
from integrations.mail.smtp import MailSettings
from web.settings import WebSettings


def engine_of(request: Request) -> AsyncEngine:
    engine: AsyncEngine = request.app.state.engine
    return engine


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def web_settings_of(request: Request) -> WebSettings:
    web_settings: WebSettings = request.app.state.web_settings
    return web_settings


def mail_settings_of(request: Request) -> MailSettings:
    mail_settings: MailSettings = request.app.state.mail_settings
    return mail_settings
