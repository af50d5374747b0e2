#!/usr/bin/python3
"""Golden vectors for Gradflow's optimizers and learning-rate schedules.

Every optimizer trajectory is computed by PyTorch's own torch.optim on one float32 parameter
tensor (a row): a step whose gradient is null leaves p.grad = None, so torch skips the row and
its state (step count, moments) is untouched, which is exactly Gradflow's per-row lazy semantics.
FTRL-Proximal is not in torch.optim: its trajectories come from a direct float64 transcription of
McMahan et al. 2013, Algorithm 1 (per coordinate), written here independently of the Java code.
Schedules come from torch.optim.lr_scheduler, stepping the scheduler once per tick.

The output files are committed; the build never runs this script. To regenerate (Debian 12):
    apt-get install python3-torch && /usr/bin/python3 golden/generate.py
Inputs are drawn from a fixed seed, so a rerun with the same PyTorch reproduces the files.
"""
import json
import math
import os
import random

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(20261128)


def f32(x):
    """The float32 value nearest x, as a Python float (exact, so Java reads the same float)."""
    return torch.tensor(x, dtype=torch.float32).item()


def gradients(width, steps, scales, skip_probability):
    out = []
    for _ in range(steps):
        if rng.random() < skip_probability:
            out.append(None)
            continue
        scale = rng.choice(scales)
        out.append([f32(rng.gauss(0.0, 1.0) * scale) for _ in range(width)])
    return out


def torch_trajectory(name, hp, initial, grads):
    param = torch.nn.Parameter(torch.tensor(initial, dtype=torch.float32))
    kwargs = dict(hp)
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    optimizer = getattr(torch.optim, name)([param], **kwargs)
    trajectory = []
    for g in grads:
        param.grad = None if g is None else torch.tensor(g, dtype=torch.float32)
        optimizer.step()
        trajectory.append(param.detach().tolist())
    return trajectory


def ftrl_trajectory(hp, initial, grads):
    alpha = hp.get("alpha", 0.1)
    beta = hp.get("beta", 1.0)
    l1 = hp.get("l1", 0.0)
    l2 = hp.get("l2", 0.0)

    def weight(z, n):
        if abs(z) <= l1:
            return 0.0
        return -(z - math.copysign(l1, z)) / ((beta + math.sqrt(n)) / alpha + l2)

    n = [0.0] * len(initial)
    # Warm start: the z for which the closed form gives the initial weight at n = 0.
    z = [0.0 if w == 0 else -w * (beta / alpha + l2) - math.copysign(l1, w) for w in initial]
    w = list(initial)
    trajectory = []
    for g in grads:
        if g is not None:
            for i, gi in enumerate(g):
                sigma = (math.sqrt(n[i] + gi * gi) - math.sqrt(n[i])) / alpha
                z[i] += gi - sigma * w[i]
                n[i] += gi * gi
                w[i] = weight(z[i], n[i])
        trajectory.append(list(w))
    return trajectory


CONFIGS = {
    "SGD": [
        {"lr": 0.1},
        {"lr": 0.05, "momentum": 0.9},
        {"lr": 0.05, "momentum": 0.9, "dampening": 0.5},
        {"lr": 0.05, "momentum": 0.9, "nesterov": True},
        {"lr": 0.01, "momentum": 0.5, "weight_decay": 0.1},
        {"lr": 0.1, "weight_decay": 0.01, "maximize": True},
    ],
    "Adagrad": [
        {"lr": 0.1},
        {"lr": 0.5, "lr_decay": 0.01},
        {"lr": 0.1, "initial_accumulator_value": 0.1, "eps": 1e-6},
        {"lr": 0.1, "weight_decay": 0.05},
        {"lr": 0.05, "maximize": True},
    ],
    "RMSprop": [
        {"lr": 0.01},
        {"lr": 0.01, "centered": True},
        {"lr": 0.01, "momentum": 0.9},
        {"lr": 0.005, "centered": True, "momentum": 0.5, "weight_decay": 0.01},
        {"lr": 0.01, "alpha": 0.9, "eps": 1e-6},
    ],
    "Adadelta": [
        {},
        {"lr": 0.5, "rho": 0.95},
        {"lr": 1.0, "eps": 1e-4, "weight_decay": 0.01},
    ],
    "Adam": [
        {"lr": 0.001},
        {"lr": 0.01, "betas": [0.8, 0.99]},
        {"lr": 0.01, "amsgrad": True},
        {"lr": 0.01, "weight_decay": 0.1},
        {"lr": 0.05, "betas": [0.5, 0.9], "eps": 1e-6, "amsgrad": True, "weight_decay": 0.01},
    ],
    "AdamW": [
        {"lr": 0.001},
        {"lr": 0.01, "weight_decay": 0.1},
        {"lr": 0.01, "amsgrad": True, "weight_decay": 0.05},
        {"lr": 0.05, "betas": [0.0, 0.5]},
    ],
    "Ftrl": [
        {"alpha": 0.1},
        {"alpha": 0.5, "beta": 1.0, "l1": 0.5, "l2": 0.1},
        {"alpha": 0.05, "beta": 0.5, "l1": 0.01},
    ],
}

# (label, steps, gradient scales, probability that the row skips a step)
SHAPES = [
    ("dense", 30, [1.0], 0.0),
    ("mixed-scales", 30, [1e-3, 1e-1, 1.0, 10.0, 100.0], 0.0),
    ("sparse", 40, [1e-2, 1.0, 10.0], 0.4),
]


def optimizer_cases():
    cases = []
    for name, configs in CONFIGS.items():
        for hp in configs:
            for label, steps, scales, skip in SHAPES:
                width = rng.randint(1, 6)
                if name == "Ftrl" and label == "dense":
                    initial = [0.0] * width  # the paper's cold start
                else:
                    initial = [f32(rng.gauss(0.0, 0.5)) for _ in range(width)]
                grads = gradients(width, steps, scales, skip)
                if name == "Ftrl":
                    expected = ftrl_trajectory(hp, initial, grads)
                else:
                    expected = torch_trajectory(name, hp, initial, grads)
                cases.append({
                    "label": f"{name} {json.dumps(hp, sort_keys=True)} {label}",
                    "optimizer": name,
                    "hyperparameters": hp,
                    "initial": initial,
                    "gradients": grads,
                    "expected": expected,
                })
    return cases


def schedule_cases():
    def run(make, ticks):
        param = torch.nn.Parameter(torch.zeros(1))
        optimizer = torch.optim.SGD([param], lr=0.1)
        scheduler = make(optimizer)
        rates = []
        for _ in range(ticks):
            rates.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
        return rates

    S = torch.optim.lr_scheduler
    return [
        {"schedule": {"type": "step", "step_size": 3, "gamma": 0.5}, "base_lr": 0.1,
         "expected": run(lambda o: S.StepLR(o, step_size=3, gamma=0.5), 20)},
        {"schedule": {"type": "exponential", "period": 1, "gamma": 0.9}, "base_lr": 0.1,
         "expected": run(lambda o: S.ExponentialLR(o, gamma=0.9), 30)},
        {"schedule": {"type": "cosine", "t_max": 10, "eta_min": 0.001}, "base_lr": 0.1,
         "expected": run(lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.001), 11)},
        {"schedule": {"type": "cosine_warm_restarts", "t_0": 3, "t_mult": 2, "eta_min": 0.01},
         "base_lr": 0.1,
         "expected": run(lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.01), 50)},
        {"schedule": {"type": "cosine_warm_restarts", "t_0": 5, "t_mult": 1, "eta_min": 0.0},
         "base_lr": 0.1,
         "expected": run(lambda o: S.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=1), 23)},
        {"schedule": {"type": "warmup", "warmup": 5, "start_factor": 0.1,
                      "then": {"type": "cosine", "t_max": 10, "eta_min": 0.0}}, "base_lr": 0.1,
         "expected": run(lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=5),
                                                      S.CosineAnnealingLR(o, T_max=10)],
                                                  milestones=[5]), 16)},
    ]


def write(name, payload):
    path = os.path.join(HERE, name)
    with open(path, "w") as out:
        json.dump(payload, out, separators=(",", ":"))
        out.write("\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    meta = {"generator": "golden/generate.py", "torch": torch.__version__, "seed": 20261128}
    write("optimizers.json", {"meta": meta, "cases": optimizer_cases()})
    write("schedules.json", {"meta": meta, "cases": schedule_cases()})
