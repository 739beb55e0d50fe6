#!/usr/bin/python3
"""Runs attnlab and the PyTorch-Python reference on the same models
alternately, in one go, and prints the ratio of their medians.

    bench/reference/compare.py                          # every case, 3 rounds
    bench/reference/compare.py --cases default-general --rounds 5
    bench/reference/compare.py --out bench/results/x.json

Cases: the model of `make run` (additive, as configured, and general), one
thread; the earlier standard workload (`attnlab bench train --workload
standard`, GRU 256 and 512, batch 64, length 30), two threads. Each round
runs, one after the other: attnlab (its default, the fused engine),
attnlab with train.engine=modules, and bench/reference/default_model.py
with the same model. Alternating spreads slow phases of the machine over
all three. MFU is each one's model FLOP/s (attnlab's count of the same
model's matrix products) over the fp32 peak that `attnlab bench gemm`
measures once at the start, with the case's threads. The results go to
bench/results/ as JSON (one file per machine and date) unless --out says
otherwise.
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

STANDARD = ["--attention", "general", "--embedding", "256", "--batch", "64",
            "--lengths", "30", "30", "--symbols", "29", "--warmup", "3"]
# name: (threads, timed steps per repeat, attnlab arguments, reference arguments)
CASES = {
    "default-additive": (1, 200, [], ["--attention", "additive"]),
    "default-general": (1, 200, ["attention=general"], ["--attention", "general"]),
    "standard-256": (2, 10, ["--workload", "standard", "--warmup", "3"],
                     STANDARD + ["--hidden", "256"]),
    "standard-512": (2, 5, ["--workload", "standard-512", "--warmup", "3"],
                     STANDARD + ["--hidden", "512"]),
}


def run_json(command):
    out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--attnlab", default=os.path.join(ROOT, "build", "attnlab"))
    p.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    p.add_argument("--rounds", type=int, default=3)
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

    peaks = {}
    results = {"date": datetime.date.today().isoformat(), "host": socket.gethostname(),
               "device": "cpu", "cases": []}
    for case in a.cases:
        threads, steps, attnlab_args, reference_args = CASES[case]
        if threads not in peaks:
            gemm = run_json([a.attnlab, "bench", "gemm", "--json", "--threads", str(threads)])
            peaks[threads] = gemm["peak_gflops"]
            results.update({"cpu": gemm["cpu"], "torch": gemm["torch"], "blas": gemm["blas"],
                            "blas_core": gemm.get("blas_core", ""),
                            "attnlab_commit": gemm["attnlab_commit"]})
            print(f"fp32 peak {peaks[threads]:.1f} GFLOP/s ({threads} thread(s), {gemm['cpu']})",
                  file=sys.stderr)
        peak = peaks[threads]
        common = ["--threads", str(threads), "--steps", str(steps), "--repeats", str(a.repeats)]
        attnlab = [a.attnlab, "bench", "train", "--json", "--peak-gflops", str(peak)] + common
        implementations = {
            "attnlab": attnlab + attnlab_args,
            "attnlab-modules": attnlab + attnlab_args + ["train.engine=modules"],
            "pytorch-python": ["/usr/bin/python3", os.path.join(HERE, "default_model.py")]
            + common + reference_args,
        }
        runs = {name: [] for name in implementations}
        for r in range(a.rounds):
            for name, command in implementations.items():
                j = run_json(command)
                runs[name].append(j)
                print(f"{case} round {r + 1}/{a.rounds} {name}: "
                      f"{j['steps_per_second']:.1f} steps/s", file=sys.stderr)
        flops = statistics.mean(j["flops_per_step"] for j in runs["attnlab"])
        summary = {}
        for name, js in runs.items():
            median = statistics.median(j["steps_per_second"] for j in js)
            summary[name] = {"steps_per_second": median,
                             "mfu": median * flops / (peak * 1e9),
                             "rounds": [j["steps_per_second"] for j in js],
                             "final_loss": [j["final_loss"] for j in js]}
        reference = summary["pytorch-python"]["steps_per_second"]
        for name in summary:
            summary[name]["ratio_to_reference"] = summary[name]["steps_per_second"] / reference
        results["cases"].append({"case": case, "threads": threads, "peak_gflops": peak,
                                 "model": runs["attnlab"][0]["model"],
                                 "flops_per_step": flops, "results": summary})
        print(f"\n{case} ({runs['attnlab'][0]['model']}; {threads} thread(s)): "
              f"median steps/s over {a.rounds} rounds")
        for name, s in summary.items():
            print(f"  {name:16} {s['steps_per_second']:9.1f}  MFU {100 * s['mfu']:5.1f} %  "
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
