#!/usr/bin/env python3
"""A pod of the netns cluster: answers every HTTP request with "<pod name> <client address>".

Usage: pod-server.py ADDRESS PORT NAME
The client address is the one the pod sees, so callers can tell whether a node masqueraded.
"""
import http.server
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        body = ("%s %s\n" % (self.server.pod_name, self.client_address[0])).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


def main():
    address, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    server = http.server.ThreadingHTTPServer((address, port), Handler)
    server.pod_name = name
    print("pod %s serving on %s:%d" % (name, address, port), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
