"""Times `mlmodel-inspector scan` against picklescan (the field's reference) on the same
folders, as whole processes, interleaved: issue 41's measurement, in BENCHMARKS.md.

The folders: every scan fixture (real pickles saved by the pinned mlflow, compressed ones,
the hostile corpus) and a PyTorch-style archive whose weights member is 1 GiB (a sparse file:
its pickle is a few bytes, its weights zeros). Peak memory by GNU time.

Run: .venv/bin/python scripts/bench_scan.py target/release/mlmodel-inspector [ROUNDS]
"""

import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def big_archive(folder):
    """model.pth: archive/data.pkl ({} at protocol 2) and archive/data/0 (1 GiB, sparse)."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "MLmodel"), "w") as fh:
        fh.write("flavors:\n  pytorch:\n    model_data: data\n")
    pkl = b"\x80\x02}q\x00."
    big = 1 << 30
    central = b""
    with open(os.path.join(folder, "model.pth"), "wb") as f:
        for name, size, data in [(b"archive/data.pkl", len(pkl), pkl), (b"archive/data/0", big, None)]:
            offset = f.tell()
            f.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, 0, size, size, len(name), 0))
            f.write(name)
            if data is None:
                f.seek(size, 1)
            else:
                f.write(data)
            central += struct.pack(
                "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0, 0, size, size, len(name),
                0, 0, 0, 0, 0, offset,
            ) + name
        cd = f.tell()
        f.write(central)
        f.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 2, 2, len(central), cd, 0))


def run(cmd):
    out = tempfile.NamedTemporaryFile(delete=False)
    out.close()
    start = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out.name] + cmd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    with open(out.name) as fh:
        peak_kib = int(fh.read().strip().splitlines()[-1])
    os.unlink(out.name)
    return elapsed, peak_kib / 1024, p.returncode


def main():
    ours = os.path.abspath(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    picklescan = os.path.join(os.path.dirname(sys.executable), "picklescan")
    work = tempfile.mkdtemp()
    try:
        folders = {}
        scan = os.path.join(ROOT, "tests", "fixtures", "scan")
        for name in sorted(os.listdir(os.path.join(scan, "benign"))):
            folders[f"benign/{name}"] = os.path.join(scan, "benign", name)
        folders["hostile"] = os.path.join(scan, "hostile")
        big_archive(os.path.join(work, "big"))
        folders["1 GiB archive"] = os.path.join(work, "big")
        results = {}
        for _ in range(rounds):
            for label, folder in folders.items():
                for tool, cmd in [("ours", [ours, "scan", folder, "--json"]),
                                  ("picklescan", [picklescan, "-p", folder])]:
                    results.setdefault((label, tool), []).append(run(cmd))
        print(f"{'folder':28} {'ours s':>9} {'picklescan s':>13} {'ratio':>7} {'ours MiB':>9} {'pkscan MiB':>11}")
        total = {"ours": 0.0, "picklescan": 0.0}
        for label in folders:
            o = statistics.median(r[0] for r in results[(label, "ours")])
            p = statistics.median(r[0] for r in results[(label, "picklescan")])
            om = max(r[1] for r in results[(label, "ours")])
            pm = max(r[1] for r in results[(label, "picklescan")])
            total["ours"] += o
            total["picklescan"] += p
            print(f"{label:28} {o:9.3f} {p:13.3f} {p / o:6.1f}x {om:9.1f} {pm:11.1f}")
        print(f"{'all (sum of medians)':28} {total['ours']:9.3f} {total['picklescan']:13.3f} "
              f"{total['picklescan'] / total['ours']:6.1f}x")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
