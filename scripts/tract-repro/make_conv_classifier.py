"""Writes a second small image classifier for tract's profile (issue 39): uint8 [N, 64, 64, 3]
(NHWC) -> Cast -> Mul(1/255) -> Transpose -> three 3x3 convolutions with ReLU, average pooling
between them -> GlobalAveragePool -> Gemm -> Softmax (10 classes), weights from a seed. Saved
by `mlflow.onnx.save_model` (weights as external data, MLflow's default) under OUT/model, and
with its weights inline as OUT/inline.onnx for `cargo run --release -- OUT/inline.onnx 64`.

    .venv/bin/python scripts/tract-repro/make_conv_classifier.py OUT
"""

import os
import shutil
import sys

import mlflow
import numpy as np
import onnx
from mlflow.models import ModelSignature
from mlflow.types.schema import Schema, TensorSpec
from onnx import TensorProto, helper, numpy_helper


def main(out):
    rng = np.random.default_rng(1)

    def w(name, *shape):
        return numpy_helper.from_array(rng.normal(0, 0.3, size=shape).astype(np.float32), name)

    inits = [numpy_helper.from_array(np.array(1 / 255, dtype=np.float32), "scale"),
             w("c1", 16, 3, 3, 3), w("b1", 16), w("c2", 32, 16, 3, 3), w("b2", 32),
             w("c3", 32, 32, 3, 3), w("b3", 32), w("fc", 32, 10), w("fb", 10)]
    conv = lambda x, k, b, y: helper.make_node("Conv", [x, k, b], [y], kernel_shape=[3, 3], pads=[1, 1, 1, 1])  # noqa: E731
    pool = lambda x, y: helper.make_node("AveragePool", [x], [y], kernel_shape=[2, 2], strides=[2, 2])  # noqa: E731
    nodes = [
        helper.make_node("Cast", ["images"], ["f"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["f", "scale"], ["s"]),
        helper.make_node("Transpose", ["s"], ["x"], perm=[0, 3, 1, 2]),
        conv("x", "c1", "b1", "y1"), helper.make_node("Relu", ["y1"], ["r1"]), pool("r1", "p1"),
        conv("p1", "c2", "b2", "y2"), helper.make_node("Relu", ["y2"], ["r2"]), pool("r2", "p2"),
        conv("p2", "c3", "b3", "y3"), helper.make_node("Relu", ["y3"], ["r3"]),
        helper.make_node("GlobalAveragePool", ["r3"], ["g"]),
        helper.make_node("Flatten", ["g"], ["fl"], axis=1),
        helper.make_node("Gemm", ["fl", "fc", "fb"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    ]
    graph = helper.make_graph(
        nodes, "conv_classifier",
        [helper.make_tensor_value_info("images", TensorProto.UINT8, ["batch", 64, 64, 3])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 10])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    os.makedirs(out, exist_ok=True)
    onnx.save(model, os.path.join(out, "inline.onnx"))
    shutil.rmtree(os.path.join(out, "model"), ignore_errors=True)
    signature = ModelSignature(inputs=Schema([TensorSpec(np.dtype(np.uint8), (-1, 64, 64, 3))]),
                               outputs=Schema([TensorSpec(np.dtype(np.float32), (-1, 10))]))
    mlflow.onnx.save_model(model, os.path.join(out, "model"), signature=signature)


if __name__ == "__main__":
    main(sys.argv[1])
