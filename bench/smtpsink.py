"""A local SMTP sink for the e-mail benchmark: accepts every message, keeps only a count. Runs as its own process
(`python -m bench.smtpsink PORT COUNTFILE`) so that it takes no time from the process being measured.

asyncio, one task per connection, answers pipelined commands line by line; the count is written to COUNTFILE on
every 100th message and at the end (SIGTERM)."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path


class Sink:
    def __init__(self, count_file: Path) -> None:
        self.count = 0
        self.count_file = count_file

    def save(self) -> None:
        self.count_file.write_text(str(self.count))

    async def session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 sink ESMTP\r\n")
        in_data = False
        while line := await reader.readline():
            if in_data:
                if line == b".\r\n":
                    in_data = False
                    self.count += 1
                    if self.count % 100 == 0:
                        self.save()
                    writer.write(b"250 OK queued\r\n")
                continue
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                writer.write(b"250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                in_data = True
                writer.write(b"354 go ahead\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:  # MAIL, RCPT, RSET, NOOP
                writer.write(b"250 OK\r\n")
            await writer.drain()
        writer.close()


async def main(port: int, count_file: Path) -> None:
    sink = Sink(count_file)
    sink.save()
    server = await asyncio.start_server(sink.session, "127.0.0.1", port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        await stop.wait()
    sink.save()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), Path(sys.argv[2])))
