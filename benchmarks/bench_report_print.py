"""Time WeasyPrint's print of a bundle's report.html: charts inline against as images.

Prints ``report.html`` of an assessment bundle to PDF with
:func:`wfplan.report.pdf.pdf_bytes`, alternately with each inline SVG chart handed
to WeasyPrint as an ``<img>`` of the same SVG (``print_page``, what wfplan does)
and with the page as it is (``inline``), and prints one JSON line per method with
the CPU seconds of each round (this process), whether the PDF equals the
bundle's ``report.pdf`` byte for byte, and the load average at the end. CPU
seconds, not wall seconds: the machine may be shared.

Usage: python benchmarks/bench_report_print.py BUNDLE [--rounds N]
(for example a bundle of ``wfplan assess examples/assessment-demo.toml``).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import datetime
from pathlib import Path


def main() -> None:
    """Print each method's CPU seconds per round as JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from wfplan.report import pdf

    html = (args.bundle / "report.html").read_text(encoding="utf-8")
    stored = (args.bundle / "report.pdf").read_bytes()
    manifest = json.loads((args.bundle / "manifest.json").read_text(encoding="utf-8"))
    title, created = manifest["title"], datetime.fromisoformat(manifest["created"])
    methods = {"print_page": pdf.print_page, "inline": lambda page: page}
    seconds: dict[str, list[float]] = {name: [] for name in methods}
    same: dict[str, bool] = dict.fromkeys(methods, True)
    pdf.pdf_bytes("<p>warm-up</p>")  # imports and font configuration outside the rounds
    for _ in range(args.rounds):
        for name, method in methods.items():
            pdf.print_page = method
            start = time.process_time()
            printed = pdf.pdf_bytes(html, title=title, created=created)
            seconds[name].append(round(time.process_time() - start, 2))
            same[name] = same[name] and printed == stored
    load = [round(value, 2) for value in os.getloadavg()]
    for name in methods:
        print(json.dumps({"method": name, "cpu_s": seconds[name],
                          "same_as_bundle_pdf": same[name], "loadavg": load}))


if __name__ == "__main__":
    main()
