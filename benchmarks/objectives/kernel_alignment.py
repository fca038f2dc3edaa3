#!/usr/bin/python3
"""How differently do the Gaussian and the inverse-multiquadric MMD push the fake events? For a real
sample and a fake one shifted a little from it (2-D: a Beta-shaped pair of coordinates and a Gaussian
pair), the gradient of the unbiased MMD^2 with respect to every fake event, for each kernel summed over
the scales h x {1/4, 1/2, 1, 2, 4} (docs/objectives.md), at h = the median distance between real events
and at a tenth of it; prints the cosine between the two kernels' gradients and the ratio of their norms,
writes OUT (JSON). An Adam step follows a gradient's direction, not its size: gradients with a cosine
near 1 train the generator along the same path. Needs numpy (Debian's python3; scripts/deps installs it);
not part of the tests.

    benchmarks/objectives/kernel_alignment.py --out kernel_alignment.json
"""
import argparse
import json

import numpy as np

SCALES = np.array([0.25, 0.5, 1.0, 2.0, 4.0])


def kernel_slope(name, r2, h):
    """d f / d r2 of the kernel summed over the scales, f a function of the squared distance r2."""
    total = np.zeros_like(r2)
    for s in SCALES * h:
        if name == "gaussian":
            total -= np.exp(-r2 / (2 * s * s)) / (2 * s * s)
        else:
            total -= s * s / (s * s + r2) ** 2
    return total


def mmd_gradient(fake, real, name, h):
    """d MMD^2 / d fake, MMD^2 = mean_{i != k} f(x_i, x_k) - 2 mean_{i, j} f(x_i, y_j) + (real-real term)."""
    n, m = len(fake), len(real)
    cross = fake[:, None, :] - real[None, :, :]
    within = fake[:, None, :] - fake[None, :, :]
    slope_cross = kernel_slope(name, (cross ** 2).sum(-1), h)
    slope_within = kernel_slope(name, (within ** 2).sum(-1), h)
    np.fill_diagonal(slope_within, 0.0)
    grad = -2.0 * (2.0 * slope_cross[:, :, None] * cross).sum(1) / (n * m)
    grad += 2.0 * (2.0 * slope_within[:, :, None] * within).sum(1) / (n * (n - 1))
    return grad.ravel()


def median_distance(real, k=500):
    d = np.sqrt(((real[:k, None, :] - real[None, :k, :]) ** 2).sum(-1))
    return float(np.median(d[np.triu_indices(k, 1)]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=2048, help="events per sample (the proxy's 16 x 128 per step)")
    ap.add_argument("--shift", type=float, default=0.1, help="how far the fake sample's shape is moved")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="kernel_alignment.json")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    samples = {
        "beta": lambda n, t: np.column_stack([rng.beta(2 + t, 5, n), rng.beta(3, 2 - t, n)]),
        "gaussian": lambda n, t: rng.normal([t, 0.0], [1.0, 0.5], (n, 2)),
    }
    rows = []
    print(f"{'sample':10} {'h':>8} {'cosine':>8} {'|g_gauss|/|g_imq|':>18}")
    for label, draw in samples.items():
        real, fake = draw(args.events, 0.0), draw(args.events, args.shift)
        median = median_distance(real)
        for h in (median, 0.1 * median):
            g = mmd_gradient(fake, real, "gaussian", h)
            q = mmd_gradient(fake, real, "imq", h)
            cosine = float(g @ q / np.linalg.norm(g) / np.linalg.norm(q))
            ratio = float(np.linalg.norm(g) / np.linalg.norm(q))
            rows.append({"sample": label, "bandwidth": h, "median_distance": median, "cosine": cosine,
                         "norm_ratio": ratio})
            print(f"{label:10} {h:8.3f} {cosine:8.4f} {ratio:18.3f}")
    with open(args.out, "w") as f:
        json.dump({"events": args.events, "shift": args.shift, "seed": args.seed, "rows": rows}, f, indent=1)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
