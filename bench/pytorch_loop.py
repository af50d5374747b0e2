#!/usr/bin/python3
"""The hand-written PyTorch loop of DESIGN.md's reference points, on the stream that
TrainerThroughput exports: hashed logistic regression, 40 features per example, one example per
optimizer step, torch.optim.Adagrad(lr=0.1) on an EmbeddingBag of 2^22 rows with sparse gradients,
plus a bias. Prints examples per second.

    /usr/bin/python3 bench/pytorch_loop.py bench/results/stream.bin [examples]
"""
import sys
import time

import numpy as np
import torch

FEATURES = 40
ROWS = 1 << 22


def main():
    path = sys.argv[1]
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    record = np.dtype([("ids", "<i8", FEATURES), ("label", "<f4")])
    data = np.fromfile(path, dtype=record)[:limit]
    ids = torch.from_numpy(np.ascontiguousarray(data["ids"] % ROWS))
    labels = torch.from_numpy(np.ascontiguousarray(data["label"]))
    torch.set_num_threads(1)
    weights = torch.nn.EmbeddingBag(ROWS, 1, mode="sum", sparse=True)
    torch.nn.init.zeros_(weights.weight)
    bias = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.Adagrad([weights.weight, bias], lr=0.1)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    start = time.perf_counter()
    total = 0.0
    for i in range(len(data)):
        optimizer.zero_grad()
        logit = weights(ids[i:i + 1]).view(1) + bias
        loss = loss_fn(logit, labels[i:i + 1])
        loss.backward()
        optimizer.step()
        total += loss.item()
    seconds = time.perf_counter() - start
    print(f"| PyTorch {torch.__version__} loop (one example per step, Adagrad) | {len(data):,} |"
          f" {seconds:.2f} | {len(data) / seconds:,.0f} | mean log loss {total / len(data):.4f} |")


if __name__ == "__main__":
    main()
