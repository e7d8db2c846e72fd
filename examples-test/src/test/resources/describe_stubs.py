"""Prints every message, field, enum and service of the generated Python stubs, one per line, in
the form GeneratedStubsTest prints the Java descriptors, so that the two can be compared.
Run in examples/scripts (svcplane_client finds, and if need be generates, the stubs)."""
import os
import sys

sys.path.insert(0, os.getcwd())
import svcplane_client as sc  # noqa: E402

FILES = ("meta", "resources", "events", "api", "feed")


def describe_message(m, out):
    out.append("message %s" % m.full_name)
    for f in m.fields:
        type_name = f.message_type.full_name if f.message_type else (f.enum_type.full_name if f.enum_type else "")
        oneof = f.containing_oneof.name if f.containing_oneof else ""
        out.append("  field %s=%d label=%d type=%d ref=%s json=%s oneof=%s"
                   % (f.name, f.number, f.label, f.type, type_name, f.json_name, oneof))
    for n in m.nested_types:
        describe_message(n, out)
    for e in m.enum_types:
        describe_enum(e, out)


def describe_enum(e, out):
    out.append("enum %s" % e.full_name)
    for v in e.values:
        out.append("  value %s=%d" % (v.name, v.number))


def main():
    pb = sc.pb()
    modules = {"meta": pb.meta, "resources": pb.resources, "events": pb.events, "api": pb.api, "feed": pb.feed}
    import importlib
    modules["export"] = importlib.import_module("svcplane.v1.export_pb2")
    out = []
    for name in FILES + ("export",):
        fd = modules[name].DESCRIPTOR
        out.append("file %s package %s deps %s" % (fd.name, fd.package, ",".join(d.name for d in fd.dependencies)))
        for m in fd.message_types_by_name.values():
            describe_message(m, out)
        for e in fd.enum_types_by_name.values():
            describe_enum(e, out)
        for s in fd.services_by_name.values():
            out.append("service %s" % s.full_name)
            for meth in s.methods:
                out.append("  rpc %s(%s%s) returns (%s%s)"
                           % (meth.name, "stream " if meth.client_streaming else "", meth.input_type.full_name,
                              "stream " if meth.server_streaming else "", meth.output_type.full_name))
    print("\n".join(out))


if __name__ == "__main__":
    sc.run_main(main)
