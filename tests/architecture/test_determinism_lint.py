"""The lint rule that keeps wall clocks, randomness and the environment out of deterministic code.

Workflow code replays; `domain/` is what it runs. ruff's banned-API rule (pyproject.toml, TID251)
refuses those calls there and only there: the test checks both sides with ruff itself. The same rule
keeps `zoneinfo.ZoneInfo` out (it reads the host's zone files): zones are built from the pinned
tzdata package by `domain.time_zones.zone`, the one module allowed to import it.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLANTED = "from datetime import datetime\nimport random\n\nnow = datetime.now()\nroll = random.random()\n"
HOST_ZONES = (
    'from zoneinfo import ZoneInfo\n\nSP = ZoneInfo("America/Sao_Paulo")\n',
    'import zoneinfo\n\nSP = zoneinfo.ZoneInfo("America/Sao_Paulo")\n',
    'from zoneinfo import ZoneInfo as Z\n\nSP = Z.no_cache("America/Sao_Paulo")\n',
)
ZONES_MODULE = "domain/time_zones.py"


def banned_findings(as_path: str, source: str = PLANTED) -> int:
    """How many TID251 findings ruff reports for `source` (PLANTED) if it lived at `as_path`."""
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"
    result = subprocess.run(
        [ruff, "check", "--select", "TID251", "--output-format", "concise", "--stdin-filename", as_path, "-"],
        input=source,
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


def test_domain_and_workflows_may_not_build_zones_from_the_hosts_files() -> None:
    for source in HOST_ZONES:
        assert banned_findings("domain/planted.py", source) == 1, source
        assert banned_findings("workflows/planted.py", source) == 1, source
        assert banned_findings("services/planted.py", source) == 0, source


def zone_constructions(path: Path) -> list[str]:
    """`ZoneInfo(...)` / `ZoneInfo.no_cache(...)` calls in a file, however zoneinfo was imported."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names = {"zoneinfo.ZoneInfo"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "zoneinfo":
            names.update(a.asname or a.name for a in node.names if a.name == "ZoneInfo")
        elif isinstance(node, ast.Import):
            names.update(f"{a.asname or a.name}.ZoneInfo" for a in node.names if a.name == "zoneinfo")
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            called = ast.unparse(node.func)
            if called in names or called in {f"{name}.no_cache" for name in names}:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {called}(...)")
    return found


def test_no_zone_in_domain_or_workflows_is_built_from_the_hosts_files() -> None:
    """The ruff rule can be silenced line by line (`noqa`); this scan of the real files cannot."""
    found = [
        line
        for package in ("domain", "workflows")
        for path in sorted((ROOT / package).rglob("*.py"))
        for line in zone_constructions(path)
    ]
    assert found == []
    assert zone_constructions(ROOT / ZONES_MODULE) == []  # it uses ZoneInfo.from_file on tzdata's files
