#!/usr/bin/python3
"""Create or update the objects of Kubernetes manifests (kubectl apply), over svcplane's gRPC API.

Reads YAML (with PyYAML, Debian's python3-yaml) or JSON: one or many documents per file, or a
`kind: List`. Objects go to the apiserver in file order with the Apply RPC, which creates an object
or updates it to match the manifest. Prints kubectl's lines: service/web created|configured|unchanged.
"""

import argparse
import datetime
import json
import os
import sys

import svcplane_client as sc

EPILOG = """\
FILE may be a manifest, a directory (its *.yaml, *.yml and *.json files, in name order) or - for
stdin. Objects without a namespace go to -n (default: default). Failed objects are reported at the
end; the others are still applied, as kubectl does.

exit status:
  0  every object was applied
  1  some object failed (invalid manifest, refused by the apiserver, apiserver unreachable)
  2  bad arguments

example:
  apply.py examples/svc-nginx.yaml examples/nginx-pods.yaml -n shop
  service/svc-nginx created
  pod/nginx-deploy-7d9f-a created
"""

KINDS = ("Namespace", "Node", "Pod", "Service", "Endpoints")


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="apply.py", description="Create or update the objects of Kubernetes manifests (like kubectl apply -f).",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", metavar="FILE", nargs="+", help="manifest file, directory, or - for stdin")
    p.add_argument("-n", "--namespace", default=None,
                   help="namespace of objects whose manifest names none (default: default)")
    p.add_argument("--dry-run", action="store_true",
                   help="validate, default and allocate on the apiserver, but write nothing")
    sc.add_server_argument(p)
    args = p.parse_args(argv)
    args.server = sc.resolve_server(p, args)
    return args


# ---- reading manifests --------------------------------------------------------------------------

class ManifestError(Exception):
    pass


def sources(paths):
    """(name, text) per manifest, in the order given; directories expand to their manifests."""
    for path in paths:
        if path == "-":
            yield "-", sys.stdin.read()
        elif os.path.isdir(path):
            names = sorted(n for n in os.listdir(path) if n.endswith((".yaml", ".yml", ".json")))
            if not names:
                raise ManifestError('error: no manifests (*.yaml, *.yml, *.json) in directory "%s"' % path)
            for n in names:
                yield from sources([os.path.join(path, n)])
        else:
            try:
                with open(path, encoding="utf-8") as fh:
                    yield path, fh.read()
            except FileNotFoundError:
                raise ManifestError('error: the path "%s" does not exist' % path)
            except (OSError, UnicodeDecodeError) as e:
                raise ManifestError('error: cannot read "%s": %s' % (path, e))


def documents(name, text):
    """(documents, syntax error or None): the documents of one manifest as Python values (None for
    empty ones). As kubectl does, the documents before a YAML syntax error are kept."""
    stripped = text.lstrip()
    if name.endswith(".json") or stripped.startswith(("{", "[")):
        try:
            return [json.loads(text)], None
        except ValueError as e:
            if name.endswith(".json"):
                return [], "error: error parsing %s: %s" % (name, e)
    try:
        import yaml
    except ImportError:
        return [], ('error: reading the YAML manifest "%s" needs PyYAML, which %s cannot import: install'
                    ' Debian\'s python3-yaml (or pip\'s PyYAML), or give JSON manifests' % (name, sys.executable))
    docs = []
    try:
        for doc in yaml.safe_load_all(text):
            docs.append(doc)
    except yaml.YAMLError as e:
        return docs, "error: error parsing %s: %s" % (name, yaml_problem(e))
    return docs, None


def yaml_problem(e):
    """One line: where and what, e.g. "at line 5, column 2: expected <block end>, but found ..."."""
    mark, problem = getattr(e, "problem_mark", None), getattr(e, "problem", None)
    if mark is None or problem is None:
        return " ".join(str(e).split())
    return "at line %d, column %d: %s" % (mark.line + 1, mark.column + 1, " ".join(problem.split()))


def plain(value):
    """YAML's timestamps as RFC 3339 strings, as Kubernetes reads them."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, datetime.date):
        return value.isoformat() + "T00:00:00Z"
    return value


def objects(doc):
    """The objects of one document: itself, or the items of a kind: List."""
    if isinstance(doc, dict) and doc.get("kind") == "List" and "items" in doc:
        for item in doc.get("items") or []:
            yield from objects(item)
    else:
        yield doc


def _field(descriptor, key):
    for f in descriptor.fields:
        if f.json_name == key or f.name == key:
            return f
    return None


def _check_known(value, descriptor, path, kind):
    """Kubernetes' strict decoding: a field the message does not have is an error naming its path."""
    if not isinstance(value, dict) or descriptor.file.package == "google.protobuf":
        return
    for key, sub in value.items():
        at = key if not path else path + "." + key
        f = _field(descriptor, key)
        if f is None:
            raise ManifestError('%s in version "v1" cannot be handled as a %s: strict decoding error: unknown field "%s"'
                                % (kind, kind, at))
        if f.message_type is None or sub is None:
            continue
        if f.message_type.GetOptions().map_entry:
            vf = f.message_type.fields_by_name["value"]
            if vf.message_type is not None and isinstance(sub, dict):
                for k, v in sub.items():
                    _check_known(v, vf.message_type, at + "." + str(k), kind)
        elif f.label == f.LABEL_REPEATED:
            for i, item in enumerate(sub if isinstance(sub, list) else []):
                _check_known(item, f.message_type, "%s[%d]" % (at, i), kind)
        else:
            _check_known(sub, f.message_type, at, kind)


def to_resource(obj, pb):
    """One manifest object as a svcplane.v1.Resource."""
    from google.protobuf import json_format
    if not isinstance(obj, dict):
        raise ManifestError("the document is not an object")
    kind = obj.get("kind") or ""
    api_version = obj.get("apiVersion") or ""
    if not kind:
        raise ManifestError("Object 'Kind' is missing")
    if api_version and api_version != "v1":
        raise ManifestError('no matches for kind "%s" in version "%s" (svcplane serves v1 %s)'
                            % (kind, api_version, ", ".join(KINDS)))
    if kind not in KINDS:
        raise ManifestError('no matches for kind "%s" in version "v1" (svcplane serves %s)' % (kind, ", ".join(KINDS)))
    obj = plain(obj)
    if kind == "Service":
        # targetPort is Kubernetes' IntOrString; svcplane keeps it as a string.
        for port in (obj.get("spec") or {}).get("ports") or []:
            if isinstance(port, dict) and isinstance(port.get("targetPort"), int):
                port["targetPort"] = str(port["targetPort"])
    message = getattr(pb.resources, kind)()
    _check_known(obj, message.DESCRIPTOR, "", kind)
    try:
        json_format.ParseDict(obj, message)
    except json_format.ParseError as e:
        raise ManifestError('%s in version "v1" cannot be handled as a %s: %s'
                            % (kind, kind, " ".join(str(e).split()).rstrip(".")))
    return pb.resources.Resource(**{kind.lower(): message})


# ---- applying -----------------------------------------------------------------------------------

def main(argv=None):
    import grpc
    args = parse_args(argv)
    pb = sc.pb()
    api = None
    errors = []
    applied = 0
    suffix = " (server dry run)" if args.dry_run else ""
    try:
        for name, text in sources(args.files):
            docs, syntax_error = documents(name, text)
            index = 0
            for doc in docs:
                if doc is None:
                    continue
                index += 1
                where = ' (document %d)' % index if syntax_error or len([d for d in docs if d is not None]) > 1 else ""
                for obj in objects(doc):
                    try:
                        resource = in_namespace(to_resource(obj, pb), args.namespace)
                    except ManifestError as e:
                        errors.append('error: error validating "%s"%s: %s' % (name, where, e))
                        continue
                    meta = sc.obj_of(resource).metadata
                    kind = resource.WhichOneof("object")
                    if api is None:
                        api = sc.connect(args.server)
                    try:
                        response = api.apply(resource, dry_run=args.dry_run)
                    except grpc.RpcError as err:
                        message = sc.describe(err, args.server)
                        if message.startswith("Error from server ("):
                            reason, _, rest = message.partition("): ")
                            message = '%s): error when applying "%s": %s' % (reason, name, rest)
                        errors.append(message)
                        if sc.is_connection_failure(err):
                            raise StopApplying()
                        continue
                    applied += 1
                    print("%s/%s %s%s" % (kind, meta.name, result_word(response.result, pb), suffix), flush=True)
            if syntax_error:
                errors.append(syntax_error)
    except StopApplying:
        pass
    except ManifestError as e:
        errors.append(str(e))
    finally:
        if api is not None:
            api.close()
    if applied == 0 and not errors:
        errors.append("error: no objects passed to apply")
    for e in errors:
        print(e, file=sys.stderr)
    return sc.EXIT_FAILED if errors else sc.EXIT_OK


class StopApplying(Exception):
    """The apiserver cannot be reached: the remaining objects would fail the same way."""


def in_namespace(resource, namespace):
    """The manifest's namespace, else -n, else default; a manifest namespace contradicting -n is an error."""
    kind = resource.WhichOneof("object")
    if kind in ("namespace", "node"):
        return resource
    meta = sc.obj_of(resource).metadata
    if not meta.namespace:
        meta.namespace = namespace or "default"
    elif namespace and meta.namespace != namespace:
        raise ManifestError('the namespace from the provided object "%s" does not match the namespace "%s".'
                            " You must pass '--namespace=%s' to perform this operation."
                            % (meta.namespace, namespace, meta.namespace))
    return resource


def result_word(result, pb):
    return {pb.api.CREATED: "created", pb.api.CONFIGURED: "configured", pb.api.UNCHANGED: "unchanged"}.get(
        result, "configured")


if __name__ == "__main__":
    sc.run_main(main)
