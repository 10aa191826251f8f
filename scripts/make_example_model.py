"""Writes the bundled example model, assets/example-model/, with the pinned pip mlflow.

A small ONNX image classifier with the signature users test first:
uint8 [-1, 300, 300, 3] (a batch of RGB images, HWC) -> float32 [-1, 2] (class probabilities).
Weights are fixed by a seed: the model is a demo of the pipeline, not a trained classifier.
Saved the way `mlflow.onnx.save_model` saves by default: weights of 1 KB or more (here the
convolution's kernel) go to an external data file beside model.onnx.
Beside it: a sample photo (scikit-learn's china.jpg) and the labels file.

    .venv/bin/python scripts/make_example_model.py
"""

import os
import shutil

import mlflow
import numpy as np
import onnx
from mlflow.models import ModelSignature
from mlflow.types.schema import Schema, TensorSpec
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "assets", "example-model")


def build_graph():
    rng = np.random.default_rng(7)
    conv_w = rng.normal(0, 0.5, size=(8, 3, 5, 5)).astype(np.float32)
    conv_b = rng.normal(0, 0.1, size=(8,)).astype(np.float32)
    fc_w = rng.normal(0, 1.0, size=(8, 2)).astype(np.float32)
    fc_b = np.array([0.1, -0.1], dtype=np.float32)
    inits = [
        numpy_helper.from_array(np.array(1.0 / 255.0, dtype=np.float32), "scale"),
        numpy_helper.from_array(conv_w, "conv_w"),
        numpy_helper.from_array(conv_b, "conv_b"),
        numpy_helper.from_array(fc_w, "fc_w"),
        numpy_helper.from_array(fc_b, "fc_b"),
    ]
    nodes = [
        helper.make_node("Cast", ["images"], ["as_float"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["as_float", "scale"], ["scaled"]),
        helper.make_node("Transpose", ["scaled"], ["nchw"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["nchw", "conv_w", "conv_b"], ["conv"], strides=[4, 4], kernel_shape=[5, 5]),
        helper.make_node("Relu", ["conv"], ["relu"]),
        helper.make_node("GlobalAveragePool", ["relu"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["features"], axis=1),
        helper.make_node("Gemm", ["features", "fc_w", "fc_b"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "example_image_classifier",
        [helper.make_tensor_value_info("images", TensorProto.UINT8, ["batch", 300, 300, 3])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 2])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="mlmodel-inspector")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    signature = ModelSignature(
        inputs=Schema([TensorSpec(np.dtype("uint8"), (-1, 300, 300, 3))]),
        outputs=Schema([TensorSpec(np.dtype("float32"), (-1, 2))]),
    )
    mlflow.onnx.save_model(build_graph(), OUT, signature=signature)
    import sklearn.datasets

    photo = os.path.join(os.path.dirname(sklearn.datasets.__file__), "images", "china.jpg")
    shutil.copy(photo, os.path.join(ROOT, "assets", "sample-china.jpg"))
    with open(os.path.join(ROOT, "assets", "example-labels.txt"), "w") as f:
        f.write("building\nlandscape\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
