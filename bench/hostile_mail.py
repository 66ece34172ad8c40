"""How long the inbound parser takes on each hostile mail of tests/mail/hostile_corpus, next to a normal one.

Times `parse_inbound` (what a worker process runs) in this process, best of 3, and prints one JSON
line per case plus the baseline. Run from the repository root: `.venv/bin/python -m bench.hostile_mail`.
"""

from __future__ import annotations

import json
import os
import time

from integrations.mail.inbound_limits import MailRefused
from integrations.mail.inbound_message import parse_inbound
from tests.mail.hostile_corpus import SENDER, hostile_mails, normal_mail

DOMAIN = "escalator.localhost"


def timed(data: bytes) -> tuple[float, str]:
    """Best of three runs, and what happened ("parsed" or the refusal)."""
    best, outcome = float("inf"), ""
    for _ in range(3):
        started = time.perf_counter()
        try:
            parse_inbound(data, SENDER, ["support@escalator.localhost"], DOMAIN)
            outcome = "parsed"
        except MailRefused as exc:
            outcome = exc.smtp_reply
        best = min(best, time.perf_counter() - started)
    return best, outcome


def main() -> None:
    baseline, _ = timed(normal_mail())
    print(
        json.dumps(
            {"case": "normal mail (baseline)", "bytes": len(normal_mail()), "ms": round(baseline * 1000, 2)}
        )
    )
    worst = 0.0
    for case in hostile_mails():
        seconds, outcome = timed(case.data)
        worst = max(worst, seconds)
        print(
            json.dumps(
                {
                    "case": case.name,
                    "bytes": len(case.data),
                    "ms": round(seconds * 1000, 2),
                    "outcome": outcome,
                }
            )
        )
    load = round(os.getloadavg()[0], 2)  # 2 shared cores: compare cases with the baseline of this run
    print(
        json.dumps({"cases": len(hostile_mails()), "worst_ms": round(worst * 1000, 2), "load_average": load})
    )


if __name__ == "__main__":
    main()
