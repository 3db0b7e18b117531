"""An HTTP receiver for the webhook tests, on loopback."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """An HTTP server on loopback that records what it is sent and answers
    as ``answer(request_number)`` says: (status, seconds to wait first)."""

    def __init__(self):
        self.requests = []
        self.answer = lambda n: (200, 0)
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    number = len(receiver.requests)
                    receiver.requests.append((dict(self.headers), body))
                status, delay = receiver.answer(number)
                time.sleep(delay)
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", receiver.url + "moved")
                self.end_headers()
                self.wfile.write(b"received " + str(number).encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self):
        return [json.loads(body) for _headers, body in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
