"""The lint rule that keeps wall clocks, randomness and the environment out of deterministic code.

Workflow code replays; `domain/` is what it runs. ruff's banned-API rule (pyproject.toml, TID251)
refuses those calls there and only there: the test checks both sides with ruff itself.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLANTED = "from datetime import datetime\nimport random\n\nnow = datetime.now()\nroll = random.random()\n"


def banned_findings(as_path: str) -> int:
    """How many TID251 findings ruff reports for PLANTED if it lived at `as_path`."""
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"
    result = subprocess.run(
        [ruff, "check", "--select", "TID251", "--output-format", "concise", "--stdin-filename", as_path, "-"],
        input=PLANTED,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    return sum("TID251" in line for line in result.stdout.splitlines())


def test_domain_and_workflows_may_not_read_the_clock_or_roll_dice() -> None:
    assert banned_findings("domain/planted.py") == 2
    assert banned_findings("workflows/planted.py") == 2


def test_the_rest_of_the_code_may() -> None:
    assert banned_findings("services/planted.py") == 0
