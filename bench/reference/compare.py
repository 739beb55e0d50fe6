#!/usr/bin/python3
"""Runs attnlab and the PyTorch-Python reference on the standard workload
alternately, in one go, and prints the ratio of their medians.

    bench/reference/compare.py                    # H = 256 and 512, 3 rounds
    bench/reference/compare.py --hidden 256 --rounds 5 --out bench/results/x.json

Each round runs, one after the other: attnlab (fused, its default),
attnlab --impl modules (the straightforward C++ port) and the reference.
Alternating spreads slow phases of the machine over all three. MFU is
each one's model FLOP/s over the fp32 peak that `attnlab bench gemm`
measures once at the start. The results go to bench/results/ as JSON (one
file per machine and date) unless --out says otherwise.
"""
import argparse
import datetime
import json
import os
import socket
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def run_json(command):
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--attnlab", default=os.path.join(ROOT, "build", "attnlab"))
    p.add_argument("--hidden", type=int, nargs="+", default=[256, 512])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=20, help="timed steps per repeat")
    p.add_argument("--repeats", type=int, default=3, help="repeats per round")
    p.add_argument("--out", help="JSON file (default bench/results/HOST-DATE-cpu.json)")
    a = p.parse_args()

    if not os.access(a.attnlab, os.X_OK):
        sys.exit(f"error: {a.attnlab} is not an executable; build first (make build)")
    try:
        subprocess.run(["/usr/bin/python3", "-c", "import torch"], check=True,
                       capture_output=True)
    except subprocess.CalledProcessError:
        sys.exit("error: the reference needs Debian's python3-torch "
                 "(scripts/install-deps.sh --bench installs it)")

    common = ["--threads", str(a.threads), "--steps", str(a.steps), "--repeats", str(a.repeats)]
    gemm = run_json([a.attnlab, "bench", "gemm", "--json", "--threads", str(a.threads)])
    peak = gemm["peak_gflops"]
    print(f"fp32 peak {peak:.1f} GFLOP/s ({a.threads} threads, {gemm['cpu']})", file=sys.stderr)
    implementations = {
        "attnlab": [a.attnlab, "bench", "train", "--json", "--peak-gflops", str(peak)] + common,
        "attnlab-modules": [a.attnlab, "bench", "train", "--json", "--impl", "modules",
                            "--peak-gflops", str(peak)] + common,
        "pytorch-python": ["/usr/bin/python3", os.path.join(HERE, "standard_workload.py")]
        + common,
    }
    results = {"date": datetime.date.today().isoformat(), "host": socket.gethostname(),
               "cpu": gemm["cpu"], "device": "cpu", "threads": a.threads,
               "torch": gemm["torch"], "blas": gemm["blas"],
               "blas_core": gemm.get("blas_core", ""), "attnlab_commit":
               gemm["attnlab_commit"], "peak_gflops": peak, "gemm": gemm, "workloads": []}
    for hidden in a.hidden:
        runs = {name: [] for name in implementations}
        for r in range(a.rounds):
            for name, command in implementations.items():
                j = run_json(command + ["--hidden", str(hidden)])
                runs[name].append(j)
                print(f"H={hidden} round {r + 1}/{a.rounds} {name}: "
                      f"{j['tokens_per_second']:.0f} tokens/s", file=sys.stderr)
        flops = runs["attnlab"][0]["flops_per_step"]
        tokens = runs["attnlab"][0]["batch"] * runs["attnlab"][0]["length"]
        summary = {}
        for name, js in runs.items():
            median = statistics.median(j["tokens_per_second"] for j in js)
            summary[name] = {"tokens_per_second": median,
                             "mfu": median / tokens * flops / (peak * 1e9),
                             "rounds": [j["tokens_per_second"] for j in js],
                             "final_loss": [j["final_loss"] for j in js]}
        reference = summary["pytorch-python"]["tokens_per_second"]
        for name in summary:
            summary[name]["ratio_to_reference"] = summary[name]["tokens_per_second"] / reference
        results["workloads"].append({"hidden": hidden, "embedding": 256, "batch": 64,
                                     "length": 30, "vocab": 32, "flops_per_step": flops,
                                     "results": summary})
        print(f"\nH = {hidden}: median tokens/s over {a.rounds} rounds")
        for name, s in summary.items():
            print(f"  {name:16} {s['tokens_per_second']:9.0f}  MFU {100 * s['mfu']:5.1f} %  "
                  f"x{s['ratio_to_reference']:.2f}")
    out = a.out or os.path.join(ROOT, "bench", "results",
                                f"{results['host']}-{results['date']}-cpu.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    print(f"\nwritten: {out}")


if __name__ == "__main__":
    main()
