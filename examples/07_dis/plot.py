#!/usr/bin/env python3
"""The answer of examples/07_dis as a physicist reads it: the valence densities x u_v(x) and x d_v(x)
of each independent model (thin lines), their mean with a band of +-1 standard deviation over the
models, the truth, and the maximum-likelihood fit of the same events.

    plot.py OUTPUT_DIR                  (reads summary.json; writes densities.png and densities.json)
    plot.py OUTPUT_DIR --mle OTHER_DIR  (the fit's curve from another run's summary.json, e.g. a short
                                         `dis --steps 10` on the same events with a newer fit)

The fit's curve is labelled with its status: "at a bound" or "not determined" says the events do not
fix that density, and the curve is then one point of a flat likelihood, not a measurement.

The densities follow sagips/sim/dis.hpp: x q_v = N / B(lambda, K + 1) x^lambda (1 - x)^K with N = 2
for u_v and 1 for d_v (the number sum rules).
"""
import argparse
import json
import math
import pathlib
import re
import sys


def valence(lam, k, x, norm):
    log_beta = math.lgamma(lam) + math.lgamma(k + 1) - math.lgamma(lam + k + 1)
    return norm * math.exp(lam * math.log(x) + k * math.log1p(-x) - log_beta)


def curves(p, xs):
    return [valence(p[0], p[1], x, 2.0) for x in xs], [valence(p[2], p[3], x, 1.0) for x in xs]


def band(members, xs, which):
    values = [curves(m, xs)[which] for m in members]
    mean = [sum(v[i] for v in values) / len(values) for i in range(len(xs))]
    std = [math.sqrt(sum((v[i] - mean[i]) ** 2 for v in values) / max(1, len(values) - 1)) for i in range(len(xs))]
    return values, mean, std


def fit_caveat(status, which, names):
    """' (at a bound: K_d)' when the fit's status names a parameter of this panel's density (u_v: p0, p1;
    d_v: p2, p3), else ''."""
    head = status.split(" (")[0]
    if ":" not in head:
        return ""
    kind, listed = head.split(":", 1)
    mine = [int(i) for i in re.findall(r"p(\d+)", listed) if int(i) in (2 * which, 2 * which + 1)]
    return f" ({kind}: {', '.join(names[i] for i in mine)})" if mine else ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("output", help="the run's --output folder")
    ap.add_argument("--mle", default="", help="take the maximum-likelihood fit from this folder's summary.json")
    args = ap.parse_args()
    out = pathlib.Path(args.output)
    summary = json.loads((out / "summary.json").read_text())
    truth = summary["parameters"].get("truth")
    names = summary["parameters"].get("names") or ["lambda_u", "K_u", "lambda_d", "K_d"]
    members = summary.get("member_estimates") or [summary["parameters"]["estimate"]]
    fit = summary.get("mle")
    if args.mle:
        other = json.loads((pathlib.Path(args.mle) / "summary.json").read_text())
        if "mle" not in other:
            sys.exit(f"plot.py: {args.mle}/summary.json has no maximum-likelihood fit")
        if other["mle"].get("events") != (fit or {}).get("events", other["mle"].get("events")):
            sys.exit("plot.py: the two runs' fits saw different event counts: not the same events")
        fit = other["mle"]
    xs = [10 ** (-3 + 3 * i / 200) for i in range(200)] + [0.999]
    record = {"x": xs}
    for which, name in ((0, "x_uv"), (1, "x_dv")):
        values, mean, std = band(members, xs, which)
        record[name] = {"mean": mean, "std": std, "models": len(values)}
        if truth:
            record[name]["truth"] = curves(truth, xs)[which]
        if fit:
            record[name]["mle"] = curves(fit["value"], xs)[which]
            record[name]["mle_status"] = fit.get("status", "")
    (out / "densities.json").write_text(json.dumps(record, indent=1) + "\n")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot.py: matplotlib is not available; wrote densities.json only")
        return 0
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, (which, label) in zip(axes, ((0, "x u_v(x)"), (1, "x d_v(x)"))):
        name = ("x_uv", "x_dv")[which]
        values, mean, std = band(members, xs, which)
        for v in values:
            ax.plot(xs, v, color="C0", alpha=0.25, lw=0.8)
        ax.fill_between(xs, [m - s for m, s in zip(mean, std)], [m + s for m, s in zip(mean, std)], color="C0",
                        alpha=0.3, label=f"GAN: {len(values)} models, mean +- 1 sd")
        ax.plot(xs, mean, color="C0")
        if truth:
            ax.plot(xs, record[name]["truth"], "k--", label="truth")
        if fit:
            label_fit = "maximum-likelihood fit" + fit_caveat(fit.get("status", ""), which, names)
            ax.plot(xs, record[name]["mle"], color="C3", lw=1, label=label_fit)
        ax.set_xscale("log")
        ax.set_xlabel("x")
        ax.set_title(label)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "densities.png", dpi=120)
    print(f"wrote {out / 'densities.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
