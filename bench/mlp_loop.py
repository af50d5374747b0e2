#!/usr/bin/python3
"""The hand-written PyTorch mini-batch loop beside bench's MlpThroughput, on the same data (the
files it writes) and the same models: 16 inputs, hidden [32, 16], and 64 inputs, hidden
[256, 128]; ReLU, one output, BCE with logits, torch.optim.Adam(lr=1e-3), float32, one thread
(torch.set_num_threads(1)); each batch is predicted, then one step on its mean loss. Prints
examples per second at batch sizes 1, 32 and 256: the median of ROUNDS passes after a warm-up
(batch 1 on a tenth of the examples: PyTorch's per-call overhead makes it slow).

    /usr/bin/python3 bench/mlp_loop.py DIR [rounds]      (DIR holds mlp-data-16.bin, -64.bin)
"""
import os
import statistics
import sys
import time

import numpy
import torch


def run(x, y, hidden, batch):
    torch.manual_seed(1)
    layers = []
    width = x.shape[1]
    for units in hidden:
        layers += [torch.nn.Linear(width, units), torch.nn.ReLU()]
        width = units
    net = torch.nn.Sequential(*layers, torch.nn.Linear(width, 1))
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
    directory = sys.argv[1] if len(sys.argv) > 1 else "bench/target"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    torch.set_num_threads(1)
    for inputs, hidden in ((16, [32, 16]), (64, [256, 128])):
        data = numpy.fromfile(os.path.join(directory, "mlp-data-%d.bin" % inputs), dtype="<f4")
        data = torch.from_numpy(data.reshape(-1, inputs + 1).copy())
        x, y = data[:, :inputs].contiguous(), data[:, inputs].contiguous()
        for batch in (1, 32, 256):
            n = len(x) if batch > 1 else len(x) // 10
            rates = [run(x[:n], y[:n], hidden, batch) for _ in range(rounds + 1)][1:]
            print("pytorch %s mlp %d inputs %s relu adam, batch %d: %.0f examples/s"
                  " (median of %d; min %.0f, max %.0f)"
                  % (torch.__version__, inputs, hidden, batch, statistics.median(rates), rounds,
                     min(rates), max(rates)))


main()
