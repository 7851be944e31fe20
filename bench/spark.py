"""jdsearch on Spark (local[2]) next to the local pipeline, on real postings. Run by hand:

    python bench/spark.py                    # equivalence on 2,000 zhaopin postings + O*NET themes
    python bench/spark.py --scale 20000      # + time and peak memory, local vs Spark, 20k postings
    python bench/spark.py --skip equivalence,onet --scale 200000 --local-max 0 --limit 5400
                                             # Spark only, stopped after 90 min: stages it finished

Equivalence: the clause table (ids, texts, kinds, every ``clauses --json`` field) and the
duplicate groups (``dupes --json`` objects) of both pipelines, compared whole. Themes: ARI / NMI
against O*NET IWA and DWA ids for the local stage, Spark fitted on every task, and Spark fitted
on a sample of tasks with the rest assigned in parallel. Scaling: each pipeline runs in its own
process; peak memory is the largest summed RSS of that process and its children (Spark's JVM and
Python workers), sampled every 0.2 s. Writes bench/results/spark.json (figures, never texts).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("JDSEARCH_DATA") or ROOT.parent / "shared" / "data")
if not DATA.is_dir():
    DATA = Path("/work/shared/data")
ZHAOPIN = DATA / "zhaopin" / "zhaopin_2018_dev_20k.jsonl.gz"
ONET = DATA / "onet" / "tasks_single_dwa_dev.tsv"
RESULT = ROOT / "bench" / "results" / "spark.json"


# local mode runs the executors inside the driver's JVM: with its default 1 GiB heap the
# 200,000-posting ingest failed (in the Parquet write); with 8 GiB it ran
DRIVER_MEMORY = "8g"
SHARD = 20_000  # postings per JSON-lines file: ~25 MB, under the readers' 50 MB file limit


def postings(n: int, folder: Path) -> Path:
    """The first ``n`` zhaopin postings as JSON-lines files of at most :data:`SHARD` postings
    in one folder (returned), written on the fly (never kept). One file of 200,000 postings
    (250 MB) would be over the readers' per-file limit and skipped whole — the first 10x run
    measured an empty ingest that way. Past the 20,000 available the postings repeat, each copy
    with small edits: one line of the description loses its last character and a marker line is
    added, so copies are near-duplicates and new clauses, not byte-equal files."""
    folder = folder / f"zhaopin_{n}"
    folder.mkdir(parents=True, exist_ok=True)
    with gzip.open(ZHAOPIN, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    for start in range(0, n, SHARD):
        with (folder / f"part-{start // SHARD:03d}.jsonl").open("w", encoding="utf-8") as out:
            for i in range(start, min(n, start + SHARD)):
                row = dict(rows[i % len(rows)])
                copy = i // len(rows)
                if copy:
                    lines = str(row.get("description") or "").split("\n")
                    j = (i * 7919 + copy) % len(lines)
                    if len(lines[j]) > 4:
                        lines[j] = lines[j][:-1]
                    row["description"] = "\n".join(lines) + f"\n编号 {copy}"
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return folder


def _key(obj: dict) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False)


def equivalence(n: int, tmp: Path) -> dict[str, object]:
    from jdsearch import Corpus
    from jdsearch import spark as S
    from jdsearch.serialize import clause_json, group_json

    path = postings(n, tmp / "eq")
    corpus = Corpus(tmp / "eq-idx")
    corpus.ingest([path])
    docs = {d.doc_id: d for d in corpus.documents()}
    clauses = corpus.clauses()
    local_rows = {_key(clause_json(c, docs[c.doc_id])) for c in clauses}
    by_id = {c.clause_id: c for c in clauses}
    local_groups = {_key(group_json(g, by_id)) for g in corpus.dupes()}
    t0 = time.perf_counter()
    local_themes = {_theme_key(t) for t in corpus.themes()}
    local_themes_s = time.perf_counter() - t0
    spark = S.session("local[2]")
    out = str(tmp / "eq-out")
    t0 = time.perf_counter()
    S.ingest(spark, [str(path)], out)
    S.dupes(spark, out)
    spark_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    S.themes(spark, out)
    spark_themes_s = time.perf_counter() - t0
    spark_rows = {_key(r) for r in S.clause_rows(spark, out)}
    spark_groups = {_key(g) for g in S.read_groups(spark, out)}
    model = json.loads((Path(out) / "themes.json").read_text("utf-8"))
    spark_themes = {_theme_key(SimpleNamespace(**t)) for t in model["themes"]}
    return {
        "postings": n,
        "clauses_local": len(local_rows),
        "clauses_spark": len(spark_rows),
        "clause_rows_only_local": len(local_rows - spark_rows),
        "clause_rows_only_spark": len(spark_rows - local_rows),
        "groups_local": len(local_groups),
        "groups_spark": len(spark_groups),
        "groups_only_local": len(local_groups - spark_groups),
        "groups_only_spark": len(spark_groups - local_groups),
        "themes_local": len(local_themes),
        "themes_spark": len(spark_themes),
        "themes_only_local": len(local_themes - spark_themes),
        "themes_only_spark": len(spark_themes - local_themes),
        "spark_ingest_dupes_s": round(spark_s, 1),
        "local_themes_s": round(local_themes_s, 1),
        "spark_themes_s": round(spark_themes_s, 1),
    }


def _theme_key(t: object) -> str:
    """A theme as compared: id, kind, labels, canonical clause, size, terms."""
    return json.dumps([getattr(t, k) for k in ("theme_id", "kind", "label_en", "label_zh",
                                               "canonical_id", "size", "terms")],
                      ensure_ascii=False)


def _scores(truth: list[str], labels: list[str]) -> dict[str, float]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    return {
        "ari": round(adjusted_rand_score(truth, labels), 4),
        "nmi": round(normalized_mutual_info_score(truth, labels), 4),
    }


def onet_themes(tmp: Path, sample: int) -> dict[str, object]:
    """ARI / NMI vs O*NET IWA and DWA: local stage, Spark on all tasks, Spark on a sample."""
    from jdsearch import Corpus
    from jdsearch import spark as S

    rows = list(csv.DictReader(ONET.open(encoding="utf-8"), delimiter="\t"))
    truth = {r["task"].strip(): (r["iwa_id"], r["dwa_id"]) for r in rows}
    corpus = Corpus(tmp / "onet-idx")
    corpus.ingest([ONET], text_column="task")
    text = {c.clause_id: c.text.strip() for c in corpus.clauses()}
    local = {cid: t.theme_id for t in corpus.themes() for cid in t.members}

    def score(assignment: dict[str, str]) -> dict[str, object]:
        ids = sorted(cid for cid in assignment if text.get(cid) in truth)
        labels = [assignment[c] for c in ids]
        return {
            "clauses": len(ids),
            "iwa": _scores([truth[text[c]][0] for c in ids], labels),
            "dwa": _scores([truth[text[c]][1] for c in ids], labels),
        }

    spark = S.session("local[2]")
    out = str(tmp / "onet-out")
    S.ingest(spark, [str(ONET)], out, text_column="task")
    S.dupes(spark, out)
    result: dict[str, object] = {"tasks": len(rows), "local": score(local)}
    for name, docs in (("spark_all", 10**9), ("spark_sample", sample)):
        info = S.themes(spark, out, sample_docs=docs)
        got = dict(spark.read.parquet(out + "/theme_assignment").collect())
        if info["sampled"]:
            got.update(spark.read.parquet(out + "/theme_assignment_rest").collect())
        result[name] = {**score(got), "sample_documents": docs if info["sampled"] else None,
                        "assigned_in_parallel": info["assigned_in_parallel"]}
    return result


# --------------------------------------------------------------------------- scaling
def _tree_rss_mib(pid: int) -> int:
    """Summed RSS of a process and all its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            pages = int((d / "statm").read_text().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(d.name))
        rss[int(d.name)] = pages * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total // (1 << 20)


def timed(cmd: list[str], limit: float | None = None) -> dict[str, object]:
    """Wall time, peak RSS of the process tree and per-stage seconds of one run. With
    ``limit`` (seconds) a run still going is stopped there and reported as cut short, with the
    stages it finished (read from its stderr lines ``name: N s`` as they come)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    peak = 0
    done = threading.Event()
    finished: dict[str, float] = {}
    tail: list[str] = []

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_mib(proc.pid))
            time.sleep(0.2)

    causes: list[str] = []

    def read_err() -> None:
        for line in proc.stderr:  # type: ignore[union-attr]
            tail[:] = [*tail[-40:], line]
            if re.search(r"Caused by|Error:|Exception:", line) and len(causes) < 12:
                causes.append(line.strip()[:300])
            m = re.fullmatch(r"(\w+): ([\d.]+) s\n?", line)
            if m:
                finished[m.group(1)] = float(m.group(2))
                print(f"  {line.strip()}", file=sys.stderr, flush=True)

    lines: list[str] = []

    def read_out() -> None:
        lines.extend(proc.stdout)  # type: ignore[arg-type]

    threads = [threading.Thread(target=f, daemon=True) for f in (sample, read_err, read_out)]
    for th in threads:
        th.start()
    try:
        proc.wait(timeout=limit)
        cut = False
    except subprocess.TimeoutExpired:
        cut = True
    with contextlib.suppress(ProcessLookupError):  # a JVM or worker left holding the pipes
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done.set()
    for th in threads:
        th.join(timeout=30)
    if cut:
        return {"cut_short_at_seconds": limit, "peak_rss_mib": peak,
                "stages_finished": dict(finished), "stderr_tail": "".join(tail)[-1000:]}
    if proc.returncode:
        raise SystemExit(f"{cmd}: {causes} {''.join(tail)[-2000:]}")
    return {"seconds": round(time.perf_counter() - t0, 1), "peak_rss_mib": peak,
            **json.loads("".join(lines).strip().splitlines()[-1])}


def _stage(name: str, fn: Callable[[], object], stages: dict[str, float]) -> object:
    t0 = time.perf_counter()
    got = fn()
    stages[name] = round(time.perf_counter() - t0, 1)
    print(f"{name}: {stages[name]} s", file=sys.stderr, flush=True)  # kept if cut short
    return got


def _report(stages: dict[str, float], counts: dict[str, object]) -> None:
    """The run's last stdout line; an empty ingest is an error, never a timing."""
    print(json.dumps({"stages": stages, "counts": counts}))


def run_local(path: str, idx: str) -> None:
    from jdsearch import Corpus

    stages: dict[str, float] = {}
    corpus = Corpus(idx)
    report = _stage("ingest", lambda: corpus.ingest([path]), stages)
    n = corpus.stats()["clauses"]
    print(f"clauses: {n}, skipped: {len(report.skipped)}", file=sys.stderr, flush=True)
    if not n:
        raise SystemExit(f"nothing ingested from {path}: {report.skipped[:3]}")
    groups = _stage("dupes", corpus.dupes, stages)
    themes = _stage("themes", corpus.themes, stages)
    _report(stages, {"clauses": n, "files_skipped": len(report.skipped),
                     "groups": len(groups), "themes": len(themes)})  # type: ignore[arg-type]


def run_spark(path: str, out: str) -> None:
    from jdsearch import spark as S

    stages: dict[str, float] = {}
    conf = {"spark.driver.memory": DRIVER_MEMORY}
    spark = _stage("session", lambda: S.session("local[2]", conf=conf), stages)
    counts = dict(_stage("ingest", lambda: S.ingest(spark, [path], out), stages))  # type: ignore[call-overload]
    print(f"ingest: {counts}", file=sys.stderr, flush=True)
    if not counts.get("clauses"):
        raise SystemExit(f"nothing ingested from {path}: {counts}")
    counts.update(_stage("dupes", lambda: S.dupes(spark, out), stages))  # type: ignore[arg-type]
    counts.update(_stage("themes", lambda: S.themes(spark, out), stages))  # type: ignore[arg-type]
    _report(stages, counts)


def scaling(
    n: int, tmp: Path, local_max: int, before: dict | None, spark: bool = True,
    limit: float | None = None,
) -> dict[str, object]:
    """Local pipeline and Spark local[2] on ``n`` postings, each in its own process under
    ``nice -n 10``; the local one only up to ``local_max`` postings (above, an earlier run's
    local figures for ``n`` are kept)."""
    path = postings(n, tmp / f"scale{n}")
    nice = ["nice", "-n", "10", sys.executable, str(Path(__file__).resolve())]
    out: dict[str, object] = {"postings": n}
    if n <= local_max:
        out["local"] = timed([*nice, "--run-local", str(path), str(tmp / f"idx{n}")], limit)
    elif before and isinstance(before.get("local"), dict) and "seconds" in before["local"]:
        out["local"] = {**before["local"], "note": "from the earlier run of this entry"}
    else:
        out["local"] = f"not run: above --local-max {local_max} (too slow for the deadline)"
    if spark:
        out["spark_local2"] = timed([*nice, "--run-spark", str(path), str(tmp / f"out{n}")],
                                    limit)
    elif before and "spark_local2" in before:
        out["spark_local2"] = before["spark_local2"]
    shutil.rmtree(path)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--equivalence", type=int, default=2000)
    ap.add_argument("--onet-sample", type=int, default=3000)
    ap.add_argument("--scale", default="", help="comma-separated posting counts, e.g. 20000")
    ap.add_argument("--skip", default="", help="comma-separated parts to skip: equivalence,onet")
    ap.add_argument("--local-max", type=int, default=10**9,
                    help="run the local pipeline in the scaling part up to this many postings")
    ap.add_argument("--no-spark", action="store_true", help="scaling: the local pipeline only")
    ap.add_argument("--limit", type=float, default=None,
                    help="scaling: stop a run after this many seconds, keeping the stages it did")
    ap.add_argument("--run-local", nargs=2)
    ap.add_argument("--run-spark", nargs=2)
    ap.add_argument("--result", type=Path, default=RESULT, help="result file to update")
    args = ap.parse_args()
    if args.run_local:
        return run_local(*args.run_local)
    if args.run_spark:
        return run_spark(*args.run_spark)
    if not ZHAOPIN.is_file():
        print(f"skipped: {ZHAOPIN} is absent")
        return
    results = json.loads(args.result.read_text()) if args.result.is_file() else {}
    results["machine"] = {"cpus": os.cpu_count(), "note": "2 cores shared with other jobs"}
    skip = set(args.skip.split(","))
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if "equivalence" not in skip:
            results["equivalence_zhaopin"] = equivalence(args.equivalence, tmp)
            print(json.dumps(results["equivalence_zhaopin"]), flush=True)
            args.result.write_text(json.dumps(results, indent=2) + "\n")
        if "onet" not in skip and ONET.is_file():
            results["themes_onet"] = onet_themes(tmp, args.onet_sample)
            print(json.dumps(results["themes_onet"]), flush=True)
            args.result.write_text(json.dumps(results, indent=2) + "\n")
        for n in [int(x) for x in args.scale.split(",") if x]:
            scales = results.setdefault("scaling", {})
            scales[str(n)] = scaling(n, tmp, args.local_max, scales.get(str(n)),
                                    spark=not args.no_spark, limit=args.limit)
            print(json.dumps(results["scaling"][str(n)]), flush=True)
            args.result.write_text(json.dumps(results, indent=2) + "\n")
    args.result.parent.mkdir(parents=True, exist_ok=True)
    args.result.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
