"""Make a converted transfer network run at any input size.

The published TFLite transfer networks were converted at 384×384, which froze
the target sizes of their nearest-neighbour upsampling layers into constants
(192, 384, 384). Resizing the input tensor alone therefore still returns a
384×384 image. Here we rescale those constants in a copy of the flatbuffer, so
the network runs fully convolutionally at the size asked for.
"""

from __future__ import annotations

import numpy as np

from nst.errors import ModelUnavailableError

try:
    from ai_edge_litert import schema_py_generated as schema
except ImportError:  # the interpreter then comes from TensorFlow, which ships the same schema
    from tensorflow.lite.python import schema_py_generated as schema

_RESIZE_OPS = frozenset(
    {schema.BuiltinOperator.RESIZE_NEAREST_NEIGHBOR, schema.BuiltinOperator.RESIZE_BILINEAR}
)


def with_input_size(model: bytes, height: int, width: int) -> bytes:
    """A copy of ``model`` whose upsampling layers fit a ``height``×``width`` input.

    Each constant target size is scaled by the ratio of the new input size to
    the one the model was converted with; a size that would not come out whole
    is refused (pad the input to a multiple of the network's stride first).
    """
    buffer = bytearray(model)
    root = schema.Model.GetRootAs(buffer, 0)
    graph = root.Subgraphs(0)
    scale = np.array([height, width]) / _image_input_size(graph)
    codes = [_builtin_code(root.OperatorCodes(i)) for i in range(root.OperatorCodesLength())]
    patched: set[int] = set()
    for index in range(graph.OperatorsLength()):
        op = graph.Operators(index)
        if codes[op.OpcodeIndex()] not in _RESIZE_OPS:
            continue
        buffer_index = graph.Tensors(op.Inputs(1)).Buffer()
        if buffer_index in patched:
            continue  # a constant shared by several layers is scaled once
        patched.add(buffer_index)
        data = root.Buffers(buffer_index).DataAsNumpy()
        if not isinstance(data, np.ndarray) or data.size != 8:
            continue  # computed at run time: already follows the input size
        size = data.view("<i4")  # a writable view into ``buffer``
        target = size * scale
        if not np.allclose(target, np.round(target)):
            raise ModelUnavailableError(
                f"The transfer network cannot run at {width}×{height} pixels "
                f"(an upsampling layer would need {target.tolist()})."
            )
        size[:] = np.round(target)
    return bytes(buffer)


def _image_input_size(graph: schema.SubGraph) -> np.ndarray:
    """Height and width the model was converted with, from its RGB image input."""
    for position in range(graph.InputsLength()):
        shape = graph.Tensors(graph.Inputs(position)).ShapeAsNumpy()
        if isinstance(shape, np.ndarray) and shape.size == 4 and shape[3] == 3:
            return shape[1:3]
    raise ModelUnavailableError("The transfer network has no RGB image input.")


def _builtin_code(code: schema.OperatorCode) -> int:
    """The operator's code, wherever the schema version stored it."""
    return max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
