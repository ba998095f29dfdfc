"""The model zoo: real architectures nobody tuned nutshell for.

Each entry builds a PyTorch module with random weights from a fixed seed, the
shape of one input (its first dim is the batch, exported symbolic) and the
input's name. export_zoo.py exports them to ONNX; the PyTorch peer of the
benchmark rebuilds the same module from the saved state dict (peers.py).

Vision models are torchvision's, with random BatchNorm statistics so that the
folded convolutions are not trivial. The sequence models are small torch.nn
stacks: a GRU classifier, one TransformerEncoderLayer (d_model 64) and a small
VisionTransformer.
"""

import torch
import torchvision

VISION_224 = (3, 224, 224)


class GruClassifier(torch.nn.Module):
    """Two stacked GRU layers over a [N, 16, 32] sequence, then a dense layer."""

    def __init__(self):
        super().__init__()
        self.gru = torch.nn.GRU(input_size=32, hidden_size=64, num_layers=2, batch_first=True)
        self.head = torch.nn.Linear(64, 10)

    def forward(self, x):
        out, _ = self.gru(x)
        return self.head(out[:, -1, :])


def transformer_layer():
    return torch.nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128, dropout=0.0, batch_first=True)


def small_vit():
    from torchvision.models.vision_transformer import VisionTransformer
    model = VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=4, hidden_dim=64, mlp_dim=128,
                              num_classes=10)
    # torchvision starts the classifier at zero (every output 0, which any
    # engine reproduces): random, so that the check compares something.
    torch.nn.init.normal_(model.heads.head.weight, std=0.5)
    torch.nn.init.normal_(model.heads.head.bias, std=0.5)
    return model


# name -> (builder, input shape without the batch dim)
MODELS = {
    "resnet18": (lambda: torchvision.models.resnet18(), VISION_224),
    "resnet50": (lambda: torchvision.models.resnet50(), VISION_224),
    "resnext50_32x4d": (lambda: torchvision.models.resnext50_32x4d(), VISION_224),
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(), VISION_224),
    "mobilenet_v3_small": (lambda: torchvision.models.mobilenet_v3_small(), VISION_224),
    "mobilenet_v3_large": (lambda: torchvision.models.mobilenet_v3_large(), VISION_224),
    "efficientnet_b0": (lambda: torchvision.models.efficientnet_b0(), VISION_224),
    "densenet121": (lambda: torchvision.models.densenet121(), VISION_224),
    "inception_v3": (lambda: torchvision.models.inception_v3(aux_logits=False, init_weights=True), (3, 299, 299)),
    "googlenet": (lambda: torchvision.models.googlenet(aux_logits=False, init_weights=True), VISION_224),
    "squeezenet1_1": (lambda: torchvision.models.squeezenet1_1(), VISION_224),
    "shufflenet_v2_x1_0": (lambda: torchvision.models.shufflenet_v2_x1_0(), VISION_224),
    "vgg11": (lambda: torchvision.models.vgg11(), VISION_224),
    "gru_classifier": (GruClassifier, (16, 32)),
    "transformer_layer": (transformer_layer, (16, 64)),
    "vit_small": (small_vit, (3, 32, 32)),
}


def build(name, seed=0):
    """The named model in eval mode, random weights from `seed`."""
    builder, _ = MODELS[name]
    torch.manual_seed(seed)
    model = builder()
    generator = torch.Generator().manual_seed(seed + 1)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            n = module.num_features
            module.running_mean.copy_(0.1 * torch.randn(n, generator=generator))
            module.running_var.copy_(1.0 + 0.1 * torch.rand(n, generator=generator))
            module.weight.data.copy_(1.0 + 0.1 * torch.randn(n, generator=generator))
            module.bias.data.copy_(0.1 * torch.randn(n, generator=generator))
    return model.eval()


def input_shape(name, batch):
    return (batch, *MODELS[name][1])
