#!/usr/bin/python3
"""tests/otlp-check.py PROTO_DIR < requests - read OTLP/JSON trace export
requests, one a line (as agraph-trace export otel writes them), with
protobuf's own JSON parser, strict: an unknown field, a wrong type or a
bad enum is an error.  OTLP/JSON writes trace and span ids in hex where
protobuf's JSON has base64, so they are checked (32 and 16 hex digits,
not all zero) and converted first, as a collector does.  Prints
"N requests, M spans"; exits 1 on the first bad line."""
import base64
import json
import os
import subprocess
import sys
import tempfile

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

SERVICE = "opentelemetry/proto/collector/trace/v1/trace_service.proto"
IDS = {"traceId": 16, "spanId": 8, "parentSpanId": 8}


def request_class(proto_dir):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "otlp.pb")
        subprocess.run(["protoc", "-I", proto_dir, "--include_imports",
                        "--descriptor_set_out=" + out, SERVICE], check=True)
        with open(out, "rb") as f:
            files = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for fd in files.file:
        pool.Add(fd)
    desc = pool.FindMessageTypeByName(
        "opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest")
    return message_factory.MessageFactory(pool).GetPrototype(desc)


def hex_ids(span, where):
    for key, size in IDS.items():
        if key not in span:
            continue
        v = span[key]
        if (not isinstance(v, str) or len(v) != 2 * size or
                v.strip("0123456789abcdef") or v.strip("0") == ""):
            raise ValueError("%s: %s is not %d hex digits, not all zero: %r" %
                             (where, key, 2 * size, v))
        span[key] = base64.b64encode(bytes.fromhex(v)).decode()


def main():
    cls = request_class(sys.argv[1])
    requests = spans = 0
    for n, line in enumerate(sys.stdin, 1):
        try:
            doc = json.loads(line)
            for rs in doc.get("resourceSpans", []):
                for ss in rs.get("scopeSpans", []):
                    for i, span in enumerate(ss.get("spans", [])):
                        hex_ids(span, "line %d, span %d" % (n, i))
                        spans += 1
            json_format.ParseDict(doc, cls(), ignore_unknown_fields=False)
        except Exception as e:  # every failure is the line's
            print("otlp-check: line %d: %s" % (n, e), file=sys.stderr)
            return 1
        requests += 1
    print("%d requests, %d spans" % (requests, spans))
    return 0


sys.exit(main())
