#!/usr/bin/env python3
"""The peer: one SAGIPS training step of the 2-D proxy written in PyTorch, the way the QuantOm stack
does it today, timed on the same cores (or GPU) as bench_step.

Same problem as bench_step (DESIGN.md section 5): generator 10 -> 4x128 LeakyReLU(0.2) -> 5 sigmoid,
parameters scaled to the bounds; density on a G x G node grid; x from the piecewise-linear marginal CDF,
y from the conditional CDF at the sampled x (column cumulatives interpolated in x); Gaussian smearing
0.01; discriminator 2 -> 4x128 -> 1; least-squares GAN loss; Adam beta = (0.5, 0.999). The step is the
SAGIPS one: L_G = MSE(D(fake), 1), backward, G step; L_D = MSE(D(real), 1) + MSE(D(fake.detach()), 0),
backward, D step -- the discriminator runs three times and the first backward also fills D's
parameter gradients, which are then thrown away.

    torch_step.py --events 100000 --param-samples 100 --repeats 20 [--device cuda] [--json out.json]
"""
import argparse
import json
import statistics
import time

import torch

LO = torch.tensor([-0.5, 2.75, 0.0, 3.0, 0.0])
HI = torch.tensor([1.0, 4.0, 1.3, 4.5, 1.5])
TRUTH = torch.tensor([0.5, 3.0, 0.3, 4.0, 0.75])


def mlp(n_in, n_out, width=128, depth=4, out=None):
    layers, w = [], n_in
    for _ in range(depth):
        layers += [torch.nn.Linear(w, width), torch.nn.LeakyReLU(0.2)]
        w = width
    layers.append(torch.nn.Linear(w, n_out))
    if out is not None:
        layers.append(out)
    return torch.nn.Sequential(*layers)


class Sampler2D(torch.nn.Module):
    """Differentiable inverse-CDF sampling of the 2-D proxy on a G x G node grid."""

    def __init__(self, grid, lo=0.001, hi=0.999, resolution=0.01):
        super().__init__()
        self.register_buffer("nodes", torch.linspace(lo, hi, grid))
        self.h = (hi - lo) / (grid - 1)
        self.resolution = resolution

    def density(self, p):  # p [B, 5] -> sigma [B, G(x), G(y)]
        x = self.nodes.view(1, -1, 1)
        y = self.nodes.view(1, 1, -1)
        p = [p[:, j].view(-1, 1, 1) for j in range(5)]
        return x ** p[0] * (1 - x) ** p[1] * y ** p[2] * (1 - y) ** p[3] * (1 + p[4] * x * y)

    def cumtrapz(self, f):  # along the last axis, starting at 0
        c = torch.cumsum(0.5 * (f[..., 1:] + f[..., :-1]) * self.h, dim=-1)
        return torch.cat([torch.zeros_like(c[..., :1]), c], dim=-1)

    def invert(self, cdf, u):  # cdf [..., G] increasing from 0, u [..., M] in (0,1) -> index, fraction
        t = u * cdf[..., -1:]
        k = torch.searchsorted(cdf.detach().contiguous(), t.detach().contiguous(), right=True) - 1
        k = k.clamp(0, cdf.shape[-1] - 2)
        c0 = torch.gather(cdf, -1, k)
        c1 = torch.gather(cdf, -1, k + 1)
        return k, (t - c0) / (c1 - c0)

    def forward(self, p, m, uniforms, normals):
        b, g = p.shape[0], self.nodes.shape[0]
        sigma = self.density(p)                                   # [B, G, G]
        col = self.cumtrapz(sigma)                                # cumulative in y, per x node
        cdf_x = self.cumtrapz(col[..., -1])                       # [B, G]
        kx, fx = self.invert(cdf_x, uniforms[..., 0])             # [B, M]
        x = self.nodes[kx] + fx * self.h
        # conditional cumulative in y at x: interpolate the two neighbouring columns
        c0 = torch.gather(col, 1, kx.unsqueeze(-1).expand(b, m, g))
        c1 = torch.gather(col, 1, (kx + 1).unsqueeze(-1).expand(b, m, g))
        w = ((x - self.nodes[kx]) / self.h).unsqueeze(-1)
        cond = (1 - w) * c0 + w * c1                              # [B, M, G]
        ky, fy = self.invert(cond, uniforms[..., 1].unsqueeze(-1))
        y = self.nodes[ky.squeeze(-1)] + fy.squeeze(-1) * self.h
        events = torch.stack([x, y], dim=-1) + self.resolution * normals
        return events.reshape(b * m, 2)


def blas_libraries():
    """The BLAS this torch process loaded (Debian's torch calls whichever libblas.so.3 is selected:
    the reference BLAS is ~15x slower than OpenBLAS, so the peer is only fair with OpenBLAS)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
        return sorted(paths)
    except OSError:
        return []


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=100000, help="events per step")
    ap.add_argument("--param-samples", type=int, default=100, help="parameter sets per step (B)")
    ap.add_argument("--grid", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="CPU threads (one rank = one core)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--real-events", type=int, default=1000000)
    ap.add_argument("--json", default="")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    dev = torch.device(args.device)
    b = args.param_samples
    m = args.events // b
    gen = mlp(10, 5, out=torch.nn.Sigmoid()).to(dev)
    disc = mlp(2, 1).to(dev)
    sampler = Sampler2D(args.grid).to(dev)
    opt_g = torch.optim.Adam(gen.parameters(), lr=1e-5, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), lr=1e-4, betas=(0.5, 0.999))
    lo, hi = LO.to(dev), HI.to(dev)
    with torch.no_grad():
        n_real_sets = max(1, args.real_events // m)
        truth = TRUTH.to(dev).expand(n_real_sets, 5)
        real = sampler(truth, m, torch.rand(n_real_sets, m, 2, device=dev), torch.randn(n_real_sets, m, 2, device=dev))
    mse = torch.nn.MSELoss()

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    def step():
        z = torch.randn(b, 10, device=dev)
        p = lo + gen(z) * (hi - lo)
        fake = sampler(p, m, torch.rand(b, m, 2, device=dev), torch.randn(b, m, 2, device=dev))
        d_fake = disc(fake)
        loss_g = mse(d_fake, torch.ones_like(d_fake))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        batch = real[torch.randint(0, real.shape[0], (fake.shape[0],), device=dev)]
        d_real = disc(batch)
        d_fake2 = disc(fake.detach())
        loss_d = mse(d_real, torch.ones_like(d_real)) + mse(d_fake2, torch.zeros_like(d_fake2))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()

    for _ in range(args.warmup):
        step()
    sync()
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    result = {"name": "torch_step", "torch": torch.__version__, "device": str(dev), "threads": args.threads,
              "events": b * m, "param_samples": b, "events_per_sample": m, "grid": args.grid,
              "median_s": med, "min_s": min(times), "max_s": max(times), "repeats": len(times),
              "events_per_s": b * m / med, "blas": blas_libraries()}
    print(f"torch {torch.__version__} on {dev} ({args.threads} thread(s)): {b * m} events/step "
          f"({b} x {m}), median {med * 1e3:.2f} ms/step, {b * m / med:.3g} events/s; BLAS {result['blas']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
