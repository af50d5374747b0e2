#!/usr/bin/python3
"""Golden vectors for Gradflow's mlp and wide_and_deep models (io.gradflow.model.DeepModel).

For each case, PyTorch computes, from float32 parameters drawn here:
  - the activation of every example of a batch (before the loss's link),
  - the gradient of the batch's mean loss J = (1/B) sum_e w_e L(a_e, y_e) with respect to every
    parameter (autograd),
  - the parameters after two steps of torch.optim on J (the same batch twice), per optimizer.
The deep part is a torch.nn.Sequential of Linear and ReLU/Tanh layers with the same weights; the
output Linear has no bias of its own (Gradflow's global bias row is the output's bias). Every
sparse row (wide weight, then its embedding) and the bias row are parameters of their own, and a
row no example of the batch touches gets p.grad = None, so torch.optim leaves it (and its state)
alone: Gradflow's per-row lazy semantics. Losses: logistic = BCE with logits, squared =
(a - y)^2 / 2.

The output file is committed; the build never runs this script. To regenerate (Debian 12):
    apt-get install python3-torch && /usr/bin/python3 golden/deep_generate.py
"""
import json
import os
import random

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(20261130)
torch.set_default_dtype(torch.float32)


def f32(x):
    return torch.tensor(x, dtype=torch.float32).item()


def draw(n, scale=0.5):
    return [f32(rng.gauss(0.0, 1.0) * scale) for _ in range(n)]


OPTIMIZERS = [
    ("sgd", "SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}),
    ("sgd_nesterov", "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("adagrad", "Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.01,
                            "initial_accumulator_value": 0.1, "eps": 1e-10}),
    ("rmsprop", "RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-8, "weight_decay": 0.01,
                            "momentum": 0.9, "centered": True}),
    ("adadelta", "Adadelta", {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0}),
    ("adam", "Adam", {"lr": 0.01, "betas": (0.9, 0.99), "eps": 1e-8, "weight_decay": 0.01,
                      "amsgrad": True}),
    ("adamw", "AdamW", {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.05}),
]

CASES = [
    dict(name="mlp_relu_logistic", wide=False, inputs=4, factors=0, hidden=[5, 3],
         activation="relu", pooling="sum", loss="logistic", rows=0),
    dict(name="mlp_tanh_squared", wide=False, inputs=3, factors=0, hidden=[4],
         activation="tanh", pooling="sum", loss="squared", rows=0),
    dict(name="wide_and_deep_relu_sum_logistic", wide=True, inputs=2, factors=3, hidden=[4],
         activation="relu", pooling="sum", loss="logistic", rows=5),
    dict(name="wide_and_deep_tanh_mean_squared", wide=True, inputs=3, factors=2,
         hidden=[3, 2], activation="tanh", pooling="mean", loss="squared", rows=5),
]


def build(case, params):
    """The model's parameters as torch tensors: layers, output, bias row, sparse rows."""
    layers = []
    for w, c in params["layers"]:
        layers.append((torch.nn.Parameter(torch.tensor(w)), torch.nn.Parameter(torch.tensor(c))))
    out = torch.nn.Parameter(torch.tensor([params["output"]]))
    bias = torch.nn.Parameter(torch.tensor(params["bias_row"]))
    rows = [torch.nn.Parameter(torch.tensor(r)) for r in params["rows"]]
    return layers, out, bias, rows


def sequential(case, layers, out):
    modules = []
    for w, c in layers:
        lin = torch.nn.Linear(w.shape[1], w.shape[0])
        lin.weight = w
        lin.bias = c
        modules.append(lin)
        modules.append(torch.nn.ReLU() if case["activation"] == "relu" else torch.nn.Tanh())
    final = torch.nn.Linear(out.shape[1], 1, bias=False)
    final.weight = out
    modules.append(final)
    return torch.nn.Sequential(*modules)


def activations(case, net, bias, rows, batch):
    out = []
    for ex in batch:
        a = bias[0]
        x0 = torch.tensor(ex["dense"])
        if case["wide"]:
            pooled = torch.zeros(case["factors"])
            for r, v in ex["sparse"]:
                a = a + rows[r][0] * v
                pooled = pooled + rows[r][1:] * v
            if case["pooling"] == "mean" and ex["sparse"]:
                pooled = pooled / len(ex["sparse"])
            x0 = torch.cat([x0, pooled])
        out.append(a + net(x0.unsqueeze(0))[0, 0])
    return out


def objective(case, acts, batch):
    total = 0
    for a, ex in zip(acts, batch):
        y = torch.tensor(ex["label"])
        if case["loss"] == "logistic":
            loss = torch.nn.functional.binary_cross_entropy_with_logits(a, y)
        else:
            loss = 0.5 * (a - y) ** 2
        total = total + ex["weight"] * loss
    return total / len(batch)


def all_params(layers, out, bias, rows):
    ps = []
    for w, c in layers:
        ps += [w, c]
    return ps + [out, bias] + rows


def snapshot(layers, out, bias, rows):
    return {
        "layers": [[w.detach().tolist(), c.detach().tolist()] for w, c in layers],
        "output": out.detach()[0].tolist(),
        "bias_row": bias.detach().tolist(),
        "rows": [r.detach().tolist() for r in rows],
    }


def grads(layers, out, bias, rows):
    def g(p):
        return None if p.grad is None else p.grad.tolist()
    return {
        "layers": [[g(w), g(c)] for w, c in layers],
        "output": g(out)[0],
        "bias_row": g(bias),
        "rows": [g(r) for r in rows],
    }


def run(case, params, batch, optimizer=None, steps=0):
    layers, out, bias, rows = build(case, params)
    net = sequential(case, layers, out)
    ps = all_params(layers, out, bias, rows)
    opt = None
    if optimizer is not None:
        _, cls, hp = optimizer
        opt = getattr(torch.optim, cls)(ps, **hp)
    acts = activations(case, net, bias, rows, batch)
    objective(case, acts, batch).backward()
    first = ([a.item() for a in acts], grads(layers, out, bias, rows))
    touched = {r for ex in batch for r, _ in ex["sparse"]}
    trajectory = []
    for step in range(steps):
        if step > 0:
            for p in ps:
                p.grad = None
            acts = activations(case, net, bias, rows, batch)
            objective(case, acts, batch).backward()
        for i, r in enumerate(rows):
            if i not in touched:
                r.grad = None  # an untouched row is not stepped
        opt.step()
        trajectory.append(snapshot(layers, out, bias, rows))
    return first, trajectory


def main():
    cases = []
    for case in CASES:
        widths = [case["inputs"] + case["factors"]] + case["hidden"]
        params = {
            "layers": [[[draw(widths[l]) for _ in range(widths[l + 1])], draw(widths[l + 1], 0.1)]
                       for l in range(len(case["hidden"]))],
            "output": draw(widths[-1]),
            "bias_row": draw(1 + case["factors"], 0.2),
            "rows": [draw(1 + case["factors"]) for _ in range(case["rows"])],
        }
        batch = []
        for e in range(3):
            sparse = []
            if case["wide"]:
                # rows 0..3 only: row 4 is never touched; example 2 of a mean case has none.
                chosen = rng.sample(range(4), 2 if e < 2 else (0 if case["pooling"] == "mean"
                                                               else 3))
                sparse = [[r, f32(rng.choice([1.0, 0.5, -1.5, 2.0]))] for r in chosen]
            label = (float(rng.random() < 0.5) if case["loss"] == "logistic"
                     else f32(rng.gauss(0.0, 1.0)))
            batch.append({"dense": draw(case["inputs"], 1.0), "sparse": sparse, "label": label,
                          "weight": [1.0, 2.0, 0.5][e]})
        out = dict(case)
        out["params"] = params
        out["batches"] = []
        for size in (1, 3):
            sub = batch[:size]
            (acts, g), _ = run(case, params, sub)
            steps = {}
            for opt in OPTIMIZERS:
                _, traj = run(case, params, sub, opt, 2)
                steps[opt[0]] = traj
            out["batches"].append({"examples": sub, "activations": acts, "gradients": g,
                                   "steps": steps})
        cases.append(out)
    meta = {"torch": torch.__version__,
            "optimizers": [{"name": n, "class": c, "hp": {k: (list(v) if isinstance(v, tuple)
                                                                 else v) for k, v in hp.items()}}
                           for n, c, hp in OPTIMIZERS]}
    with open(os.path.join(HERE, "deep.json"), "w") as f:
        json.dump({"meta": meta, "cases": cases}, f, indent=1)
        f.write("\n")


main()
