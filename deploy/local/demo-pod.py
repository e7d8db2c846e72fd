#!/usr/bin/env python3
"""A demo "pod" of the local cluster: an HTTP server on ADDRESS:PORT that answers every GET with
its name, so that a curl through a ClusterIP or NodePort shows which pod answered.

    demo-pod.py --name hello-1 --address 127.244.0.11 --port 8080

Stops on SIGTERM. Standard library only."""
import argparse
import http.server
import signal
import sys


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--name", required=True, help="the pod's name, the body of every answer")
    p.add_argument("--address", required=True, help="address to listen on, e.g. 127.244.0.11")
    p.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    p.add_argument("--component", help="ignored: lets bin/svcplane recognise its own process")
    args = p.parse_args()
    body = (args.name + "\n").encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *a):
            pass  # one line per request would only fill the log

    server = http.server.ThreadingHTTPServer((args.address, args.port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"demo pod {args.name} serving on {args.address}:{args.port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
