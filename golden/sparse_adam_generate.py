#!/usr/bin/python3
"""Golden vectors for Adam's bias_correction setting on a table of rows (an embedding table).

Each case is one float32 table of ROWS rows of WIDTH weights, stepped STEPS times with sparse
gradients that touch a subset of the rows: row 0 every step (as the bias), one row most steps,
one row rarely, one row first touched late, one row twice with a long gap between, one row never;
a few steps have no gradient at all (p.grad = None: nothing advances). Gradients mix scales from
1e-3 to 10.

- bias_correction "global": torch.optim.SparseAdam on the whole table, the reference. Its
  state['step'] counts the table's steps, so every row's bias correction uses the global step, and
  the moments of rows absent from a step's sparse gradient are untouched.
- bias_correction "row" (the default): torch.optim.Adam run separately on each row, fed the row's
  own gradient subsequence (a row absent from a step has p.grad = None), so every row's bias
  correction uses its own step count.

Both expectations come from the same inputs, so a test can also show that the two settings
differ. The case format is optim-replay's table format (see OptimReplay): "initial" holds one
array per row, each step of "gradients" one entry per row (null: absent), or null as a whole.

The output file is committed; the build never runs this script. To regenerate (Debian 12):
    apt-get install python3-torch && /usr/bin/python3 golden/sparse_adam_generate.py
Inputs come from a fixed seed, so a rerun with the same PyTorch reproduces the file.
"""
import json
import os
import random

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261130
rng = random.Random(SEED)

ROWS = 6
WIDTH = 3
STEPS = 60
EMPTY_STEPS = {10, 11, 30}          # the table gets no gradient: p.grad = None
SCALES = [1e-3, 1e-2, 1.0, 10.0]

CONFIGS = [
    {"lr": 0.01},
    {"lr": 0.05, "betas": [0.8, 0.99]},
    # eps comparable to the root of v: SparseAdam adds eps to the uncorrected root, Adam to the
    # corrected one, so this case tells the two placements apart.
    {"lr": 0.01, "eps": 1e-3},
    {"lr": 0.02, "betas": [0.5, 0.9], "maximize": True},
    {"lr": 0.001, "betas": [0.9, 0.9999]},
]


def f32(x):
    """The float32 value nearest x, as a Python float (exact, so Java reads the same float)."""
    return torch.tensor(x, dtype=torch.float32).item()


def touched(row, step):
    """Whether a row is in the sparse gradient of a step that has one."""
    if row == 0:
        return True                                  # every step, like the bias
    if row == 1:
        return rng.random() < 0.6                    # most steps
    if row == 2:
        return rng.random() < 0.1                    # skips many steps
    if row == 3:
        return step >= 40 and (step == 40 or rng.random() < 0.5)  # first touched late
    if row == 4:
        return step in (2, 55)                       # a long gap
    return False                                     # row 5: never


def table_case():
    initial = [[f32(rng.gauss(0.0, 0.5)) for _ in range(WIDTH)] for _ in range(ROWS)]
    grads = []
    for step in range(STEPS):
        if step in EMPTY_STEPS:
            grads.append(None)
            continue
        scale = rng.choice(SCALES)
        grads.append([[f32(rng.gauss(0.0, 1.0) * scale) for _ in range(WIDTH)]
                      if touched(r, step) else None for r in range(ROWS)])
    return initial, grads


def sparse_adam(hp, initial, grads):
    table = torch.nn.Parameter(torch.tensor(initial, dtype=torch.float32))
    kwargs = dict(hp)
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    optimizer = torch.optim.SparseAdam([table], **kwargs)
    trajectory = []
    for g in grads:
        if g is None:
            table.grad = None
        else:
            rows = [r for r in range(ROWS) if g[r] is not None]
            table.grad = torch.sparse_coo_tensor(
                torch.tensor([rows], dtype=torch.int64),
                torch.tensor([g[r] for r in rows], dtype=torch.float32),
                (ROWS, WIDTH))
        optimizer.step()
        trajectory.append(table.detach().tolist())
    return trajectory


def adam_per_row(hp, initial, grads):
    kwargs = dict(hp)
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    params = [torch.nn.Parameter(torch.tensor(w, dtype=torch.float32)) for w in initial]
    optimizers = [torch.optim.Adam([p], **kwargs) for p in params]
    trajectory = []
    for g in grads:
        for r in range(ROWS):
            gr = None if g is None else g[r]
            params[r].grad = None if gr is None else torch.tensor(gr, dtype=torch.float32)
            optimizers[r].step()
        trajectory.append([p.detach().tolist() for p in params])
    return trajectory


def cases():
    out = []
    for hp in CONFIGS:
        initial, grads = table_case()
        for mode, reference in (("global", sparse_adam), ("row", adam_per_row)):
            name = "SparseAdam" if mode == "global" else "Adam per row"
            out.append({
                "label": f"{name} {json.dumps(hp, sort_keys=True)} table of {ROWS} rows",
                "optimizer": "Adam",
                "hyperparameters": dict(hp, bias_correction=mode),
                "initial": initial,
                "gradients": grads,
                "expected": reference(hp, initial, grads),
            })
    return out


if __name__ == "__main__":
    meta = {"generator": "golden/sparse_adam_generate.py", "torch": torch.__version__,
            "seed": SEED}
    path = os.path.join(HERE, "sparse_adam.json")
    with open(path, "w") as out:
        json.dump({"meta": meta, "cases": cases()}, out, separators=(",", ":"))
        out.write("\n")
    print(f"wrote {path}")
