"""Who is calling: Basic `email:api_token` (Jira Cloud) or `Bearer <PAT>` (Data Center), else 401."""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass, field

from tests.jira_server.model import Account

BOT = Account("5b10a2844c20165700ede21g", "Escalator Bot", "escalator-bot@example.com")
DEVELOPER = Account("5b10ac8d82e05b22cc7d4ef5", "Dana Developer", "dana.dev@example.com")
DEFAULT_API_TOKEN = "jira-api-token"
DEFAULT_PAT = "jira-personal-access-token"


@dataclass
class Credentials:
    """Accepted credentials; defaults: the bot with an API token and a PAT, the developer with a token."""

    basic: dict[str, tuple[str, Account]] = field(
        default_factory=lambda: {
            BOT.email: (DEFAULT_API_TOKEN, BOT),
            DEVELOPER.email: ("developer-api-token", DEVELOPER),
        }
    )
    pats: dict[str, Account] = field(default_factory=lambda: {DEFAULT_PAT: BOT})

    def authenticate(self, header: str | None) -> Account | None:
        if not header:
            return None
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() == "basic":
            return self._basic(value.strip())
        if scheme.lower() == "bearer":
            return self._bearer(value.strip())
        return None

    def _basic(self, encoded: str) -> Account | None:
        try:
            email, _, token = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        known = self.basic.get(email)
        if known is None or not hmac.compare_digest(known[0].encode(), token.encode()):
            return None
        return known[1]

    def _bearer(self, token: str) -> Account | None:
        for pat, account in self.pats.items():
            if hmac.compare_digest(pat.encode(), token.encode()):
                return account
        return None

    def account(self, account_id: str) -> Account | None:
        accounts = [account for _, account in self.basic.values()] + list(self.pats.values())
        return next((account for account in accounts if account.account_id == account_id), None)
