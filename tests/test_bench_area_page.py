"""The area pages' benchmark runs on a tiny input and prints its table and a JSON line per page.

No timing is asserted: the figures belong in benchmarks/RESULTS.md.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_run_prints_server_and_client_times_per_viewer(demo_vintage):
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_area_page.py"), "--db",
         str(demo_vintage.db), "--requests", "3", "--warm", "1", "--pages", "icb,org",
         "--first-orgs", "1"],
        capture_output=True, text=True, check=True, cwd=ROOT, timeout=300)
    lines = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    *lines, more = lines
    assert [(x["status"], x["server_ms"] > 0) for x in more["first_org_requests"]] == [
        (200, True)]
    assert [(x["page"], x["viewer"]) for x in lines] == [
        ("icb", "icb-user"), ("org", "icb-user"), ("icb", "public"), ("org", "public")]
    assert [x["statuses"] for x in lines] == [[200], [200], [200], [403]]
    for line in lines:
        assert line["engine"] == "duckdb"
        assert line["requests"] == 3
        assert 0 < line["server_p50_ms"] <= line["server_p95_ms"] <= line["server_max_ms"]
        assert line["server_p50_ms"] <= line["client_p50_ms"]
        assert line["first_server_ms"] > 0
    assert "server p50/p95/max" in result.stdout
