"""Builds the seed's model in PyTorch, trains it briefly on MNIST, and writes the fixture the C# tests compare with:
seed-mnist.pth (torch.save(model.state_dict())) and seed-logits.json (its logits for the first 32 MNIST test images).

usage: /usr/bin/python3 make_seed_fixture.py MNIST_DIR OUT_DIR
"""
import json
import os
import sys

import torch
import torch.nn as nn

from seed_model import MNISTModel, images_as_tensor, read_idx

mnist, out = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
train_x = images_as_tensor(read_idx(os.path.join(mnist, "train-images-idx3-ubyte"))[:12800])
train_y = torch.from_numpy(read_idx(os.path.join(mnist, "train-labels-idx1-ubyte"))[:12800].astype("int64"))
test_x = images_as_tensor(read_idx(os.path.join(mnist, "t10k-images-idx3-ubyte"))[:32])

model = MNISTModel()
optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
model.train()
for start in range(0, len(train_x), 64):
    optimizer.zero_grad()
    loss = nn.CrossEntropyLoss()(model(train_x[start:start + 64]), train_y[start:start + 64])
    loss.backward()
    optimizer.step()

model.eval()
with torch.no_grad():
    logits = model(test_x)
torch.save(model.state_dict(), os.path.join(out, "seed-mnist.pth"))
with open(os.path.join(out, "seed-logits.json"), "w") as f:
    json.dump({"torch": torch.__version__, "first_test_images": len(test_x), "logits": logits.tolist()}, f)
print("wrote", out, "torch", torch.__version__)
