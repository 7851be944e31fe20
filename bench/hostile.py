"""Hostile files, big: seconds and peak memory per file, before and after (issue 17).

Builds the attack of ``tests/hostile.py`` at full size (a 50 MB single-line .txt, a CSV with a
10 MB cell, HTML nested 100,000 deep, a 1 GB docx space bomb, a 1 GB pdf flate bomb, a docx of
100,000 paragraphs, ...) in ``bench/out/hostile-big/`` and ingests each file alone with
``Corpus.ingest`` in a fresh process, once with the code of ``--before`` (default: where this
branch left main) and once with this working tree. Each process first ingests one small posting
(jieba, OpenCC and the index loaded), takes that RSS as its baseline, resets the peak (Linux
``clear_refs``) and then reports wall seconds and peak RSS above the baseline. A run over the
time cap is killed and recorded as such. Then the whole folder is ingested at once (after
only), honest one-line texts and a big table are timed, and decoding is checked on held-out
zhaopin postings (sections, ``--sections``).

    .venv/bin/python bench/hostile.py --cap 240        # before and after -> results/hostile.json
    .venv/bin/python bench/hostile.py --only after --merge --sections files,folder
    .venv/bin/python bench/hostile.py --sections table --merge    # zhaopin x1, x2: parse only
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "results" / "hostile.json"
sys.path.insert(0, str(ROOT))

# Entries that are files with content (links, pipes, sockets and odd names are path cases:
# cheap, and covered by tests/test_hostile.py).
CONTENT_SUFFIXES = (".txt", ".md", ".html", ".docx", ".pdf", ".csv", ".tsv", ".jsonl")


SECTIONS = ("files", "folder", "lines", "table", "mojibake")


def main() -> None:
    args = _args()
    if args.child:
        _child(Path(args.child), Path(args.code), json.loads(args.budget or "{}"), args.parse_only)
        return
    if args.mojibake_child:
        print(json.dumps(_mojibake(Path(args.code))))
        return
    from tests.hostile import BIG, SMALL

    scale = BIG if args.scale == "big" else SMALL
    codes = {"after": ROOT}
    if args.only != "after":
        codes["before"] = _checkout(args.before)
    if args.only == "before":
        codes.pop("after")
    results: dict[str, Any] = _load() if args.merge else {}
    results.update(_meta(args, scale))
    sections = args.sections.split(",")
    if "files" in sections or "folder" in sections:
        _hostile_files(results, args, scale, codes, sections)
    if "lines" in sections:
        _lines(results, args, codes)
    if "table" in sections:
        _table(results, args, codes)
    if "mojibake" in sections:
        found = results.setdefault("mojibake", {})
        for label, code in codes.items():
            command = [sys.executable, __file__, "--mojibake-child", "--code", str(code)]
            found[label] = _run_json(command)
        print(json.dumps(results["mojibake"], indent=1), flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print("wrote", RESULTS.relative_to(ROOT))


def _hostile_files(
    results: dict[str, Any],
    args: argparse.Namespace,
    scale: Any,
    codes: dict[str, Path],
    sections: list[str],
) -> None:
    """Each content file of the hostile folder alone, then (after) the whole folder at once."""
    from jdsearch.walk import printable
    from tests.hostile import build_folder

    folder = OUT / f"hostile-{args.scale}"
    if not (folder / ".built").exists():
        _fresh(folder)
        started = time.monotonic()
        build_folder(folder, scale)
        (folder / ".built").write_text(f"{time.monotonic() - started:.1f} s\n")
    files = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.is_symlink() and p.suffix in CONTENT_SUFFIXES
    )
    per_file = results.setdefault("files", {})
    for path in files if "files" in sections else []:
        row = per_file.setdefault(printable(path.name), {})
        row["bytes"] = path.stat().st_size
        for label, code in codes.items():
            row[label] = _run_child(path, code, args.cap)
            print(printable(path.name), label, row[label], flush=True)
    if "after" in codes and "folder" in sections:
        results["whole_folder_after"] = _run_child(folder, ROOT, args.cap * 10)
        print("whole folder", results["whole_folder_after"], flush=True)


def _lines(results: dict[str, Any], args: argparse.Namespace, codes: dict[str, Path]) -> None:
    """Honest one-line transcripts of growing length (after: with the posting limit raised)."""
    lines = results.setdefault("honest_single_line_txt", {})
    for chars in LINE_CHARS:
        path = _line_file(chars)
        row = lines.setdefault(str(chars), {})
        row["bytes"] = path.stat().st_size
        for label, code in codes.items():
            raised = {"max_doc_chars": 2 * chars} if label == "after" else None
            row[label] = _run_child(path, code, args.cap, raised)
            print(path.name, label, row[label], flush=True)


def _table(results: dict[str, Any], args: argparse.Namespace, codes: dict[str, Path]) -> None:
    """An honest big table (zhaopin's 20,000 postings, and twice that): parse time and peak
    memory of ``Parser.parse_file``, the unit the ingest runs per file."""
    source = _zhaopin()
    if source is None:
        results["honest_table"] = {"skipped": "zhaopin data not found"}
        return
    tables = results.setdefault("honest_table", {})
    for copies in (1, 2):
        path = OUT / f"zhaopin-x{copies}.jsonl"
        if not path.exists():
            with gzip.open(source, "rb") as fh:
                data = fh.read()
            path.write_bytes(data * copies)
        row = tables.setdefault(f"zhaopin x{copies}", {})
        row["bytes"] = path.stat().st_size
        for label, code in codes.items():
            if label == "before" and copies > 1:
                continue
            row[label] = _run_child(path, code, args.cap * 10, parse_only=True)
            print(path.name, label, row[label], flush=True)


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("big", "small"), default="big")
    parser.add_argument("--before", default="", help="git revision (default: merge-base main)")
    parser.add_argument("--only", choices=("both", "before", "after"), default="both")
    parser.add_argument("--cap", type=float, default=120.0, help="seconds before a run is killed")
    parser.add_argument("--merge", action="store_true", help="update the existing result file")
    parser.add_argument(
        "--sections", default="files,folder,lines,mojibake", help=f"comma list of {SECTIONS}"
    )
    parser.add_argument("--parse-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--mojibake-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--code", help=argparse.SUPPRESS)
    parser.add_argument("--budget", help=argparse.SUPPRESS)
    return parser.parse_args()


def _fresh(folder: Path) -> None:
    """An empty folder (a previous partial build is removed, links and pipes included)."""
    if folder.exists():
        subprocess.run(["rm", "-rf", str(folder)], check=True)
    folder.mkdir(parents=True)


def _checkout(rev: str) -> Path:
    """The package at ``rev`` as plain files (git archive): imported instead of this tree."""
    if not rev:
        rev = _git("merge-base", "HEAD", "main")
    rev = _git("rev-parse", "--short", rev)
    target = OUT / f"code-{rev}"
    if not (target / "jdsearch").exists():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", rev, "jdsearch"], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def _meta(args: argparse.Namespace, scale: Any) -> dict[str, Any]:
    before = _git("rev-parse", "--short", args.before or _git("merge-base", "HEAD", "main"))
    return {
        "what": "one hostile file per fresh process: Corpus(tmp).ingest([file])",
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_at_start": os.getloadavg(),
        "before_rev": before,
        "after_rev": _git("rev-parse", "--short", "HEAD")
        + ("+dirty" if _git("status", "--porcelain", "jdsearch") else ""),
        "scale": args.scale,
        "sizes": scale.__dict__,
        "cap_seconds": args.cap,
    }


def _load() -> dict[str, Any]:
    try:
        return json.loads(RESULTS.read_text("utf-8"))  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return {}


# One-line transcripts of these many characters, read with the posting limit raised above them
# (after) or as they come (before): time should grow in proportion, not faster.
LINE_CHARS = (250_000, 500_000, 1_000_000)


def _line_file(chars: int) -> Path:
    """Real postings joined into one line (no repeats: the index caches equal clauses), or
    numbered synthetic sentences when the zhaopin data is absent."""
    path = OUT / f"line-{chars}.txt"
    if path.exists():
        return path
    source = _zhaopin()
    if source is not None:
        with gzip.open(source, "rt", encoding="utf-8") as fh:
            parts = (" ".join(json.loads(line)["description"].split()) for line in fh)
            text = ""
            for part in parts:
                text += part + " "
                if len(text) >= chars:
                    break
    else:
        text = "".join(f"负责第{n}区域的客户档案管理，完成销售目标。" for n in range(chars // 10))
    OUT.mkdir(parents=True, exist_ok=True)
    path.write_text(text[:chars], "utf-8")
    return path


def _zhaopin() -> Path | None:
    """The zhaopin postings ($JDSEARCH_DATA, ../shared/data or /work/shared/data), if present."""
    roots = [os.environ.get("JDSEARCH_DATA"), ROOT.parent / "shared" / "data", "/work/shared/data"]
    found = [Path(r) / "zhaopin" / "zhaopin_2018_dev_20k.jsonl.gz" for r in roots if r]
    return next((p for p in found if p.exists()), None)


def _run_child(
    path: Path,
    code: Path,
    cap: float,
    budget: dict[str, int] | None = None,
    parse_only: bool = False,
) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", str(path), "--code", str(code)]
    if budget:
        command += ["--budget", json.dumps(budget)]
    if parse_only:
        command.append("--parse-only")
    result = _run_json(["nice", "-n", "10", *command], cap)
    result["rev"] = _git("rev-parse", "--short", "HEAD") if code == ROOT else code.name[5:]
    result["load_average"] = round(os.getloadavg()[0], 1)
    return result


def _run_json(command: list[str], cap: float | None = None) -> dict[str, Any]:
    started = time.monotonic()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=cap)
    except subprocess.TimeoutExpired:
        return {"outcome": "killed", "seconds": f"> {cap:g}"}
    if done.returncode != 0 or not done.stdout.strip():
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"outcome": "crashed", "error": tail[:300], "wall": time.monotonic() - started}
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- in the child


class _Done(Exception):
    """Parse-only run finished (no ingest report to read)."""


def _status(field: str) -> int:
    """A VmRSS/VmHWM line of /proc/self/status, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024
    return 0


def _child(path: Path, code: Path, budget: dict[str, int], parse_only: bool) -> None:
    """Ingest ``path`` with the jdsearch found in ``code``; print one JSON line.

    ``parse_only``: only ``Parser.parse_file`` (read + segment), as a worker would."""
    sys.path.insert(0, str(code))
    from jdsearch import Corpus

    options: dict[str, Any] = {}
    if budget:
        from jdsearch import ReadBudget

        options["budget"] = ReadBudget(**budget)

    scratch = Path(tempfile.mkdtemp(prefix="jdsearch-hostile-"))
    warm = scratch / "warm" / "warm.txt"
    warm.parent.mkdir()
    warm.write_text("岗位职责：\n1、负责客户档案管理。\n2、完成销售目标。\n", "utf-8")
    Corpus(scratch / "warm-idx").ingest([warm.parent])
    baseline = _status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # peak RSS from here on
    started = time.monotonic()
    result: dict[str, Any] = {"code": str(code.name), **({"budget": budget} if budget else {})}
    try:
        if parse_only:
            from jdsearch.ingest import Parser

            parsed = Parser().parse_file(path, str(path), str(path))
            result["documents"] = len(parsed.documents)
            result["clauses"] = len(parsed.clauses)
            raise _Done
        report = Corpus(scratch / "idx").ingest([path], **options)
    except _Done:
        result["outcome"] = "parsed"
    except BaseException as exc:  # the "before" code may crash: that is a result
        result |= {"outcome": "raised", "error": f"{type(exc).__name__}: {str(exc)[:200]}"}
    else:
        result |= {
            "outcome": "skipped" if report.skipped and not report.added else "ingested",
            "added": report.added,
            "skipped": len(report.skipped),
            "first_reason": report.skipped[0][1][:200] if report.skipped else "",
            "clauses": report.totals.get("clauses"),
        }
    result["seconds"] = round(time.monotonic() - started, 2)
    result["peak_mb_above_baseline"] = _status("VmHWM") - baseline
    result["baseline_mb"] = baseline
    subprocess.run(["rm", "-rf", str(scratch)], check=False)
    print(json.dumps(result, ensure_ascii=False))


def _mojibake(code: Path) -> dict[str, Any]:
    """Decoding of held-out zhaopin postings: correct encodings read exactly, damaged UTF-8
    and mixed files are skipped, never stored as garbage.

    Postings 0-4,999 were used to choose the per-line threshold in readers._check_lines;
    this measures postings 10,000-11,999 (and their traditional rewrites through OpenCC).
    """
    sys.path.insert(0, str(code))
    import opencc

    from jdsearch.readers import UnreadableFile, decode_bytes

    path = _zhaopin()
    if path is None:
        return {"skipped": "zhaopin data not found"}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        postings = [json.loads(line)["description"] for line in fh][10_000:12_000]
    to_trad = opencc.OpenCC("s2twp")
    counts: dict[str, dict[str, int]] = {}

    def judge(kind: str, raw: bytes, expected: str | None) -> None:
        """expected None: must be skipped; else must decode to exactly that text."""
        try:
            text, _ = decode_bytes(raw)
        except UnreadableFile:
            outcome = "skipped"
        else:
            outcome = "exact" if text == expected else "garbage" if expected is None else "wrong"
        bucket = counts.setdefault(kind, {})
        bucket[outcome] = bucket.get(outcome, 0) + 1

    for text in postings:
        plain = text.replace("\r\n", "\n").replace("\r", "\n")
        data_utf8 = plain.encode("utf-8")
        judge("gbk (correct)", plain.encode("gb18030"), plain)
        trad = to_trad.convert(plain)
        with contextlib.suppress(UnicodeEncodeError):
            judge("big5 (correct)", trad.encode("big5"), trad)
        half = len(data_utf8) // 2
        judge("utf-8 + one stray 0xff (bad)", data_utf8[:half] + b"\xff" + data_utf8[half:], None)
        cut = plain[: len(plain) // 2]
        mixed = cut.encode("utf-8") + plain[len(cut) :].encode("gb18030")
        if not plain[len(cut) :].isascii() and not cut.isascii():
            judge("half utf-8, half gbk (bad)", mixed, None)
    return counts


if __name__ == "__main__":
    main()
