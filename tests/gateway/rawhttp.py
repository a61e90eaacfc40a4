"""HTTP/1.1 over a plain socket, for what client libraries would not send or would hide.

Request targets go out byte for byte (no dot-segment resolution, no re-encoding), and
one :class:`RawConnection` sends several requests on the same keep-alive connection,
so a test can see whether the server closed it after an answer.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass


@dataclass
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes


class RawConnection:
    """One TCP connection to ``127.0.0.1:port``; requests go out exactly as given."""

    def __init__(self, port: int, timeout_s: float = 10.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
        self.buffer = b""

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        target: bytes | str,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> RawAnswer:
        raw_target = target.encode() if isinstance(target, str) else target
        lines = [method.encode() + b" " + raw_target + b" HTTP/1.1", b"Host: gateway"]
        all_headers = dict(headers or {})
        if body or method in ("POST", "PUT", "PATCH"):
            all_headers.setdefault("Content-Length", str(len(body)))
        lines += [f"{name}: {value}".encode() for name, value in all_headers.items()]
        self.sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        return self._answer(method)

    def is_open(self) -> bool:
        """False when the server has closed the connection (a read returns end of stream)."""
        self.sock.setblocking(False)
        try:
            return self.sock.recv(1, socket.MSG_PEEK) != b""
        except BlockingIOError:
            return True  # nothing to read, not closed
        except OSError:
            return False
        finally:
            self.sock.setblocking(True)

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self.buffer += chunk
        head, self.buffer = self.buffer.split(marker, 1)
        return head

    def _read_exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self.buffer += chunk
        out, self.buffer = self.buffer[:size], self.buffer[size:]
        return out

    def _answer(self, method: str) -> RawAnswer:
        head = self._read_until(b"\r\n\r\n").decode("latin-1")
        status_line, *header_lines = head.split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if method == "HEAD" or status in (204, 304):
            return RawAnswer(status, headers, b"")
        if headers.get("transfer-encoding") == "chunked":
            body = b""
            while True:
                size = int(self._read_until(b"\r\n"), 16)
                if size == 0:
                    self._read_until(b"\r\n")
                    break
                body += self._read_exactly(size)
                self._read_until(b"\r\n")
            return RawAnswer(status, headers, body)
        return RawAnswer(status, headers, self._read_exactly(int(headers.get("content-length", 0))))
