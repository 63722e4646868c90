"""A TF Serving client built only from protoc-generated stubs (python3-grpcio, protobuf-compiler-grpc).

Usage: tfs_client.py STUBS_DIR HOST:PORT MODEL
Prints one JSON object with what the server answered, for the test to check.
"""
import json
import sys

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2  # noqa: E402
from tensorflow_serving.apis import (  # noqa: E402
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)
from tensorflow_serving.apis import model_pb2  # noqa: E402,F401

target, model = sys.argv[2], sys.argv[3]
out = {}
with grpc.insecure_channel(target) as channel:
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)

    # What tf.make_tensor_proto([1.0, 2.0, 5.0]) sends: float32, shape [3], tensor_content.
    x = tensor_pb2.TensorProto(
        dtype=types_pb2.DT_FLOAT,
        tensor_shape=tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=3)]),
        tensor_content=bytes.fromhex("0000803f" "00000040" "0000a040"),
    )
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.model_spec.signature_name = "serving_default"
    request.inputs["x"].CopyFrom(x)
    response = stub.Predict(request, timeout=60.0)
    y = response.outputs["y"]
    out["y"] = list(y.float_val)
    out["y_shape"] = [d.size for d in y.tensor_shape.dim]
    out["version"] = response.model_spec.version.value

    meta = get_model_metadata_pb2.GetModelMetadataRequest()
    meta.model_spec.name = model
    meta.metadata_field.append("signature_def")
    answer = stub.GetModelMetadata(meta, timeout=60.0)
    sigs = get_model_metadata_pb2.SignatureDefMap()
    answer.metadata["signature_def"].Unpack(sigs)
    out["signatures"] = sorted(sigs.signature_def.keys())
    out["x_name"] = sigs.signature_def["serving_default"].inputs["x"].name

    status = model_service_pb2_grpc.ModelServiceStub(channel).GetModelStatus(
        get_model_status_pb2.GetModelStatusRequest(model_spec=model_pb2.ModelSpec(name=model)), timeout=60.0)
    out["state"] = [get_model_status_pb2.ModelVersionStatus.State.Name(s.state) for s in status.model_version_status]

    missing = predict_pb2.PredictRequest()
    missing.CopyFrom(request)
    missing.model_spec.name = "no_such_model"
    try:
        stub.Predict(missing, timeout=60.0)
        out["missing"] = "no error"
    except grpc.RpcError as e:
        out["missing"] = [e.code().name, e.details()]

print(json.dumps(out))
