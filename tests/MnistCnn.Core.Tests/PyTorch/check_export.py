"""Loads a .pth written by MnistCnn.Core into the seed's model with load_state_dict (strict) and prints, as JSON,
its logits for the first COUNT MNIST test images.

usage: /usr/bin/python3 check_export.py MODEL.pth MNIST_DIR COUNT
"""
import json
import os
import sys

import torch

from seed_model import MNISTModel, images_as_tensor, read_idx

path, mnist, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
model = MNISTModel()
model.load_state_dict(torch.load(path))
model.eval()
with torch.no_grad():
    logits = model(images_as_tensor(read_idx(os.path.join(mnist, "t10k-images-idx3-ubyte"))[:count]))
print(json.dumps(logits.tolist()))
