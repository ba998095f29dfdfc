#!/usr/bin/python3
"""Export torchvision's ResNet-18 (random weights, fixed seed) to ONNX.

    export_resnet18.py OUT_DIR [--seed S] [--opset V]

Writes, in the ONNX backend-test layout the other benchmark models use:
    OUT_DIR/model.onnx                       input 'x': f32[N,3,224,224] (N symbolic)
    OUT_DIR/test_data_set_0/input_0.pb       a random batch of 2 images
    OUT_DIR/test_data_set_0/output_0.pb      torchvision's output for it
    OUT_DIR/torch_state.pt                   the state dict (the PyTorch peer loads it)

The model is exported in eval mode, so the exporter folds each BatchNormalization
into the convolution before it (what an inference compiler sees in practice).
Needs Debian's python3-torch, python3-torchvision and python3-onnx (they belong
to /usr/bin/python3).
"""

import argparse
import os

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torchvision


def build_model(seed):
    torch.manual_seed(seed)
    model = torchvision.models.resnet18(num_classes=1000)
    # Random BatchNorm statistics, so the folded convolutions are not trivial.
    generator = torch.Generator().manual_seed(seed + 1)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            n = module.num_features
            module.running_mean.copy_(0.1 * torch.randn(n, generator=generator))
            module.running_var.copy_(1.0 + 0.1 * torch.rand(n, generator=generator))
            module.weight.data.copy_(1.0 + 0.1 * torch.randn(n, generator=generator))
            module.bias.data.copy_(0.1 * torch.randn(n, generator=generator))
    return model.eval()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--opset", type=int, default=13)
    args = parser.parse_args()

    model = build_model(args.seed)
    os.makedirs(os.path.join(args.out_dir, "test_data_set_0"), exist_ok=True)
    path = os.path.join(args.out_dir, "model.onnx")
    example = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(args.seed + 2))
    with torch.no_grad():
        torch.onnx.export(model, (example,), path, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "N"}, "y": {0: "N"}}, opset_version=args.opset,
                          do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)
        expected = model(example)
    onnx.checker.check_model(onnx.load(path))
    for name, array in (("input_0.pb", example.numpy()), ("output_0.pb", expected.numpy())):
        tensor = numpy_helper.from_array(np.ascontiguousarray(array), name="x" if name.startswith("input") else "y")
        with open(os.path.join(args.out_dir, "test_data_set_0", name), "wb") as f:
            f.write(tensor.SerializeToString())
    torch.save(model.state_dict(), os.path.join(args.out_dir, "torch_state.pt"))
    ops = sorted({node.op_type for node in onnx.load(path).graph.node})
    print(f"exported ResNet-18 (seed {args.seed}, opset {args.opset}) to {path}: ops {', '.join(ops)}")


if __name__ == "__main__":
    main()
