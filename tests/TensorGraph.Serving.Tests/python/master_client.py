"""A TF1 master-protocol client built only from protoc-generated messages (python3-grpcio).

It speaks to the server the way tf.Session("grpc://...") does: a GraphDef made of plain NodeDefs
(what tf.Graph.as_graph_def() holds for a variable, its initializer and a product) goes out with
CreateSession, a second part with ExtendSession, and RunStep carries feeds as TensorProtos with
tensor_content. A callable is made, run and released (MakeCallable/RunCallable/ReleaseCallable
with CallableOptions, as Session.make_callable does), and a partial run fed and fetched in two
pieces (PartialRunSetup, then RunSteps carrying partial_run_handle). Calls go to TF's own method
paths (/tensorflow.MasterService/<Method>); ListDevices and ReleaseCallable also go through the
generated stub's path.

Usage: master_client.py STUBS_DIR HOST:PORT
Prints one JSON object with what the server answered, for the test to check.
"""
import json
import struct
import sys

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
from tensorflow.core.framework import (  # noqa: E402
    attr_value_pb2,
    graph_pb2,
    node_def_pb2,
    tensor_pb2,
    tensor_shape_pb2,
    types_pb2,
)
from tensorflow.core.protobuf import config_pb2, error_codes_pb2, master_pb2, master_service_pb2_grpc, named_tensor_pb2  # noqa: E402

target = sys.argv[2]
out = {}


def floats(values):
    return tensor_pb2.TensorProto(
        dtype=types_pb2.DT_FLOAT,
        tensor_shape=tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=len(values))]),
        tensor_content=struct.pack("<%df" % len(values), *values),
    )


def scalar(value):
    return tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, tensor_shape=tensor_shape_pb2.TensorShapeProto(), float_val=[value])


def node(name, op, inputs=(), **attrs):
    n = node_def_pb2.NodeDef(name=name, op=op, input=list(inputs))
    for k, v in attrs.items():
        n.attr[k].CopyFrom(v)
    return n


def decode(t):
    if t.tensor_content:
        return list(struct.unpack("<%df" % (len(t.tensor_content) // 4), t.tensor_content))
    return list(t.float_val)


T = attr_value_pb2.AttrValue(type=types_pb2.DT_FLOAT)
shape3 = attr_value_pb2.AttrValue(shape=tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=3)]))

first = graph_pb2.GraphDef()
first.node.extend([
    node("x", "Placeholder", dtype=T, shape=attr_value_pb2.AttrValue(shape=tensor_shape_pb2.TensorShapeProto(unknown_rank=True))),
    node("w", "VariableV2", dtype=T, shape=shape3,
         container=attr_value_pb2.AttrValue(s=b""), shared_name=attr_value_pb2.AttrValue(s=b"")),
    node("w/initial_value", "Const", dtype=T, value=attr_value_pb2.AttrValue(tensor=floats([0.5, 1.0, 2.0]))),
    node("w/Assign", "Assign", ["w", "w/initial_value"], T=T,
         use_locking=attr_value_pb2.AttrValue(b=True), validate_shape=attr_value_pb2.AttrValue(b=True)),
    node("w/read", "Identity", ["w"], T=T),
    node("y", "Mul", ["x", "w/read"], T=T),
])
second = graph_pb2.GraphDef()
second.node.extend([
    node("one", "Const", dtype=T, value=attr_value_pb2.AttrValue(tensor=scalar(1.0))),
    node("z", "Add", ["y", "one"], T=T),
    node("double", "AssignAdd", ["w", "w/read"], T=T, use_locking=attr_value_pb2.AttrValue(b=False)),
])


def call(channel, method, request, response_type):
    rpc = channel.unary_unary("/tensorflow.MasterService/" + method,
                              request_serializer=lambda m: m.SerializeToString(),
                              response_deserializer=response_type.FromString)
    return rpc(request, timeout=60.0)


def step(channel, handle, fetch=(), targets=(), feeds=None, errors_in_body=False, partial_run_handle=""):
    r = master_pb2.RunStepRequest(session_handle=handle, fetch=list(fetch), target=list(targets),
                                  store_errors_in_response_body=errors_in_body, partial_run_handle=partial_run_handle)
    for name, t in (feeds or {}).items():
        r.feed.append(named_tensor_pb2.NamedTensorProto(name=name, tensor=t))
    return call(channel, "RunStep", r, master_pb2.RunStepResponse)


with grpc.insecure_channel(target) as channel:
    created = call(channel, "CreateSession", master_pb2.CreateSessionRequest(graph_def=first), master_pb2.CreateSessionResponse)
    handle = created.session_handle
    out["graph_version"] = created.graph_version
    step(channel, handle, targets=["w/Assign"])
    x = {"x:0": floats([1.0, 2.0, 3.0])}
    out["y"] = decode(step(channel, handle, fetch=["y:0"], feeds=x).tensor[0].tensor)

    extended = call(channel, "ExtendSession",
                    master_pb2.ExtendSessionRequest(session_handle=handle, graph_def=second,
                                                    current_graph_version=created.graph_version),
                    master_pb2.ExtendSessionResponse)
    out["new_graph_version"] = extended.new_graph_version
    step(channel, handle, targets=["double"])
    answer = step(channel, handle, fetch=["z:0", "w:0"], feeds=x)
    out["fetched"] = [t.name for t in answer.tensor]
    out["z"] = decode(answer.tensor[0].tensor)
    out["w"] = decode(answer.tensor[1].tensor)

    # A callable: feeds and fetches by name in CallableOptions, values in their order.
    stub = master_service_pb2_grpc.MasterServiceStub(channel)
    options = config_pb2.CallableOptions(feed=["x:0"], fetch=["z:0", "y:0"])
    made = call(channel, "MakeCallable", master_pb2.MakeCallableRequest(session_handle=handle, options=options),
                master_pb2.MakeCallableResponse)
    out["callable_handle"] = made.handle
    ran = call(channel, "RunCallable",
               master_pb2.RunCallableRequest(session_handle=handle, handle=made.handle, feed=[floats([2.0, 0.0, -1.0])]),
               master_pb2.RunCallableResponse)
    out["callable_z"] = decode(ran.fetch[0])
    out["callable_y"] = decode(ran.fetch[1])
    stub.ReleaseCallable(master_pb2.ReleaseCallableRequest(session_handle=handle, handle=made.handle), timeout=60.0)
    try:
        call(channel, "RunCallable", master_pb2.RunCallableRequest(session_handle=handle, handle=made.handle, feed=[floats([1.0, 1.0, 1.0])]),
             master_pb2.RunCallableResponse)
        out["after_release"] = ["OK", ""]
    except grpc.RpcError as e:
        out["after_release"] = [e.code().name, e.details()]

    # A partial run: y from the first piece (feeding x), z = y + 1 from the second.
    setup = call(channel, "PartialRunSetup",
                 master_pb2.PartialRunSetupRequest(session_handle=handle, feed=["x:0"], fetch=["y:0", "z:0"]),
                 master_pb2.PartialRunSetupResponse)
    prun = setup.partial_run_handle
    out["partial_y"] = decode(step(channel, handle, fetch=["y:0"], feeds={"x:0": floats([1.0, -1.0, 0.5])},
                                   partial_run_handle=prun).tensor[0].tensor)
    refused = step(channel, handle, fetch=["y:0"], errors_in_body=True, partial_run_handle=prun)
    out["partial_refused"] = [error_codes_pb2.Code.Name(refused.status_code), refused.status_error_message]
    out["partial_z"] = decode(step(channel, handle, fetch=["z:0"], partial_run_handle=prun).tensor[0].tensor)
    done = step(channel, handle, fetch=["z:0"], errors_in_body=True, partial_run_handle=prun)
    out["partial_done"] = [error_codes_pb2.Code.Name(done.status_code), done.status_error_message]

    bad = step(channel, handle, fetch=["no_such_node:0"], errors_in_body=True)
    out["error_code"] = error_codes_pb2.Code.Name(bad.status_code)
    out["error_message"] = bad.status_error_message

    devices = stub.ListDevices(
        master_pb2.ListDevicesRequest(session_handle=handle), timeout=60.0)
    out["devices"] = [d.name for d in devices.local_device]

    call(channel, "CloseSession", master_pb2.CloseSessionRequest(session_handle=handle), master_pb2.CloseSessionResponse)
    try:
        step(channel, handle, fetch=["y:0"], feeds=x)
        out["after_close"] = "OK"
    except grpc.RpcError as e:
        out["after_close"] = e.code().name

print(json.dumps(out))
