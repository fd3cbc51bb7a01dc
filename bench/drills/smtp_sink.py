"""`python -m bench.drills.smtp_sink PORT FILE`: accept every message, append it to FILE.

Each line is JSON: the recipients, the subject and the Message-ID, so a drill can count
how often each message arrived.
"""

from __future__ import annotations

import email
import json
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, path: str):
        self.path = path
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        message = email.message_from_bytes(envelope.content)
        line = json.dumps(
            {"to": list(envelope.rcpt_tos), "subject": message.get("Subject", ""),
             "message_id": message.get("Message-ID", "")}
        )  # fmt: skip
        with self.lock, open(self.path, "a") as f:
            f.write(line + "\n")
        return "250 OK"


def main() -> None:
    port, path = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Sink(path), hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
