#!/usr/bin/python3
"""Generate the Python gRPC stubs of svcplane's API from the .proto files.

The example scripts call this on first use, and again whenever the .proto files changed (their
SHA-256 is kept in gen/PROTOS.sha256); `make stubs` in this directory runs it too.

Generators, in order of preference:
  - protoc with grpc_python_plugin (Debian: protobuf-compiler, protobuf-compiler-grpc, and
    libprotobuf-dev for the well-known types such as google/protobuf/struct.proto);
  - python3 -m grpc_tools.protoc (pip: grpcio-tools).

Only the standard library is used here, so generating needs no gRPC runtime.
"""

import argparse
import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

SCRIPTS_DIR = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PROTO_DIR = os.path.normpath(os.path.join(SCRIPTS_DIR, "..", "..", "proto", "src", "main", "proto"))
DEFAULT_OUT_DIR = os.path.join(SCRIPTS_DIR, "gen")
PACKAGE_DIR = os.path.join("svcplane", "v1")
STAMP = "PROTOS.sha256"


class StubError(Exception):
    """Stubs cannot be generated or found; the message says what to install or set."""


def proto_dir():
    return os.environ.get("SVCPLANE_PROTO_DIR") or DEFAULT_PROTO_DIR


def out_dir():
    return os.environ.get("SVCPLANE_STUBS_DIR") or DEFAULT_OUT_DIR


def proto_files(protos):
    """The .proto files of the API, relative to `protos` (e.g. svcplane/v1/api.proto), sorted."""
    pkg = os.path.join(protos, PACKAGE_DIR)
    if not os.path.isdir(pkg):
        return []
    return sorted(os.path.join(PACKAGE_DIR, f) for f in os.listdir(pkg) if f.endswith(".proto"))


def fingerprint(protos, files):
    """SHA-256 over the names and contents of the .proto files: the stubs are stale when it changes."""
    h = hashlib.sha256()
    for f in files:
        h.update(f.replace(os.sep, "/").encode() + b"\0")
        with open(os.path.join(protos, f), "rb") as fh:
            h.update(fh.read())
        h.update(b"\0")
    return h.hexdigest()


def stamp_of(out):
    try:
        with open(os.path.join(out, STAMP)) as fh:
            return fh.read().strip()
    except OSError:
        return None


def is_up_to_date(protos=None, out=None):
    protos, out = protos or proto_dir(), out or out_dir()
    files = proto_files(protos)
    return bool(files) and stamp_of(out) == fingerprint(protos, files)


def _generator_command(protos, target, files):
    protoc = shutil.which("protoc")
    plugin = shutil.which("grpc_python_plugin")
    if protoc and plugin:
        return [protoc, "-I", protos, "--python_out=" + target, "--grpc_python_out=" + target,
                "--plugin=protoc-gen-grpc_python=" + plugin] + files
    try:
        import grpc_tools  # noqa: F401  (pip's grpcio-tools bundles protoc and the well-known types)
        from importlib import resources as _res
        include = str(_res.files("grpc_tools") / "_proto")
        return [sys.executable, "-m", "grpc_tools.protoc", "-I", protos, "-I", include,
                "--python_out=" + target, "--grpc_python_out=" + target] + files
    except ImportError:
        pass
    missing = [name for name, path in (("protoc", protoc), ("grpc_python_plugin", plugin)) if not path]
    raise StubError(
        "cannot generate the Python stubs of the svcplane API: " + " and ".join(missing) + " not found on PATH.\n"
        "Install Debian's protobuf-compiler, protobuf-compiler-grpc and libprotobuf-dev\n"
        "  (apt-get install protobuf-compiler protobuf-compiler-grpc libprotobuf-dev),\n"
        "or pip's grpcio-tools for " + sys.executable + ".")


def generate(protos=None, out=None, quiet=False):
    """Generates the stubs of every .proto under `protos` into `out`, replacing it whole."""
    protos, out = os.path.abspath(protos or proto_dir()), os.path.abspath(out or out_dir())
    files = proto_files(protos)
    if not files:
        raise StubError("cannot generate the Python stubs of the svcplane API: no .proto files in "
                        + os.path.join(protos, PACKAGE_DIR)
                        + " (set SVCPLANE_PROTO_DIR to the proto/src/main/proto directory of svcplane)")
    parent = os.path.dirname(out)
    os.makedirs(parent, exist_ok=True)
    # Generate beside the target, then swap, so a reader never sees half-written stubs.
    target = tempfile.mkdtemp(prefix=os.path.basename(out) + ".tmp-", dir=parent)
    try:
        os.chmod(target, 0o755)  # mkdtemp's 0700 would hide the stubs from other users
        cmd = _generator_command(protos, target, files)
        run = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        if run.returncode != 0:
            hint = ""
            if "google/protobuf/" in run.stderr and "not found" in run.stderr.lower():
                hint = ("\nThe well-known .proto files (google/protobuf/*.proto) are missing:"
                        " install Debian's libprotobuf-dev.")
            raise StubError("generating the Python stubs failed (" + os.path.basename(cmd[0]) + " exited "
                            + str(run.returncode) + "):\n" + run.stderr.strip() + hint)
        with open(os.path.join(target, STAMP), "w") as fh:
            fh.write(fingerprint(protos, files) + "\n")
        old = None
        if os.path.exists(out):
            old = out + ".old-" + str(os.getpid())
            os.rename(out, old)
        os.rename(target, out)
        target = None
        if old:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if target:
            shutil.rmtree(target, ignore_errors=True)
    if not quiet:
        print("gen_stubs: generated the Python stubs of %d .proto files into %s" % (len(files), out), file=sys.stderr)
    return out


@contextlib.contextmanager
def _lock(out):
    """Serializes generation between scripts started at the same time."""
    try:
        import fcntl
    except ImportError:  # not on a Unix: go without the lock
        yield
        return
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out + ".lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure(protos=None, out=None):
    """The stubs directory, generated first if it is missing or older than the .proto files.

    Without the .proto files (scripts copied elsewhere), stubs generated earlier are used as they are.
    """
    protos, out = os.path.abspath(protos or proto_dir()), os.path.abspath(out or out_dir())
    if is_up_to_date(protos, out):
        return out
    if not proto_files(protos) and stamp_of(out):
        return out
    with _lock(out):
        if is_up_to_date(protos, out):
            return out
        return generate(protos, out)


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Generate the Python gRPC stubs of svcplane's API (only if the .proto files changed,"
                    " unless --force).")
    p.add_argument("--proto-dir", default=None,
                   help="directory holding svcplane/v1/*.proto (default: $SVCPLANE_PROTO_DIR, else %s)"
                        % os.path.relpath(DEFAULT_PROTO_DIR))
    p.add_argument("--out", default=None,
                   help="directory to write the stubs to (default: $SVCPLANE_STUBS_DIR, else %s)"
                        % os.path.relpath(DEFAULT_OUT_DIR))
    g = p.add_mutually_exclusive_group()
    g.add_argument("--force", action="store_true", help="generate even if the stubs are up to date")
    g.add_argument("--check", action="store_true",
                   help="generate nothing; exit 0 if the stubs match the .proto files, 1 if not")
    args = p.parse_args(argv)
    protos, out = args.proto_dir or proto_dir(), args.out or out_dir()
    try:
        if args.check:
            if is_up_to_date(protos, out):
                print("gen_stubs: the stubs in %s match the .proto files" % out, file=sys.stderr)
                return 0
            print("gen_stubs: the stubs in %s are missing or older than the .proto files in %s" % (out, protos),
                  file=sys.stderr)
            return 1
        if args.force:
            with _lock(os.path.abspath(out)):
                generate(protos, out)
        elif is_up_to_date(protos, out):
            print("gen_stubs: the stubs in %s are up to date" % out, file=sys.stderr)
        else:
            ensure(protos, os.path.abspath(out))
        return 0
    except StubError as e:
        print("gen_stubs: error: %s" % e, file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
