"""Turns the benchmark's JSON results into the table, docs/benchmarks.md and the chart.

    /usr/bin/python3 bench/report.py RESULTS.json [--markdown docs/benchmarks.md] [--png docs/benchmarks.png]

(bench/run calls it at the end; run it alone to redo the page from saved results.)
The markdown page keeps everything above the GENERATED marker (the hand-written
method section) and rewrites everything below it.
"""

import argparse
import json
import math
import os
import sys

GENERATED = "<!-- Everything below this line is written by bench/run; edit above it. -->"

# Targets from the CPU-backend issue: the most nutshell/PyTorch time ratio
# allowed, and the batches it applies to (at every thread count measured).
TARGETS = {
    "logreg": (0.5, {1}), "mlp": (0.5, {1}), "maxout": (0.5, {1}), "lenet5": (0.5, {1}),
    "trafficsign": (0.5, {1}), "lstm": (0.5, {1}),
    "bigconv": (0.33, {1, 16}),
    "inception3a": (1.0, {1, 16}), "resnet18": (1.0, {1, 16}),
}
# The zoo (bench/zoo.py, bench/run --zoo; its names are in the results,
# "zoo_models"): models nobody tuned nutshell for. Each must take at most ZOO_TARGET times ONNX Runtime's and OpenVINO's time,
# and the geometric mean of nutshell/ORT over the zoo at most ZOO_GEOMEAN_TARGET.
ZOO_TARGET, ZOO_GEOMEAN_TARGET = 1.0, 0.8
# Import to runnable with a cold cache: resnet18 under 0.5 s, resnet50 and
# inception_v3 under 1.5 s, every other zoo model under 3 s.
COMPILE_TARGET_MS = {"resnet18": 500.0, "resnet50": 1500.0, "inception_v3": 1500.0}
ZOO_COMPILE_TARGET_MS = 3000.0
NOISY = 2.0  # median / min above this: flagged as noisy


def ms(value):
    if value is None:
        return "-"
    if value < 0.1:
        return f"{value:.4f}"
    if value < 10:
        return f"{value:.3f}"
    return f"{value:.1f}"


def median(cell):
    return cell.get("median_ms") if isinstance(cell, dict) else None


def peak_per_core(results):
    one = results.get("peak", {}).get("1")
    return one["gflops_per_core"] if one else None


def analyse(results):
    """One dict per row with the derived numbers and the target verdict."""
    peak = peak_per_core(results)
    zoo = set(results.get("zoo_models", []))
    one_thread = {(r["model"], r["batch"]): r for r in results["rows"] if r["threads"] == 1}
    out = []
    for row in results["rows"]:
        nut, pt, ort = median(row.get("nutshell")), median(row.get("torch")), median(row.get("ort"))
        ov = median(row.get("openvino"))
        check = results.get("checks", {}).get(row["model"], {}).get("nutshell", {})
        derived = dict(row)
        derived["nut_ms"], derived["torch_ms"], derived["ort_ms"] = nut, pt, ort
        derived["r_torch"] = nut / pt if nut and pt else None
        derived["r_ort"] = nut / ort if nut and ort else None
        derived["ov_ms"] = ov
        derived["avx2_ms"] = median(row.get("nutshell_avx2"))
        derived["r_ort_avx2"] = derived["avx2_ms"] / ort if derived["avx2_ms"] and ort else None
        derived["r_ov"] = nut / ov if nut and ov else None
        # Best-of-runs ratio: less sensitive to other load on the machine.
        nut_min = row.get("nutshell", {}).get("min_ms")
        pt_min = row.get("torch", {}).get("min_ms")
        derived["r_torch_min"] = nut_min / pt_min if nut_min and pt_min else None
        derived["gflops"] = row["flops"] / (nut * 1e6) if nut and row.get("flops") else None
        derived["pct_peak"] = (100 * derived["gflops"] / (peak * row["threads"])
                               if derived["gflops"] and peak else None)
        derived["check"] = check.get("status", "not run")
        derived["zoo"] = row["model"] in zoo
        # A median far above the best run means other processes took the CPU
        # during the measurement: the row is flagged, its ratio is unreliable.
        derived["noisy"] = any(isinstance(row.get(k), dict) and row[k].get("min_ms") and
                               row[k].get("median_ms", 0) > NOISY * row[k]["min_ms"]
                               for k in ("nutshell", "torch", "ort", "openvino"))
        # More threads never make a run twice as slow on an idle machine; when
        # they do, the machine was oversubscribed (every OpenMP barrier waited
        # for a descheduled thread), and the row is flagged the same way.
        base = one_thread.get((row["model"], row["batch"]))
        if row["threads"] > 1 and base:
            derived["noisy"] = derived["noisy"] or any(
                median(row.get(k)) and median(base.get(k)) and median(row[k]) > NOISY * median(base[k])
                for k in ("nutshell", "torch", "ort", "openvino"))
        target = TARGETS.get(row["model"])
        if target and row["batch"] in target[1]:
            derived["target"] = target[0]
            if nut is None:
                derived["verdict"] = "missed (error)"
            elif pt is None:
                derived["verdict"] = "n/a (no PyTorch time)"
            elif derived["check"] not in ("ok",):
                derived["verdict"] = f"missed ({derived['check']})"
            else:
                derived["verdict"] = "met" if derived["r_torch"] <= target[0] else "missed"
        elif derived["zoo"]:
            derived["target"] = ZOO_TARGET
            peers_ms = [p for p in (ort, ov) if p]
            if nut is None:
                derived["verdict"] = "missed (error)"
            elif not peers_ms:
                derived["verdict"] = "n/a (no ORT or OpenVINO time)"
            elif derived["check"] not in ("ok",):
                derived["verdict"] = f"missed ({derived['check']})"
            else:
                derived["verdict"] = "met" if nut <= ZOO_TARGET * min(peers_ms) else "missed"
        else:
            derived["target"], derived["verdict"] = None, ""
        out.append(derived)
    return out


def ratio(value):
    return f"{value:.2f}x" if value is not None else "-"


def cell_ms(row, key, ms_key):
    cell = row.get(key)
    if cell is None:
        return "-"
    if "error" in cell:
        return "error"
    return ms(row[ms_key])


def table_rows(rows):
    header = ["model", "batch", "threads", "nutshell ms", "PyTorch ms", "ORT ms", "OpenVINO ms", "nutshell/PyTorch",
              "nutshell/ORT", "nutshell/OpenVINO", "nutshell/PyTorch (min)", "nutshell GFLOP/s", "% of peak",
              "target", "status"]
    # On an AVX-512 machine the AVX2 code is timed too (bench.py): its columns.
    with_avx2 = any(r.get("avx2_ms") for r in rows)
    if with_avx2:
        header[4:4] = ["nutshell AVX2 ms"]
        header[11:11] = ["nutshell AVX2/ORT"]
    lines = []
    for r in rows:
        nut = cell_ms(r, "nutshell", "nut_ms")
        if r["check"] == "mismatch" and r["nut_ms"] is not None:
            nut += " (wrong output)"
        lines.append([r["model"], str(r["batch"]), str(r["threads"]), nut, cell_ms(r, "torch", "torch_ms"),
                      cell_ms(r, "ort", "ort_ms"), cell_ms(r, "openvino", "ov_ms"), ratio(r["r_torch"]),
                      ratio(r["r_ort"]), ratio(r["r_ov"]), ratio(r["r_torch_min"]),
                      f"{r['gflops']:.1f}" if r["gflops"] else "-",
                      f"{r['pct_peak']:.0f}%" if r["pct_peak"] else "-",
                      (f"<= {r['target']}x" + (" ORT, OpenVINO" if r["zoo"] and r["model"] not in TARGETS
                                               else "")) if r["target"] else "",
                      (r["verdict"] + " (noisy)" if r["verdict"] else "noisy") if r["noisy"] else r["verdict"]])
        if with_avx2:
            lines[-1][4:4] = [cell_ms(r, "nutshell_avx2", "avx2_ms")]
            lines[-1][11:11] = [ratio(r["r_ort_avx2"])]
    return header, lines


def text_table(header, lines):
    widths = [max(len(h), *(len(l[i]) for l in lines)) if lines else len(h) for i, h in enumerate(header)]
    fmt = "  ".join("{:<%d}" % w for w in widths)
    return "\n".join([fmt.format(*header), fmt.format(*["-" * w for w in widths])] + [fmt.format(*l) for l in lines])


def markdown_table(header, lines):
    out = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    out += ["| " + " | ".join(l) + " |" for l in lines]
    return "\n".join(out)


def compile_rows(results):
    header = ["model", "import", "passes", "codegen", "LLVM optimize", "JIT", "total (import to runnable)",
              "warm cache", "ORT session", "OpenVINO compile", "target", "status"]
    zoo = set(results.get("zoo_models", []))
    lines = []
    for model, check in results.get("checks", {}).items():
        nut = check.get("nutshell", {})
        phases = nut.get("phases", {})
        total = nut.get("compile_ms")
        target = COMPILE_TARGET_MS.get(model, ZOO_COMPILE_TARGET_MS if model in zoo else None)
        verdict = ""
        if target:
            verdict = "missed (error)" if total is None else ("met" if total < target else "missed")
        warm = check.get("nutshell_warm", {}).get("compile_ms")
        ort = check.get("ort", {}).get("session_ms")
        ov = check.get("openvino", {}).get("session_ms")
        lines.append([model] + [ms(phases.get(k)) for k in ("import", "passes", "codegen", "optimize", "jit")] +
                     [ms(total), ms(warm), ms(ort), ms(ov), f"< {target / 1000:g} s" if target else "", verdict])
    return header, lines


def check_rows(results):
    header = ["model", "nutshell", "PyTorch", "ONNX Runtime", "OpenVINO"]
    lines = []
    for model, check in results.get("checks", {}).items():
        cells = []
        for key in ("nutshell", "torch", "ort", "openvino"):
            c = check.get(key)
            if not c:
                cells.append("-")
            elif c["status"] == "ok":
                cells.append("ok")
            else:
                cells.append(c["status"] + (": " + c["error"] if c.get("error") else ""))
        lines.append([model] + [c.replace("|", "\\|") for c in cells])
    return header, lines


def errors(results):
    out = []
    for row in results["rows"]:
        for key, label in (("nutshell", "nutshell"), ("nutshell_avx2", "nutshell (AVX2 code)"), ("torch", "PyTorch"),
                           ("ort", "ONNX Runtime"), ("openvino", "OpenVINO")):
            cell = row.get(key)
            if isinstance(cell, dict) and "error" in cell:
                out.append(f"{row['model']} batch {row['batch']} threads {row['threads']}, {label}: {cell['error']}")
    return out


def geomean(values):
    values = [v for v in values if v]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def zoo_geomeans(rows):
    """(batch, threads) -> (geomean nutshell/ORT, geomean nutshell/OpenVINO, models) over the zoo."""
    out = {}
    for key in sorted({(r["batch"], r["threads"]) for r in rows if r["zoo"]}):
        zoo_rows = [r for r in rows if r["zoo"] and (r["batch"], r["threads"]) == key]
        out[key] = (geomean(r["r_ort"] for r in zoo_rows), geomean(r["r_ov"] for r in zoo_rows), len(zoo_rows))
    return out


def geomean_lines(rows):
    lines = []
    for (batch, threads), (g_ort, g_ov, n) in zoo_geomeans(rows).items():
        verdict = "met" if g_ort is not None and g_ort <= ZOO_GEOMEAN_TARGET else "missed"
        lines.append(f"zoo geometric mean, batch {batch}, {threads} thread(s), {n} models: nutshell/ORT {ratio(g_ort)}"
                     f" (target <= {ZOO_GEOMEAN_TARGET}x: {verdict}), nutshell/OpenVINO {ratio(g_ov)}")
    return lines


def summary(rows, results):
    judged = [r for r in rows if r["target"]]
    met = sum(1 for r in judged if r["verdict"] == "met")
    compile_verdicts = [l[-1] for l in compile_rows(results)[1] if l[-1]]
    met += sum(1 for v in compile_verdicts if v == "met")
    geomeans = [g for g, _, _ in zoo_geomeans(rows).values()]
    met += sum(1 for g in geomeans if g is not None and g <= ZOO_GEOMEAN_TARGET)
    return met, len(judged) + len(compile_verdicts) + len(geomeans)


def environment_lines(results):
    m, v = results.get("machine", {}), results.get("versions", {})
    isa = results.get("isa")
    lines = [f"- Run {results.get('started', '?')} on {m.get('cpu', '?')}, {m.get('cores', '?')} cores, ISA "
             f"{'AVX-512 (the AVX2 code, --target-cpu x86-64-v3, is timed too)' if isa == 'avx512' else (isa or '?').upper()} "
             f"(1-minute load average before the run: {m.get('load_before', 0):.1f}"
             + (f", after: {m['load_after']:.1f}" if "load_after" in m else "") + ")."]
    peak = results.get("peak", {})
    if peak:
        parts = [f"{t} thread{'s' if t != '1' else ''}: {p['gflops_per_core']:.0f} GFLOP/s per core, "
                 f"{p['gflops_total']:.0f} in all" for t, p in sorted(peak.items())]
        lines.append(f"- Measured FP32 FMA peak ({next(iter(peak.values()))['isa']}): " + "; ".join(parts) +
                     ". \"% of peak\" divides by the 1-thread figure times the thread count.")
    else:
        lines.append("- FP32 peak: the FMA probe did not run, so \"% of peak\" is empty.")
    lines.append(f"- PyTorch {v.get('torch')} (frozen TorchScript, BLAS: {v.get('blas', '?')}, "
                 f"OMP_WAIT_POLICY={v.get('omp_wait_policy', 'default')}); ONNX Runtime "
                 f"{v.get('onnxruntime') or 'not available'}; OpenVINO {v.get('openvino') or 'not available'} "
                 "(f32 precision hint, latency hint).")
    if "elapsed_s" in results:
        lines.append(f"- The measurements took {results['elapsed_s'] / 60:.1f} minutes.")
    return lines


def render_markdown(results, png_name):
    rows = analyse(results)
    out = ["## Results", ""]
    out += environment_lines(results) + [""]
    met, total = summary(rows, results)
    out += [f"Targets met: **{met} of {total}**.", ""]
    out += [markdown_table(*table_rows(rows)), ""]
    out += [f"- {line}" for line in geomean_lines(rows)] + [""]
    out += ["### JIT compile time (ms, `nutshell-run --time-passes`, on the test data)", ""]
    out += [markdown_table(*compile_rows(results)), ""]
    out += ["### Correctness checks (test data, |a-b| <= 1e-4 + 1e-3·|b|)", ""]
    out += [markdown_table(*check_rows(results)), ""]
    notes = results.get("notes", []) + errors(results)
    if notes:
        out += ["### Notes and errors", ""] + [f"- {n}" for n in notes] + [""]
    if png_name:
        out += [f"![nutshell time / peer time]({png_name})", ""]
    return "\n".join(out)


def write_markdown(results, path, png_path):
    preface = ""
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
        # Without the marker the whole page is hand-written: keep all of it.
        preface = text.split(GENERATED)[0]
    if not preface:
        preface = "# Benchmarks\n\n"
    png_name = os.path.relpath(png_path, os.path.dirname(path)) if png_path else None
    with open(path, "w") as f:
        f.write(preface.rstrip("\n") + "\n\n" + GENERATED + "\n\n" + render_markdown(results, png_name))


def write_png(results, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        print("matplotlib is not installed: no chart", file=sys.stderr)
        return False
    rows = [r for r in analyse(results) if r["r_torch"] or r["r_ort"] or r["r_ov"]]
    if not rows:
        print("no ratios to chart", file=sys.stderr)
        return False
    # One panel per thread count; bars of noisy rows are hatched.
    thread_counts = sorted({r["threads"] for r in rows})
    per_panel = max(len([r for r in rows if r["threads"] == t]) for t in thread_counts)
    fig, axes = plt.subplots(len(thread_counts), 1, figsize=(max(9, 0.6 * per_panel + 2), 3.6 * len(thread_counts)),
                             squeeze=False)
    width = 0.27
    for ax, threads in zip(axes[:, 0], thread_counts):
        panel = [r for r in rows if r["threads"] == threads]
        x = list(range(len(panel)))
        for offset, key, label in ((-width, "r_torch", "nutshell / PyTorch"), (0.0, "r_ort", "nutshell / ONNX Runtime"),
                                   (width, "r_ov", "nutshell / OpenVINO")):
            bars = ax.bar([i + offset for i in x], [r[key] or 0 for r in panel], width, label=label)
            for bar, r in zip(bars, panel):
                if r["noisy"]:
                    bar.set_hatch("//")
                    bar.set_alpha(0.5)
        first_target = True
        for i, r in enumerate(panel):
            if r["target"]:
                ax.hlines(r["target"], i - 1.5 * width, i + 1.5 * width, colors="red", linewidth=2,
                          label="target" if first_target else None)
                first_target = False
        ax.axhline(1.0, color="gray", linewidth=0.8, linestyle="--")
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}x"))
        ax.set_ylabel("time ratio (lower is better)", fontsize=8)
        ax.set_xticks(x)
        ax.set_xticklabels([f"{r['model']} b{r['batch']}" for r in panel], fontsize=7, rotation=35, ha="right")
        ax.set_title(f"{threads} thread{'s' if threads > 1 else ''} (hatched: noisy measurement)", fontsize=9)
        ax.legend(fontsize=7, loc="upper left")
    fig.suptitle("nutshell CPU backend: median time relative to the peers (same run, same threads)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_all(results, markdown_path=None, png_path=None):
    rows = analyse(results)
    print(text_table(*table_rows(rows)))
    for line in geomean_lines(rows):
        print(line)
    print()
    print(text_table(*compile_rows(results)))
    met, total = summary(rows, results)
    print(f"\ntargets met: {met} of {total}")
    for line in errors(results):
        print("error:", line)
    png_written = bool(png_path) and write_png(results, png_path)
    if markdown_path:
        write_markdown(results, markdown_path, png_path if png_written else None)
        print(f"wrote {markdown_path}" + (f" and {png_path}" if png_written else ""))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("json")
    parser.add_argument("--markdown")
    parser.add_argument("--png")
    args = parser.parse_args()
    with open(args.json) as f:
        write_all(json.load(f), args.markdown, args.png)


if __name__ == "__main__":
    main()
