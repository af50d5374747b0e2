#!/usr/bin/python3
"""The hand-written PyTorch mini-batch loop beside bench's MlpThroughput: an MLP of 16 dense
inputs, hidden [32, 16], ReLU, one output, BCE with logits, torch.optim.Adam(lr=1e-3), one thread;
each batch is predicted, then one step on its mean loss. Random data of the same shape. Prints
examples per second at batch sizes 1, 32 and 256 (the best of three passes after a warm-up).

    /usr/bin/python3 bench/mlp_loop.py [examples]
"""
import sys
import time

import torch


def run(x, y, batch):
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 16),
                              torch.nn.ReLU(), torch.nn.Linear(16, 1))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    start = time.perf_counter()
    for i in range(0, len(x), batch):
        xb = x[i:i + batch]
        yb = y[i:i + batch]
        opt.zero_grad()
        loss = loss_fn(net(xb).squeeze(1), yb)
        loss.backward()
        opt.step()
    return len(x) / (time.perf_counter() - start)


def main():
    examples = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(1)
    x = torch.rand(examples, 16, generator=g) * 4 - 2
    y = (x[:, 0] * x[:, 1] > 0).float()
    for batch in (1, 32, 256):
        n = examples if batch > 1 else examples // 10  # batch 1 is slow in PyTorch
        rates = [run(x[:n], y[:n], batch) for _ in range(4)][1:]
        print("pytorch %s mlp [32, 16] relu adam, batch %d: %.0f examples/s"
              % (torch.__version__, batch, max(rates)))


main()
