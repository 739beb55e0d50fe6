#!/usr/bin/python3
"""Runs attnlab and the PyTorch-Python reference on the same models
alternately, in one go, and prints the ratio of their medians.

    bench/reference/compare.py                          # every CPU case, 3 rounds
    bench/reference/compare.py --cases default-general --rounds 5
    bench/reference/compare.py --device cuda --python python3 --out DIR/x-cuda.json

Cases on the CPU: the model of `make run` (additive, as configured, and
general), one thread; the earlier standard workload (`attnlab bench train
--workload standard`, GRU 256 and 512, batch 64, length 30), two threads.
Each round runs, one after the other: attnlab (its default, the fused
engine), attnlab with train.engine=modules, and
bench/reference/default_model.py with the same model.

Cases on a GPU (--device cuda): the model of `make run`, also trained by
attnlab on two CPU threads of the same machine (is the GPU worth it for a
model this small?); `--workload large` (GRU 1024, batch 256) in fp32 and in
bf16 autocast. Each round runs attnlab (on a GPU always LibTorch's modules)
and the reference.

Alternating spreads slow phases of the machine over all implementations.
MFU is each one's model FLOP/s (attnlab's count of the same model's matrix
products) over the peak that `attnlab bench gemm` measures once at the start
for the device, threads and dtype (bf16 for autocast) it ran with. The
results go to bench/results/ as JSON (one file per machine, date and device)
unless --out says otherwise.
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
LARGE = STANDARD + ["--hidden", "1024", "--batch", "256"]
# device: {case: (threads, timed steps per repeat, attnlab arguments,
#                 reference arguments)}
CASES = {
    "cpu": {
        "default-additive": (1, 200, [], ["--attention", "additive"]),
        "default-general": (1, 200, ["attention=general"], ["--attention", "general"]),
        "standard-256": (2, 10, ["--workload", "standard", "--warmup", "3"],
                         STANDARD + ["--hidden", "256"]),
        "standard-512": (2, 5, ["--workload", "standard-512", "--warmup", "3"],
                         STANDARD + ["--hidden", "512"]),
    },
    "cuda": {
        "default-additive": (1, 200, [], ["--attention", "additive"]),
        "large": (1, 20, ["--workload", "large", "--warmup", "3"], LARGE),
        "large-bf16": (1, 20, ["--workload", "large", "--warmup", "3", "train.precision=bf16"],
                       LARGE + ["--precision", "bf16"]),
    },
}


def run_json(command):
    out = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {out.returncode}: "
                           + "\n".join(out.stderr.strip().splitlines()[-15:]))
    return json.loads(out.stdout.strip().splitlines()[-1])


def implementations(a, case, threads, steps, attnlab_args, reference_args):
    """name: (command, device, threads, dtype) for one case."""
    dtype = "bf16" if "train.precision=bf16" in attnlab_args else "fp32"
    common = ["--steps", str(steps), "--repeats", str(a.repeats)]
    attnlab = [a.attnlab, "bench", "train", "--format", "json"] + common
    reference = [a.python, os.path.join(HERE, "default_model.py")] + common + reference_args
    on = ["--device", a.device, "--threads", str(threads)]
    out = {"attnlab": (attnlab + on + attnlab_args, a.device, threads, dtype)}
    if a.device == "cpu":
        out["attnlab-modules"] = (attnlab + on + attnlab_args + ["train.engine=modules"],
                                  "cpu", threads, dtype)
    elif case == "default-additive":
        out["attnlab-cpu-2-threads"] = (attnlab + ["--device", "cpu", "--threads", "2"]
                                        + attnlab_args, "cpu", 2, dtype)
    out["pytorch-python"] = (reference + on, a.device, threads, dtype)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--attnlab", default=os.path.join(ROOT, "build", "attnlab"))
    p.add_argument("--device", choices=list(CASES), default="cpu")
    p.add_argument("--python", default="/usr/bin/python3",
                   help="the Python whose PyTorch runs the reference")
    p.add_argument("--cases", nargs="+", help="default: every case of the device")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--repeats", type=int, default=3, help="repeats per round")
    p.add_argument("--out", help="JSON file (default bench/results/HOST-DATE-DEVICE.json)")
    a = p.parse_args()
    cases = CASES[a.device]
    for case in a.cases or []:
        if case not in cases:
            sys.exit(f"error: no case '{case}' on {a.device}; valid: {', '.join(cases)}")

    if not os.access(a.attnlab, os.X_OK):
        sys.exit(f"error: {a.attnlab} is not an executable; build first (make build)")
    try:
        subprocess.run([a.python, "-c", "import torch"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        sys.exit(f"error: the reference needs PyTorch in {a.python} (on Debian, "
                 "scripts/install-deps.sh --bench-reference installs python3-torch)")

    results = {"date": datetime.date.today().isoformat(), "host": socket.gethostname(),
               "device": a.device, "cases": []}

    peaks = {}

    def peak(device, threads, dtype):
        key = (device, threads, dtype)
        if key not in peaks:
            gemm = run_json([a.attnlab, "bench", "gemm", "--format", "json", "--device", device,
                             "--threads", str(threads), "--dtype", dtype])
            peaks[key] = gemm["peak_gflops"]
            if device == a.device:
                results.update({"cpu": gemm["cpu"], "gpu": gemm.get("gpu", ""),
                                "torch": gemm["torch"], "blas": gemm["blas"],
                                "blas_core": gemm.get("blas_core", ""),
                                "attnlab_commit": gemm["attnlab_commit"]})
            print(f"{dtype} peak {peaks[key]:.1f} GFLOP/s ({device}, {threads} thread(s))",
                  file=sys.stderr)
        return peaks[key]

    out = a.out or os.path.join(ROOT, "bench", "results",
                                f"{results['host']}-{results['date']}-{a.device}.json")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    failed = False
    for case in a.cases or list(cases):
        try:
            results["cases"].append(measure(a, case, cases[case], peak))
        except (RuntimeError, ValueError, KeyError) as e:
            # One case's failure is recorded; the others still run.
            print(f"\n{case}: failed: {e}", file=sys.stderr)
            results["cases"].append({"case": case, "error": str(e)})
            failed = True
        with open(out, "w") as f:  # after every case: a cut run keeps what it measured
            json.dump(results, f, indent=1)
            f.write("\n")
    print(f"\nwritten: {out}")
    return 1 if failed else 0


def measure(a, case, spec, peak):
    """Runs one case's implementations alternately; returns its JSON record."""
    threads, steps, attnlab_args, reference_args = spec
    impls = implementations(a, case, threads, steps, attnlab_args, reference_args)
    runs = {name: [] for name in impls}
    impl_peaks = {name: peak(device, t, dtype) for name, (_, device, t, dtype) in impls.items()}
    for r in range(a.rounds):
        for name, (command, _, _, _) in impls.items():
            if name.startswith("attnlab"):
                command = command + ["--peak-gflops", str(impl_peaks[name])]
            j = run_json(command)
            runs[name].append(j)
            print(f"{case} round {r + 1}/{a.rounds} {name}: "
                  f"{j['steps_per_second']:.1f} steps/s", file=sys.stderr)
    flops = statistics.mean(j["flops_per_step"] for j in runs["attnlab"])
    summary = {}
    for name, js in runs.items():
        _, device, impl_threads, dtype = impls[name]
        median = statistics.median(j["steps_per_second"] for j in js)
        summary[name] = {"device": device, "threads": impl_threads, "dtype": dtype,
                         "peak_gflops": impl_peaks[name], "steps_per_second": median,
                         "mfu": median * flops / (impl_peaks[name] * 1e9),
                         "rounds": [j["steps_per_second"] for j in js],
                         "final_loss": [j["final_loss"] for j in js]}
    reference = summary["pytorch-python"]["steps_per_second"]
    for name in summary:
        summary[name]["ratio_to_reference"] = summary[name]["steps_per_second"] / reference
    print(f"\n{case} ({runs['attnlab'][0]['model']}; {threads} thread(s)): "
          f"median steps/s over {a.rounds} rounds")
    for name, s in summary.items():
        print(f"  {name:22} {s['steps_per_second']:9.1f}  MFU {100 * s['mfu']:5.1f} % "
              f"of {s['dtype']} {s['device']}  x{s['ratio_to_reference']:.2f}")
    return {"case": case, "threads": threads, "peak_gflops": summary["attnlab"]["peak_gflops"],
            "model": runs["attnlab"][0]["model"], "gpu": runs["attnlab"][0].get("gpu", ""),
            "flops_per_step": flops, "results": summary}


if __name__ == "__main__":
    sys.exit(main())
