"""A local, JIRA-compatible HTTP server for tests and the dev stack (see server.py and admin_api.py)."""

from tests.jira_server.auth import BOT, DEVELOPER, Credentials
from tests.jira_server.contract import ContractViolation
from tests.jira_server.faults import Fault, FaultKind
from tests.jira_server.server import JiraServer
from tests.jira_server.webhooks import Delivery, WebhookDispatch

__all__ = [
    "BOT",
    "DEVELOPER",
    "ContractViolation",
    "Credentials",
    "Delivery",
    "Fault",
    "FaultKind",
    "JiraServer",
    "WebhookDispatch",
]
