#!/usr/bin/python3
"""Trains the quick start's network: LeNet-5, sized for 8x8 images, on the
handwritten digits that scikit-learn ships (sklearn.datasets.load_digits:
1,797 images of 8x8 pixels, values 0..16, ten classes), and exports it to ONNX.

Writes, next to this script:
  model.onnx   the trained network, input x f32[N,1,8,8] (pixels / 16), output y f32[N,10]
  test_x.npy   the held-out images, f32[360,1,8,8], never seen in training
  test_y.npy   their true digits, i64[360]

Needs Debian's python3-torch and python3-sklearn (and numpy, which they pull in):
  sudo apt-get install python3-torch python3-sklearn
  /usr/bin/python3 examples/digits/train.py

Everything is seeded: the split (stratified, 20% held out), the initial weights
and the batch order, so a run reproduces the committed files' accuracy.
"""
import os
import sys

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SEED = 7
EPOCHS = 60
HERE = os.path.dirname(os.path.abspath(__file__))


class LeNet5(torch.nn.Module):
    """LeNet-5's shape (two conv+ReLU+max-pool stages, three dense layers) for 8x8 inputs."""

    def __init__(self):
        super().__init__()
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(1, 6, kernel_size=5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),  # 6x4x4
            torch.nn.Conv2d(6, 16, kernel_size=3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),  # 16x2x2
        )
        self.classifier = torch.nn.Sequential(
            torch.nn.Flatten(),
            torch.nn.Linear(64, 120), torch.nn.ReLU(),
            torch.nn.Linear(120, 84), torch.nn.ReLU(),
            torch.nn.Linear(84, 10),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def main():
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    labels = digits.target.astype(np.int64)
    train_x, test_x, train_y, test_y = train_test_split(
        images, labels, test_size=360, random_state=SEED, stratify=labels)

    model = LeNet5()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    tx, ty = torch.from_numpy(train_x), torch.from_numpy(train_y)
    generator = torch.Generator().manual_seed(SEED)
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(tx), generator=generator)
        for start in range(0, len(tx), 32):
            batch = order[start:start + 32]
            optimizer.zero_grad()
            loss = loss_fn(model(tx[batch]), ty[batch])
            loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        train_acc = (model(tx).argmax(1) == ty).float().mean().item()
        predicted = model(torch.from_numpy(test_x)).argmax(1).numpy()
    test_acc = float((predicted == test_y).mean())
    print(f"train accuracy {100 * train_acc:.2f}%, held-out accuracy {100 * test_acc:.2f}% "
          f"({int((predicted == test_y).sum())} of {len(test_y)})")
    if test_acc < 0.95:
        sys.exit(f"held-out accuracy {test_acc:.3f} is below 0.95: not writing the model")

    torch.onnx.export(model, torch.from_numpy(test_x[:1]), os.path.join(HERE, "model.onnx"),
                      input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "N"}, "y": {0: "N"}},
                      opset_version=13)
    np.save(os.path.join(HERE, "test_x.npy"), np.ascontiguousarray(test_x))
    np.save(os.path.join(HERE, "test_y.npy"), test_y)
    print("wrote model.onnx, test_x.npy, test_y.npy in", HERE)


if __name__ == "__main__":
    main()
