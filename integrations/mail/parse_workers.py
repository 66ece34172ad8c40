"""Inbound mail is parsed in worker processes with a time limit, never on the server's event loop.

Parsing is CPU work on untrusted bytes. On the event loop it would stall every other SMTP session
(and the callback's Temporal and database calls); in a thread it would still hold the GIL half the
time and could not be stopped. A process can be killed: a parse that overruns `timeout` kills its
worker, a fresh one takes its place, and the caller gets `ParseTimeout` (the server answers 451, so
a legitimate sender caught by a slow moment retries; a hostile one costs one time limit per retry).

Workers are started with `spawn` (not `fork`: the server process runs Temporal's and the database's
threads) and import only `integrations.mail.inbound_message`, the stdlib and `domain`.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from integrations.mail.inbound_limits import MailLimits, MailRefused
from integrations.mail.inbound_message import InboundMail, parse_inbound

WORKER_MEMORY_BYTES = 1024 * 1024 * 1024  # address space of one worker: room for a 5 MB mail, not a bomb


class ParseTimeout(Exception):
    """The message was not parsed within the time limit; its worker was killed."""


class ParseFailed(Exception):
    """The parser raised or its worker died: a bug or a resource limit, not the sender's fault (yet)."""


@dataclass(frozen=True)
class ParseConfig:
    """What every parse needs besides the message: our domain, the limits, the trusted relay."""

    domain: str
    limits: MailLimits
    trusted_authserv_id: str | None = None


class _Worker:
    """One parsing process and the pipe to it; used by one parse at a time."""

    def __init__(self, config: ParseConfig) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        self.process: BaseProcess = context.Process(target=_serve, args=(child, config), daemon=True)
        self.process.start()
        child.close()

    def parse(self, data: bytes, mail_from: str, recipients: list[str], timeout: float) -> InboundMail:
        """Blocking: hand the message over and wait up to `timeout` seconds for the result."""
        try:
            self.connection.send((data, mail_from, recipients))
            if not self.connection.poll(timeout):
                raise ParseTimeout(f"no result within {timeout} s")
            kind, value = self.connection.recv()
        except (EOFError, OSError) as exc:
            raise ParseFailed(f"parsing worker died: {exc!r}") from exc
        if kind == "refused":
            raise MailRefused(value)
        if kind == "failed":
            raise ParseFailed(value)
        assert isinstance(value, InboundMail)
        return value

    def kill(self) -> None:
        self.connection.close()
        self.process.kill()
        self.process.join(5)


class ParseWorkers:
    """`count` parsing processes; `parse` waits for a free one. Start with `start`, end with `stop`."""

    def __init__(self, config: ParseConfig, count: int, timeout: float) -> None:
        self._config = config
        self._count = max(1, count)
        self._timeout = timeout
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._all: list[_Worker] = []
        self._stopped = False

    async def start(self) -> None:
        started = await asyncio.gather(
            *(asyncio.to_thread(_Worker, self._config) for _ in range(self._count))
        )
        for worker in started:
            self._all.append(worker)
            self._idle.put_nowait(worker)

    async def parse(self, data: bytes, mail_from: str, recipients: list[str]) -> InboundMail:
        """The parsed mail (without `raw`); raises MailRefused, ParseTimeout or ParseFailed.

        The worker returns to the pool only when its thread is done, even if the SMTP session that
        asked was dropped meanwhile (a cancelled wait must not hand a busy pipe to the next message).
        """
        worker = await self._idle.get()
        job = asyncio.ensure_future(asyncio.to_thread(self._run, worker, data, mail_from, recipients))
        job.add_done_callback(lambda done: self._idle.put_nowait(done.result()[0]))
        _, outcome = await asyncio.shield(job)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def _run(
        self, worker: _Worker, data: bytes, mail_from: str, recipients: list[str]
    ) -> tuple[_Worker, InboundMail | Exception]:
        """In a thread: the worker to put back (a fresh one if this one overran or died) and the outcome."""
        try:
            return worker, worker.parse(data, mail_from, recipients, self._timeout)
        except MailRefused as exc:
            return worker, exc
        except (ParseTimeout, ParseFailed) as exc:
            return self._replace(worker), exc

    def _replace(self, worker: _Worker) -> _Worker:
        worker.kill()
        if self._stopped:
            return worker
        try:
            fresh = _Worker(self._config)
        except OSError:
            return worker  # dead: the next parse fails and tries again to replace it
        self._all = [fresh if each is worker else each for each in self._all]
        return fresh

    async def stop(self) -> None:
        self._stopped = True
        workers, self._all = self._all, []
        await asyncio.gather(*(asyncio.to_thread(worker.kill) for worker in workers))


def _serve(connection: Connection, config: ParseConfig) -> None:
    """The worker process: parse each message received until the pipe closes."""
    resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))
    while True:
        try:
            data, mail_from, recipients = connection.recv()
        except (EOFError, OSError):
            return
        connection.send(_parse_one(data, mail_from, recipients, config))


def _parse_one(data: bytes, mail_from: str, recipients: list[str], config: ParseConfig) -> tuple[str, Any]:
    try:
        mail = parse_inbound(
            data, mail_from, recipients, config.domain, config.limits, config.trusted_authserv_id
        )
    except MailRefused as exc:
        return "refused", str(exc)
    except Exception as exc:  # reported to the server, which answers 451
        return "failed", f"{type(exc).__name__}: {exc}"
    mail.raw = b""  # the server has the bytes already; do not send them back
    return "ok", mail
