#!/usr/bin/python3
"""Wait until a Service has at least N ready endpoint addresses.

Lists the namespace's Endpoints, then watches them from the list's version: it returns as soon as
the change arrives, without polling. A broken stream is resumed from the last version seen.
"""

import argparse
import sys
import time

import svcplane_client as sc

EPILOG = """\
exit status:
  0  the Service has at least N ready addresses
  1  --timeout passed first
  2  bad arguments
  3  the apiserver cannot be reached, refused the request, or a package is missing

example:
  wait_ready.py web 3 -n shop --timeout 120 && echo "web is serving"
"""


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="wait_ready.py",
        description="Exit 0 as soon as Service SERVICE has at least N ready endpoint addresses (distinct IPs\n"
                    "in its Endpoints' subsets[].addresses); exit 1 when --timeout passes first. It watches\n"
                    "the Endpoints (List, then Watch from the list's version); it does not poll.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("service", metavar="SERVICE", help="name of the Service")
    p.add_argument("count", metavar="N", type=sc.non_negative_number(int), help="ready addresses to wait for")
    p.add_argument("-n", "--namespace", default="default", help="namespace of the Service (default: default)")
    p.add_argument("--timeout", metavar="SECONDS", type=sc.non_negative_number(float), default=60.0,
                   help="how long to wait (default: 60)")
    sc.add_server_argument(p)
    args = p.parse_args(argv)
    args.server = sc.resolve_server(p, args)
    if not args.service:
        p.error("SERVICE must not be empty")
    return args


def main(argv=None):
    args = parse_args(argv)
    pb = sc.pb()
    start = time.monotonic()
    deadline = start + args.timeout
    api = sc.connect(args.server)
    target = "service %s/%s" % (args.namespace, args.service)
    state = {"ready": set()}

    def done():
        return len(state["ready"]) >= args.count

    def on_list(items, first):
        state["ready"] = set()
        for r in items:
            if r.endpoints.metadata.name == args.service:
                state["ready"] = sc.ready_ips(r.endpoints)
        if done():
            return True
        if first:
            # One progress line for the pipeline's log; then silence until the answer.
            sc.log("waiting up to %gs for %s to have %d ready address%s: %s%s"
                   % (args.timeout, target, args.count, "" if args.count == 1 else "es", has(state["ready"]),
                      service_note(api, pb, args, reconnect=False)))
        return False

    def on_event(event):
        ep = event.object.endpoints
        if ep.metadata.name != args.service:
            return False
        state["ready"] = set() if event.type == pb.events.DELETED else sc.ready_ips(ep)
        return done()

    informer = sc.Informer(api, pb.api.ENDPOINTS, args.namespace, deadline=deadline)
    try:
        informer.run(on_list, on_event)
    except sc.Timeout:
        if informer.broken_since is not None:
            note = "; the watch could not be resumed for the last %.0fs (%s)" % (
                time.monotonic() - informer.broken_since, informer.last_error)
        else:
            note = service_note(api, pb, args)
        print("timed out after %gs waiting for %s to have %d ready address%s: %s%s"
              % (args.timeout, target, args.count, "" if args.count == 1 else "es", has(state["ready"]), note),
              file=sys.stderr)
        return sc.EXIT_FAILED
    finally:
        api.close()
    print("%s has %d ready address%s (%s) after %.1fs"
          % (target, len(state["ready"]), "" if len(state["ready"]) == 1 else "es",
             ",".join(sorted(state["ready"], key=sc.ip_key)) or "-", time.monotonic() - start))
    return sc.EXIT_OK


def has(ready):
    if not ready:
        return "it has none"
    return "it has %d (%s)" % (len(ready), ",".join(sorted(ready, key=sc.ip_key)))


def service_note(api, pb, args, reconnect=True):
    """Why there may be no addresses: the Service itself is missing."""
    import grpc
    try:
        if reconnect:
            api.reconnect()
        api.get(pb.api.SERVICE, args.namespace, args.service, timeout=5)
        return ""
    except grpc.RpcError as err:
        if err.code() == grpc.StatusCode.NOT_FOUND:
            return "; the Service does not exist%s" % ("" if reconnect else " yet")
        return ""


if __name__ == "__main__":
    sc.run_main(main)
