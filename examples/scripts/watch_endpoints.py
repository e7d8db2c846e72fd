#!/usr/bin/python3
"""Print one line per change of the endpoint addresses of Services, as it happens.

Lists the Endpoints, prints the addresses each Service has now, then watches from the list's
version. A broken stream (apiserver restarted, connection lost) is resumed from the version of the
last event seen, so no change is missed and none is printed twice; if that version is too old for
the apiserver's window, the script lists again and prints what changed meanwhile.
"""

import argparse
import sys

import svcplane_client as sc

EPILOG = """\
output, one line per change (on stdout):
  TIME SERVICE [added=IP,...] [removed=IP,...]
  TIME is when the change arrived (UTC), SERVICE is NAMESPACE/NAME; an address of a pod that is not
  ready carries "(not-ready)", so a pod turning ready shows as added=IP removed=IP(not-ready).
  The first lines give the addresses each Service already has. Progress and reconnects go to stderr.

exit status:
  0  interrupted (Ctrl-C gives 130)
  2  bad arguments
  3  the apiserver cannot be reached at start, refused the request, or a package is missing

example:
  watch_endpoints.py -n shop
  2026-11-26T09:28:16.123Z shop/web added=10.244.1.5,10.244.2.7
  2026-11-26T09:28:40.051Z shop/web added=10.244.1.9(not-ready)
  2026-11-26T09:28:41.502Z shop/web added=10.244.1.9 removed=10.244.1.9(not-ready)
"""


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="watch_endpoints.py",
        description="Print one line per change of the endpoint addresses of Services, as it happens.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = p.add_mutually_exclusive_group()
    where.add_argument("-n", "--namespace", default=None, help="namespace to watch (default: default)")
    where.add_argument("-A", "--all-namespaces", action="store_true", help="watch every namespace")
    sc.add_server_argument(p)
    args = p.parse_args(argv)
    args.server = sc.resolve_server(p, args)
    args.scope = "" if args.all_namespaces else (args.namespace or "default")
    return args


def addresses(endpoints):
    """The addresses of one Endpoints as display strings: IP, or IP(not-ready)."""
    return sc.ready_ips(endpoints) | {ip + "(not-ready)" for ip in sc.not_ready_ips(endpoints)}


def display_key(address):
    ip, _, suffix = address.partition("(")
    return sc.ip_key(ip) + (suffix,)


class Printer:
    """Keeps the addresses printed so far per Service; prints only differences, so the same change
    is never printed twice, even when the script lists again after a long break."""

    def __init__(self, out):
        self.out = out
        self.known = {}

    def show(self, key, now):
        before = self.known.get(key, set())
        added, removed = now - before, before - now
        if now:
            self.known[key] = now
        else:
            self.known.pop(key, None)
        if not added and not removed:
            return
        parts = [sc.now_utc(), "%s/%s" % key]
        if added:
            parts.append("added=" + ",".join(sorted(added, key=display_key)))
        if removed:
            parts.append("removed=" + ",".join(sorted(removed, key=display_key)))
        print(" ".join(parts), file=self.out, flush=True)


def main(argv=None):
    args = parse_args(argv)
    pb = sc.pb()
    api = sc.connect(args.server)
    printer = Printer(sys.stdout)
    where = "every namespace" if not args.scope else "namespace " + args.scope

    def on_list(items, first):
        seen = set()
        for r in items:
            key = (r.endpoints.metadata.namespace, r.endpoints.metadata.name)
            seen.add(key)
            printer.show(key, addresses(r.endpoints))
        for key in list(printer.known):
            if key not in seen:
                printer.show(key, set())
        if first:
            sc.log("watching the endpoints of %s on %s" % (where, args.server))
        return False

    def on_event(event):
        ep = event.object.endpoints
        key = (ep.metadata.namespace, ep.metadata.name)
        printer.show(key, set() if event.type == pb.events.DELETED else addresses(ep))
        return False

    try:
        sc.Informer(api, pb.api.ENDPOINTS, args.scope).run(on_list, on_event)
    finally:
        api.close()
    return sc.EXIT_OK


if __name__ == "__main__":
    sc.run_main(main)
