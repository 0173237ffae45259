"""The tutorial's script, unchanged in its model (seed_model.py), train() and test(), timed per epoch.
Fastest configuration measured on 2 cores: 2 intra-op threads, num_workers=0.

usage: /usr/bin/python3 seed_benchmark.py MNIST_DIR EPOCHS
MNIST_DIR holds the four raw idx files; torchvision finds them through a temporary root, so nothing is downloaded.
"""
import os
import sys
import tempfile
import time

import torch
import torch.nn as nn
import torchvision.datasets as datasets
from torchvision.transforms import ToTensor

from seed_model import MNISTModel  # the tutorial's model, line for line


def train(model, device, train_loader, optimizer, epoch):
    model.train()
    train_loss = 0.0
    train_correct_count = 0
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = nn.CrossEntropyLoss()(output, target)
        loss.backward()
        optimizer.step()
        train_loss += loss.item() * data.size(0)
        pred = output.argmax(dim=1, keepdim=True)
        train_correct_count += pred.eq(target.view_as(pred)).sum().item()
    train_loss /= len(train_loader.dataset)
    train_accuracy = 100.0 * train_correct_count / len(train_loader.dataset)
    print('Train Epoch: {} \tLoss: {:.6f} \tAccuracy: {:.2f}%'.format(epoch, train_loss, train_accuracy))
    return train_accuracy


def test(model, device, test_loader):
    model.eval()
    test_loss = 0.0
    test_correct_count = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            loss = nn.CrossEntropyLoss()(output, target)
            test_loss += loss.item() * data.size(0)
            pred = output.argmax(dim=1, keepdim=True)
            test_correct_count += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    test_accuracy = 100.0 * test_correct_count / len(test_loader.dataset)
    print('Test Loss: {:.6f} \tAccuracy: {:.2f}%'.format(test_loss, test_accuracy))
    return test_accuracy, test_loss


mnist_dir, num_epochs = sys.argv[1], int(sys.argv[2])
torch.set_num_threads(2)
root = tempfile.mkdtemp()
os.makedirs(os.path.join(root, "MNIST", "raw"))
for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
    os.symlink(os.path.abspath(os.path.join(mnist_dir, name)), os.path.join(root, "MNIST", "raw", name))

train_set = datasets.MNIST(root=root, train=True, download=True, transform=ToTensor())
test_set = datasets.MNIST(root=root, train=False, download=False, transform=ToTensor())
train_loader = torch.utils.data.DataLoader(train_set, batch_size=64, shuffle=True, num_workers=0)
test_loader = torch.utils.data.DataLoader(test_set, batch_size=64, shuffle=False, num_workers=0)

learning_rate = 0.001
device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
model = MNISTModel().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
for epoch in range(1, num_epochs + 1):
    start = time.perf_counter()
    train(model, device, train_loader, optimizer, epoch)
    train_seconds = time.perf_counter() - start
    test(model, device, test_loader)
    print('EPOCH_SECONDS {} {:.3f} {:.3f}'.format(epoch, train_seconds, time.perf_counter() - start), flush=True)
