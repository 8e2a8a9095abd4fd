"""Servers the preview-URL tests run inside a sandbox (only the standard library is there).

`python3 -c "$(cat preview_servers.py)" HTTP_PORT WS_PORT`: on HTTP_PORT an echo server that answers
every request with its method, target, headers and the SHA-256 and size of its body (as JSON); on
WS_PORT a WebSocket echo server (RFC 6455, handshake and frames written here), which sends every
text or binary message back (`handshake?` gets the handshake's request head) and answers a close
with a close.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import struct
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        digest, size = hashlib.sha256(), 0
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            while (length := int(self.rfile.readline().split(b";")[0], 16)) > 0:
                chunk = self.rfile.read(length)
                digest.update(chunk)
                size += len(chunk)
                self.rfile.readline()
            self.rfile.readline()
        else:
            chunk = self.rfile.read(int(self.headers.get("content-length") or 0))
            digest.update(chunk)
            size = len(chunk)
        body = json.dumps(
            {
                "method": self.command,
                "target": self.path,
                "headers": [[k.lower(), v] for k, v in self.headers.items()],
                "body_sha256": digest.hexdigest(),
                "body_bytes": size,
            }
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.send_header("set-cookie", "app=1; Path=/")
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, *args: object) -> None:
        pass


async def _ws(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    key = next(
        line.split(b":", 1)[1].strip()
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"sec-websocket-key:")
    )
    accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
    writer.write(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
    )
    while True:
        first, second = await reader.readexactly(2)
        opcode, length = first & 0x0F, second & 0x7F
        if length == 126:
            (length,) = struct.unpack(">H", await reader.readexactly(2))
        elif length == 127:
            (length,) = struct.unpack(">Q", await reader.readexactly(8))
        mask = await reader.readexactly(4) if second & 0x80 else b"\0\0\0\0"
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(await reader.readexactly(length)))
        if opcode == 9:
            opcode = 10
        elif opcode == 1 and data == b"handshake?":
            data, length = head, len(head)  # the request head as the server got it
        if length < 126:
            header = bytes([0x80 | opcode, length])
        elif length < 65536:
            header = bytes([0x80 | opcode, 126]) + struct.pack(">H", length)
        else:
            header = bytes([0x80 | opcode, 127]) + struct.pack(">Q", length)
        writer.write(header + data)
        await writer.drain()
        if opcode == 8:
            writer.close()
            return


async def _main(http_port: int, ws_port: int) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", http_port), Echo)
    Thread(target=server.serve_forever, daemon=True).start()
    ws = await asyncio.start_server(_ws, "127.0.0.1", ws_port)
    async with ws:
        await ws.serve_forever()


if __name__ == "__main__":
    asyncio.run(_main(int(sys.argv[1]), int(sys.argv[2])))
