"""The mail tests' real SMTP sink, and the outbox bed (tests/mail/outbox_bed.py) that mails into it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from entrypoints.mail_sink import MailSink
from infra.settings import Settings, link_key
from tests.mail.outbox_bed import Bed, make_bed
from tests.support.ports import free_port


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(directory=tmp_path / "mail", port=free_port()) as running:
        yield running


@pytest_asyncio.fixture
async def bed(engine: AsyncEngine, sink: MailSink, settings: Settings) -> AsyncIterator[Bed]:
    yield await make_bed(engine, sink, link_key(settings))
