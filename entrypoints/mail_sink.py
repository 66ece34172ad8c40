"""A local SMTP server that keeps every message it receives, for `make dev` and tests.

Nothing is delivered anywhere: each message is written to `<dir>/<UTC time>-<n>.eml` (names sort by
arrival; open them with any mail client) and kept, parsed, in `MailSink.messages`. The envelope is
recorded in `X-MailFrom` / `X-RcptTo` headers on top, so Bcc-like recipients are visible too.

    python -m entrypoints.mail_sink --port 1025 --dir .data/mail

    with MailSink(directory=tmp_path) as sink:   # port 0: a free port, see sink.port
        ...send to 127.0.0.1:sink.port...
        assert sink.messages[0]["Subject"] == "[#1] Hello"
"""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import socket
import threading
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from types import FrameType, TracebackType

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from domain.mail_threading import parse_message

DEFAULT_DIR = Path(".data/mail")
DEFAULT_PORT = 1025
LOOPBACK = "127.0.0.1"


def free_loopback_port() -> int:
    """A port nothing listens on right now, so that parallel test sessions do not collide."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def eml_name(at: datetime, number: int) -> str:
    """`20261122T153012.123456-000001.eml`: UTC time first so that a plain `ls` shows arrival order."""
    return f"{at.astimezone(UTC):%Y%m%dT%H%M%S.%f}-{number:06d}.eml"


def with_envelope(content: bytes, mail_from: str, rcpt_tos: list[str]) -> bytes:
    """The message with its envelope sender and recipients as the first headers."""
    newline = b"\r\n" if b"\r\n" in content else b"\n"
    envelope = f"X-MailFrom: {mail_from}".encode() + newline
    envelope += f"X-RcptTo: {', '.join(rcpt_tos)}".encode() + newline
    return envelope + content


class _SinkHandler:
    """aiosmtpd handler: every accepted DATA becomes a file and a parsed message."""

    def __init__(self, sink: MailSink) -> None:
        self._sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode("utf-8", errors="surrogateescape")
        data = with_envelope(content, envelope.mail_from or "", list(envelope.rcpt_tos))
        self._sink.keep(data)
        return "250 2.0.0 OK: kept"


class MailSink:
    """The SMTP sink; a context manager that starts it on enter and stops it on exit."""

    def __init__(self, directory: Path | str = DEFAULT_DIR, host: str = LOOPBACK, port: int = 0) -> None:
        self.directory = Path(directory)
        self.host = host
        self.port = port or free_loopback_port()
        self.messages: list[EmailMessage] = []
        self.files: list[Path] = []
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> MailSink:
        """Listen on host:port; returns once the server accepts connections."""
        self.directory.mkdir(parents=True, exist_ok=True)
        controller = Controller(
            _SinkHandler(self),
            hostname=self.host,
            port=self.port,
            server_hostname="mail-sink.localhost",  # without one aiosmtpd asks DNS for our own name
            enable_SMTPUTF8=True,
        )
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        """Stop listening; messages and files stay."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def keep(self, data: bytes) -> Path:
        """Write one message (atomically: readers never see half a file) and remember it parsed."""
        with self._lock:
            path = self.directory / eml_name(datetime.now(UTC), next(self._numbers))
            partial = path.with_name(f".{path.name}.partial")
            partial.write_bytes(data)
            os.replace(partial, path)
            self.files.append(path)
            self.messages.append(parse_message(data))
        return path

    def clear(self) -> None:
        """Forget the messages received so far (files stay on disk)."""
        with self._lock:
            self.messages.clear()
            self.files.clear()


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m entrypoints.mail_sink", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--host", default=LOOPBACK, help="address to listen on (default %(default)s)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="SMTP port (default %(default)s)")
    parser.add_argument(
        "--dir", type=Path, default=DEFAULT_DIR, help="where .eml files go (default %(default)s)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run the sink until Ctrl-C or SIGTERM, printing one line per message."""
    args = _arguments(argv)
    stopping = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    sink = _PrintingSink(args.dir, args.host, args.port).start()
    print(f"mail sink on smtp://{sink.host}:{sink.port}, writing to {sink.directory}/", flush=True)
    try:
        stopping.wait()
    finally:
        sink.stop()


class _PrintingSink(MailSink):
    def keep(self, data: bytes) -> Path:
        path = super().keep(data)
        message = self.messages[-1]
        print(f"{path.name}: {message['To']} | {message['Subject']}", flush=True)
        return path


if __name__ == "__main__":
    main()
