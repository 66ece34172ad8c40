"""Run the Jira imitation as a process for the dev stack.

    python -m tests.jira_server --port 8089 \
        --webhook-url http://127.0.0.1:8000/v1/webhooks/jira --webhook-secret S

Credentials: Basic escalator-bot@example.com:jira-api-token (or --email/--api-token), Bearer PAT
jira-personal-access-token (or --pat). Steer it over HTTP under /_test/ (see admin_api.py).
"""

from __future__ import annotations

import argparse
import sys

from tests.jira_server.auth import BOT, DEFAULT_API_TOKEN, DEFAULT_PAT, Credentials
from tests.jira_server.server import LOOPBACK, JiraServer


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.jira_server", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--host", default=LOOPBACK, help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--webhook-url", default=None, help="where to POST signed webhooks")
    parser.add_argument("--webhook-secret", default=None, help="HMAC secret for X-Hub-Signature")
    parser.add_argument("--email", default=BOT.email, help="Basic-auth e-mail of the bot account")
    parser.add_argument("--api-token", default=DEFAULT_API_TOKEN, help="Basic-auth API token of the bot")
    parser.add_argument("--pat", default=DEFAULT_PAT, help="Bearer Personal Access Token of the bot")
    parser.add_argument("--search-lag", type=float, default=0.0, help="seconds until new issues are found")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    credentials = Credentials()
    _, bot = credentials.basic.pop(BOT.email)
    credentials.basic[args.email] = (args.api_token, bot)
    credentials.pats = {args.pat: bot}
    server = JiraServer(
        port=args.port,
        host=args.host,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        credentials=credentials,
    )
    server.search_lag = args.search_lag
    print(f"Jira imitation on {server.base_url} (webhooks → {args.webhook_url or 'nowhere'})", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
