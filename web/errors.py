"""What pages raise when they cannot go on: not signed in, a forged form, not allowed here.

web/error_pages.py turns each into a page in the visitor's language; API routes are unaffected
because these exceptions are the pages' own.
"""

from __future__ import annotations


class SignInRequired(Exception):
    """The page needs a signed-in person; they are sent to sign in and brought back to `next_path`."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CsrfRefused(Exception):
    """A state-changing request without this visitor's CSRF token: answered 403, nothing changed."""


class PageForbidden(Exception):
    """The signed-in person may not use this page (e.g. staff on the customer portal)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
