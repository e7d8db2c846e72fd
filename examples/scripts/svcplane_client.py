"""What the svcplane example scripts share: the generated stubs, the connection to the apiserver,
error messages people can act on, and list-then-watch with resume.

Use it from your own scripts too:

    import svcplane_client as sc
    api = sc.connect("127.0.0.1:6443")
    pb = sc.pb()                      # the generated modules: pb.api, pb.resources, ...
    items, version = api.list(pb.api.ENDPOINTS, "default")

Nothing here prints a traceback for an expected failure: functions raise ScriptError (a message
for people and an exit code), and run_main() prints it and exits.
"""

import argparse
import datetime
import ipaddress
import os
import sys
import time

DEFAULT_SERVER = "127.0.0.1:6443"
SERVER_ENV = "SVCPLANE_SERVER"
CONFIG_ENV = "SVCPLANE_CONFIG"

# Exit codes shared by the scripts (each script's --help says which it uses).
EXIT_OK = 0
EXIT_FAILED = 1          # wait_ready: timed out; apply: some object failed
EXIT_USAGE = 2           # bad arguments (argparse uses 2 as well)
EXIT_ERROR = 3           # apiserver unreachable at start, request refused, missing packages


class ScriptError(Exception):
    """An expected failure: `message` is printed as is, the script exits with `code`."""

    def __init__(self, message, code=EXIT_ERROR):
        super().__init__(message)
        self.code = code


def run_main(main):
    """Runs main() -> exit code, turning ScriptError, Ctrl-C and a closed stdout into clean exits."""
    try:
        code = main()
    except ScriptError as e:
        print(str(e), file=sys.stderr)
        code = e.code
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        # stdout closed early (e.g. piped into head): not an error of ours.
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        code = 0
    sys.exit(code)


# ---- the generated stubs ------------------------------------------------------------------------

class _Modules:
    pass


_pb = None


def _require_packages():
    missing = []
    try:
        import google.protobuf  # noqa: F401
    except ImportError:
        missing.append(("google.protobuf", "python3-protobuf", "protobuf"))
    try:
        import grpc  # noqa: F401
    except ImportError:
        missing.append(("grpc", "python3-grpcio", "grpcio"))
    if missing:
        raise ScriptError(
            "error: the Python module%s %s cannot be imported by %s.\n"
            "Install Debian's %s (apt-get install %s) and run the script with /usr/bin/python3,\n"
            "or install pip's %s for this Python (%s -m pip install %s)."
            % ("s" if len(missing) > 1 else "", " and ".join(m[0] for m in missing), sys.executable,
               " and ".join(m[1] for m in missing), " ".join(m[1] for m in missing),
               " and ".join(m[2] for m in missing), sys.executable, " ".join(m[2] for m in missing)))


def pb():
    """The generated modules (pb().api, .resources, .meta, .events, .feed, .api_grpc, .feed_grpc),
    generated first if missing or older than the .proto files."""
    global _pb
    if _pb is not None:
        return _pb
    _require_packages()
    import gen_stubs
    try:
        gen_dir = gen_stubs.ensure()
    except gen_stubs.StubError as e:
        raise ScriptError("error: " + str(e))
    except OSError as e:
        raise ScriptError("error: cannot write the generated stubs: %s" % e)
    if gen_dir not in sys.path:
        sys.path.insert(0, gen_dir)
    try:
        from svcplane.v1 import api_pb2, api_pb2_grpc, events_pb2, feed_pb2, feed_pb2_grpc, meta_pb2, resources_pb2
    except Exception as e:  # an incompatible protobuf runtime raises many kinds of errors
        import google.protobuf
        raise ScriptError("error: the generated stubs in %s do not load with protobuf %s: %s\n"
                          "Regenerate them: make -C %s clean stubs"
                          % (gen_dir, google.protobuf.__version__, e, os.path.dirname(os.path.abspath(__file__))))
    m = _Modules()
    m.api, m.api_grpc, m.events, m.feed, m.feed_grpc, m.meta, m.resources = (
        api_pb2, api_pb2_grpc, events_pb2, feed_pb2, feed_pb2_grpc, meta_pb2, resources_pb2)
    _pb = m
    return m


# ---- arguments ----------------------------------------------------------------------------------

def server_address(text, source="--server"):
    """Checks HOST:PORT; returns it unchanged."""
    host, sep, port = text.rpartition(":")
    ok = bool(sep) and bool(host) and port.isdigit() and 1 <= int(port) <= 65535
    if not ok:
        raise argparse.ArgumentTypeError(
            'invalid server address "%s" (from %s): expected HOST:PORT, e.g. %s' % (text, source, DEFAULT_SERVER))
    return text


def add_server_argument(parser):
    parser.add_argument("--server", metavar="HOST:PORT", default=None, type=server_address,
                        help="address of the apiserver (default: $%s, else %s)" % (SERVER_ENV, DEFAULT_SERVER))


def resolve_server(parser, args):
    """--server, else $SVCPLANE_SERVER (checked), else the configuration's ($SVCPLANE_CONFIG), else the default."""
    if args.server:
        return args.server
    env = os.environ.get(SERVER_ENV)
    if env:
        try:
            return server_address(env, "$" + SERVER_ENV)
        except argparse.ArgumentTypeError as e:
            parser.error(str(e))
    config = client_config()
    if config is not None and config.get("server"):
        try:
            return server_address(config["server"], config["file"])
        except argparse.ArgumentTypeError as e:
            parser.error(str(e))
    return DEFAULT_SERVER


# ---- the configuration svcctl reads (kubeconfig-style) ------------------------------------------

def client_config():
    """The configuration named by $SVCPLANE_CONFIG (bin/svcplane up writes .svcplane/config): a
    dict of file, server (HOST:PORT), ca, cert, key (paths) and token; None without the variable.
    The same fields svcctl reads: clusters[].cluster.server and certificate-authority,
    users[].user.token (or tokenFile), client-certificate and client-key, of the current context."""
    path = os.environ.get(CONFIG_ENV)
    if not path:
        return None
    if not os.path.isfile(path):
        raise ScriptError("error: the configuration file %s does not exist ($%s)" % (path, CONFIG_ENV))
    import yaml
    try:
        with open(path) as f:
            doc = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        raise ScriptError("error: %s: not a valid YAML configuration: %s" % (path, getattr(e, "strerror", None) or e))
    if not isinstance(doc, dict):
        raise ScriptError("error: %s: empty, or not a kubeconfig-style mapping" % path)
    base = os.path.dirname(os.path.abspath(path))

    def named(section, name, field):
        for entry in doc.get(section) or []:
            if isinstance(entry, dict) and entry.get("name") == name:
                return entry.get(field) or {}
        raise ScriptError('error: %s: %s "%s" is not in %s' % (path, field, name, section))

    def only(section, field):
        entries = doc.get(section) or []
        return (entries[0].get(field) or {}) if len(entries) == 1 and isinstance(entries[0], dict) else {}

    current = doc.get("current-context")
    contexts = doc.get("contexts") or []
    context = named("contexts", current, "context") if current else (
        (contexts[0].get("context") or {}) if len(contexts) == 1 else None)
    if context is not None:
        cluster = named("clusters", context["cluster"], "cluster") if context.get("cluster") else {}
        user = named("users", context["user"], "user") if context.get("user") else {}
    else:
        cluster, user = only("clusters", "cluster"), only("users", "user")

    def rel(p):
        return None if not p else p if os.path.isabs(p) else os.path.join(base, p)

    server = cluster.get("server") or None
    if server and server.startswith("http://"):
        raise ScriptError("error: %s: server %s is plaintext; these scripts speak TLS to a secure apiserver, or"
                          " plaintext without $%s" % (path, server, CONFIG_ENV))
    if server and server.startswith("https://"):
        server = server[len("https://"):]
    token = user.get("token")
    if not token and user.get("tokenFile"):
        with open(rel(user["tokenFile"])) as f:
            token = f.readline().strip()
    cert, key = rel(user.get("client-certificate")), rel(user.get("client-key"))
    if bool(cert) != bool(key):
        raise ScriptError("error: %s: a client certificate needs both client-certificate and client-key" % path)
    return {"file": path, "server": server, "ca": rel(cluster.get("certificate-authority")), "cert": cert, "key": key,
            "token": token}


def channel_to(server):
    """A gRPC channel to the apiserver: TLS with the configuration's CA and credentials when
    $SVCPLANE_CONFIG names one (the token never goes over plaintext), else plaintext."""
    import grpc
    config = client_config()
    if config is None:
        return grpc.insecure_channel(server)

    def read(p, what):
        try:
            with open(p, "rb") as f:
                return f.read()
        except OSError as e:
            raise ScriptError("error: cannot read the %s file %s: %s" % (what, p, e.strerror))

    creds = grpc.ssl_channel_credentials(
        root_certificates=read(config["ca"], "CA certificate") if config["ca"] else None,
        private_key=read(config["key"], "client key") if config["key"] else None,
        certificate_chain=read(config["cert"], "client certificate") if config["cert"] else None)
    if config["token"]:
        creds = grpc.composite_channel_credentials(creds, grpc.access_token_call_credentials(config["token"]))
    return grpc.secure_channel(server, creds)


def non_negative_number(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError('"%s" is not %s' % (text, "a whole number" if kind is int else "a number"))
        if value < 0:
            raise argparse.ArgumentTypeError('"%s" must not be negative' % text)
        return value
    return parse


# ---- errors -------------------------------------------------------------------------------------

# kubectl's reasons for the HTTP statuses svcplane's gRPC codes stand for.
_REASONS = {
    "INVALID_ARGUMENT": "BadRequest", "NOT_FOUND": "NotFound", "ALREADY_EXISTS": "AlreadyExists",
    "ABORTED": "Conflict", "FAILED_PRECONDITION": "Conflict", "RESOURCE_EXHAUSTED": "InternalError",
    "OUT_OF_RANGE": "Expired", "PERMISSION_DENIED": "Forbidden", "UNAUTHENTICATED": "Unauthorized",
    "UNAVAILABLE": "ServiceUnavailable",
    "INTERNAL": "InternalError",
}

_CONNECT_FAILURES = ("failed to connect", "connection refused", "dns resolution failed", "name resolution",
                     "no address", "connect failed", "unreachable")


def is_connection_failure(err):
    """True if the call never reached an apiserver (nothing listens, or the name does not resolve)."""
    import grpc
    if err.code() != grpc.StatusCode.UNAVAILABLE:
        return False
    details = (err.details() or "").lower()
    return any(s in details for s in _CONNECT_FAILURES)


def describe(err, server, what=None):
    """One message for people for a failed call. `what` names the object, e.g. 'services "web"'."""
    import grpc
    code, details = err.code(), (err.details() or "").strip()
    if is_connection_failure(err) and "dns" in details.lower():
        return ("error: cannot resolve the host of the apiserver address %s (%s).\n"
                "Give the apiserver's address with --server HOST:PORT or $%s." % (server, _short(details), SERVER_ENV))
    if is_connection_failure(err):
        return ("error: cannot connect to the apiserver at %s (%s).\n"
                "Is it running? Start a local cluster with bin/svcplane up, or point the script at a running"
                " apiserver with --server HOST:PORT or $%s." % (server, _short(details), SERVER_ENV))
    if code == grpc.StatusCode.UNIMPLEMENTED:
        return ("error: the server at %s does not serve svcplane's Resources API (is --server pointing at an"
                " svcplane apiserver?): %s" % (server, details))
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return "error: the apiserver at %s did not answer in time" % server
    if code == grpc.StatusCode.INVALID_ARGUMENT and " is invalid" in details:
        # kubectl: The Service "web" is invalid: spec.ports[0].port: ..., one "* " line per error
        # when there are several.
        causes = field_violations(err)
        if len(causes) > 1:
            return "The " + details.split(" is invalid", 1)[0] + " is invalid: " + "".join("\n* " + c for c in causes)
        return "The " + details
    reason = _REASONS.get(code.name, code.name)
    return "Error from server (%s): %s" % (reason, details or code.name)


def field_violations(err):
    """The field errors of the google.rpc.BadRequest detail of a status, as "field: description".

    Read straight from the wire format of the grpc-status-details-bin trailer (google.rpc.Status
    {details: Any{type_url, value: BadRequest{field_violations: {field, description}}}}), so that
    no googleapis package is needed."""
    raw = None
    for key, value in (err.trailing_metadata() or ()):
        if key == "grpc-status-details-bin":
            raw = value
    if not raw:
        return []
    out = []
    try:
        for number, any_bytes in _fields(raw):
            if number != 3:
                continue
            any_fields = dict(_fields(any_bytes))
            if not any_fields.get(1, b"").decode().endswith("google.rpc.BadRequest"):
                continue
            for vnum, violation in _fields(any_fields.get(2, b"")):
                if vnum != 1:
                    continue
                v = dict(_fields(violation))
                field, description = v.get(1, b"").decode(), v.get(2, b"").decode()
                out.append(description if not field or description.startswith(field + ":") else field + ": " + description)
    except (ValueError, IndexError, UnicodeDecodeError):
        return []  # an undecodable detail: the message says it all anyway
    return out


def _fields(buf):
    """(field number, value) of a serialized protobuf message: ints for varints, bytes otherwise."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            length, i = _varint(buf, i)
            value, i = bytes(buf[i:i + length]), i + length
        elif wire == 1:
            value, i = bytes(buf[i:i + 8]), i + 8
        elif wire == 5:
            value, i = bytes(buf[i:i + 4]), i + 4
        else:
            raise ValueError("unsupported wire type %d" % wire)
        yield number, value


def _varint(buf, i):
    result = shift = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def _short(details):
    """The last, most specific part of a gRPC connection error."""
    for sep in ("last error: ", "; "):
        if sep in details:
            details = details.rsplit(sep, 1)[1]
    return details


def retryable(err):
    """Failures a watch recovers from by reconnecting and resuming (the stream broke, the server
    restarted or is starting, or cut off a slow reader), as opposed to a refused request."""
    import grpc
    return err.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED, grpc.StatusCode.UNKNOWN,
                          grpc.StatusCode.INTERNAL, grpc.StatusCode.ABORTED, grpc.StatusCode.RESOURCE_EXHAUSTED,
                          grpc.StatusCode.DEADLINE_EXCEEDED)


# ---- the apiserver ------------------------------------------------------------------------------

UNARY_TIMEOUT = 30.0


class Api:
    """The Resources service at one address. reconnect() starts over with a fresh channel, so a
    restarted apiserver is reached at once rather than after gRPC's own reconnect backoff."""

    def __init__(self, server):
        self.server = server
        self.channel = None
        self.stub = None
        self.reconnect()

    def reconnect(self):
        import grpc
        if self.channel is not None:
            self.channel.close()
        self.channel = channel_to(self.server)
        self.stub = pb().api_grpc.ResourcesStub(self.channel)

    def wait_connected(self, timeout):
        """True once the channel has a connection (at most `timeout` seconds)."""
        import grpc
        try:
            grpc.channel_ready_future(self.channel).result(timeout=max(0.0, timeout))
            return True
        except grpc.FutureTimeoutError:
            return False

    def close(self):
        if self.channel is not None:
            self.channel.close()
            self.channel = None

    def list(self, kind, namespace="", label_selector="", timeout=UNARY_TIMEOUT):
        """(items, collection version) of one kind in one namespace ("" for all)."""
        r = self.stub.List(pb().api.ListRequest(kind=kind, namespace=namespace, label_selector=label_selector),
                           timeout=timeout)
        return list(r.items), r.version

    def get(self, kind, namespace, name, timeout=UNARY_TIMEOUT):
        return self.stub.Get(pb().api.GetRequest(kind=kind, namespace=namespace, name=name), timeout=timeout)

    def apply(self, resource, dry_run=False, timeout=UNARY_TIMEOUT):
        return self.stub.Apply(pb().api.ApplyRequest(object=resource, dry_run=dry_run), timeout=timeout)

    def watch(self, kind, namespace, since_version, timeout=None):
        return self.stub.Watch(pb().api.WatchRequest(kind=kind, namespace=namespace, since_version=since_version),
                               timeout=timeout)


def connect(server):
    return Api(server)


def obj_of(resource):
    """The object inside a Resource (its oneof)."""
    which = resource.WhichOneof("object")
    return getattr(resource, which) if which else None


def log(message):
    print(message, file=sys.stderr, flush=True)


class Timeout(Exception):
    """The caller's deadline passed."""


class Informer:
    """List, then Watch from the list's version, as Kubernetes' informers do.

    When the stream breaks (apiserver restarted, connection lost, slow reader cut off) it
    reconnects with backoff and resumes from the version of the last event seen, so nothing is
    missed or repeated. When that version has left the apiserver's watch window (OUT_OF_RANGE), it
    lists again and hands over the new list. The callbacks return True to stop.

      on_list(items, first)  after each List: every object of the kind in the namespace
      on_event(event)        per WatchEvent (type, object, version)
    """

    MAX_BACKOFF = 2.0

    def __init__(self, api, kind, namespace, deadline=None):
        self.api = api
        self.kind = kind
        self.namespace = namespace
        self.deadline = deadline
        self.version = None
        # While the stream is broken: since when (monotonic) and the last error, for messages.
        self.broken_since = None
        self.last_error = None

    def _remaining(self):
        if self.deadline is None:
            return None
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise Timeout()
        return left

    def run(self, on_list, on_event):
        import grpc
        first = True
        need_list = True
        backoff = 0.1
        while True:
            try:
                if need_list:
                    left = self._remaining()
                    items, self.version = self.api.list(self.kind, self.namespace,
                                                        timeout=UNARY_TIMEOUT if left is None else min(left, UNARY_TIMEOUT))
                    need_list = False
                    if on_list(items, first):
                        return
                    first = False
                stream = self.api.watch(self.kind, self.namespace, self.version, timeout=self._remaining())
                for event in stream:
                    if self.broken_since is not None:
                        log("watch resumed from the last change seen")
                        self.broken_since = None
                    backoff = 0.1
                    self.version = event.version
                    if on_event(event):
                        stream.cancel()
                        return
                # The server ended the stream cleanly: resume where it left off.
            except grpc.RpcError as err:
                code = err.code()
                if first and need_list:
                    # Never reached the apiserver: a wrong address or a cluster that is down.
                    if code == grpc.StatusCode.DEADLINE_EXCEEDED and self.deadline is not None:
                        raise Timeout()
                    if not (code == grpc.StatusCode.UNAVAILABLE and not is_connection_failure(err)):
                        raise ScriptError(describe(err, self.api.server))
                if code == grpc.StatusCode.DEADLINE_EXCEEDED and self.deadline is not None \
                        and time.monotonic() >= self.deadline - 0.05:
                    raise Timeout()
                if code == grpc.StatusCode.OUT_OF_RANGE:
                    log("the watch fell out of the apiserver's window (%s); listing again" % (err.details() or ""))
                    need_list = True
                    continue
                if not retryable(err):
                    raise ScriptError(describe(err, self.api.server))
                self.last_error = "%s: %s" % (code.name, _short(err.details() or ""))
                if self.broken_since is None:
                    self.broken_since = time.monotonic()
                    log("watch stream broken (%s: %s); reconnecting to %s and resuming from the last change seen"
                        % (code.name, _short(err.details() or ""), self.api.server))
                self._sleep(backoff)
                backoff = min(backoff * 2, self.MAX_BACKOFF)
                self.api.reconnect()
                left = self._remaining()
                self.api.wait_connected(self.MAX_BACKOFF if left is None else min(left, self.MAX_BACKOFF))

    def _sleep(self, seconds):
        left = self._remaining()
        time.sleep(seconds if left is None else min(seconds, left))


# ---- Endpoints ----------------------------------------------------------------------------------

def ip_key(ip):
    try:
        return (0, ipaddress.ip_address(ip))
    except ValueError:
        return (1, ip)


def ready_ips(endpoints):
    """Distinct IPs of the ready addresses (Endpoints subsets[].addresses)."""
    return {a.ip for s in endpoints.subsets for a in s.addresses}


def not_ready_ips(endpoints):
    return {a.ip for s in endpoints.subsets for a in s.not_ready_addresses}


def now_utc():
    """RFC 3339 time with milliseconds, e.g. 2026-11-26T09:28:16.123Z."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
