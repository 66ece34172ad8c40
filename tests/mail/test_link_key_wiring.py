"""`make dev` makes the link-signing key once, privately, and hands the same one to every process."""

from __future__ import annotations

import stat
from pathlib import Path

from entrypoints.devstack import link_signing_key


def test_the_dev_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    first = link_signing_key(tmp_path)
    assert len(first) >= 32
    assert link_signing_key(tmp_path) == first, "a restart keeps the key, so links already sent still open"
    assert stat.S_IMODE((tmp_path / "link-signing-key").stat().st_mode) == 0o600
    other = tmp_path / "other"
    other.mkdir()
    assert link_signing_key(other) != first, "random per checkout, never a constant in the repository"
