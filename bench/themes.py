"""Theme quality against a real taxonomy (O*NET) and theme speed at scale. Run by hand.

    python bench/themes.py                        # O*NET: ARI / NMI vs IWA and DWA, both halves
    python bench/themes.py --speed 260k,1m        # + build_themes time/RSS on scaled real clauses

Quality: the O*NET task statements (../shared/data/onet) are split in two halves by a hash of
the task id: ``tune`` (parameters were chosen on it) and ``test`` (the figures to quote). Each
half is themed on its own by jdsearch (`build_themes`, tokens from the shared analyser) and by
the hand-wired baselines, scikit-learn ``TfidfVectorizer`` + ``KMeans`` (``baseline``) and
+ ``MiniBatchKMeans`` (``baseline_minibatch``) on the raw text at the same k; all are compared
with the tasks' IWA and DWA by adjusted Rand index and NMI.
Unthemed tasks count as singleton clusters (they join no pair: no credit, no penalty beyond the
lost recall); the share unthemed is reported beside.

Speed: real Zhaopin clauses (bench/theme_data.py) repeated with changes (each copy drops one
token at random and gets its own posting) up to the size asked; tokens are the analyser's
(cached at ingest in the real pipeline, so not timed); timed is `build_themes` alone, in a
child process with its own peak RSS.

"This product includes information from the O*NET 29.3 Database by the U.S. Department of Labor,
Employment and Training Administration (USDOL/ETA). Used under the CC BY 4.0 license. O*NET® is a
trademark of USDOL/ETA." The data was reshaped (joined and filtered) from the original files.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import platform
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import peak_rss_mib
from theme_data import ONET, ROOT

RESULTS = ROOT / "bench" / "results"


def _scores(truth: list[str], labels: list[int]) -> dict[str, float]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    return {
        "ari": round(adjusted_rand_score(truth, labels), 4),
        "nmi": round(normalized_mutual_info_score(truth, labels), 4),
    }


def onet_half(task_id: str) -> str:
    return "tune" if hashlib.sha1(f"onet:{task_id}".encode()).digest()[0] % 2 == 0 else "test"


def onet_clauses(part: str) -> tuple[list, list[str], list[str]]:
    """The half's tasks as duty clauses (one posting per occupation), with IWA and DWA ids."""
    from jdsearch.normalize import default_normalizer
    from jdsearch.store import Clause

    norm = default_normalizer()
    rows = [
        r
        for r in csv.DictReader(ONET.open(encoding="utf-8"), delimiter="\t")
        if onet_half(r["task_id"]) == part
    ]
    clauses = [
        Clause(
            f"onet{r['task_id']}",
            r["onet_soc_code"],
            "onet",
            "",
            "",
            i,
            "duty",
            "en",
            r["task"].strip(),
            norm.normalize(r["task"].strip()),
            0,
            len(r["task"]),
        )
        for i, r in enumerate(rows)
    ]
    return clauses, [r["iwa_id"] for r in rows], [r["dwa_id"] for r in rows]


def themed_labels(result, clauses) -> list[int]:
    """Cluster number per clause; unthemed clauses are singletons (negative numbers)."""
    tid = {t.theme_id: i for i, t in enumerate(result.themes)}
    return [
        tid[result.assignment[c.clause_id]] if c.clause_id in result.assignment else -1 - j
        for j, c in enumerate(clauses)
    ]


def onet_eval(part: str, k_values: list[int | None]) -> dict[str, object]:
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    from jdsearch.themes import analyser_tokens, build_themes

    clauses, iwa, dwa = onet_clauses(part)
    t0 = time.perf_counter()
    tokens = analyser_tokens(clauses)
    out: dict[str, object] = {
        "tasks": len(clauses),
        "iwa_classes": len(set(iwa)),
        "dwa_classes": len(set(dwa)),
        "tokens_s": round(time.perf_counter() - t0, 1),
        "runs": [],
    }
    texts = [c.text for c in clauses]
    for k in k_values:
        t0 = time.perf_counter()
        result = build_themes(clauses, {}, lambda cs: tokens, k=k)
        ours_s = time.perf_counter() - t0
        labels = themed_labels(result, clauses)
        kk = len(result.themes)
        x = TfidfVectorizer().fit_transform(texts)
        t0 = time.perf_counter()
        base = KMeans(kk, random_state=0, n_init=4).fit_predict(x)
        base_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        mini = MiniBatchKMeans(kk, random_state=0).fit_predict(x)
        mini_s = time.perf_counter() - t0
        run = {
            "k_asked": k if k else "auto",
            "k": kk,
            "unthemed_share": round(sum(v < 0 for v in labels) / len(labels), 4),
            "jdsearch": {
                "iwa": _scores(iwa, labels),
                "dwa": _scores(dwa, labels),
                "seconds": round(ours_s, 1),
            },
            "baseline": {
                "iwa": _scores(iwa, base.tolist()),
                "dwa": _scores(dwa, base.tolist()),
                "seconds": round(base_s, 1),
            },
            "baseline_minibatch": {
                "iwa": _scores(iwa, mini.tolist()),
                "dwa": _scores(dwa, mini.tolist()),
                "seconds": round(mini_s, 1),
            },
        }
        o = run["jdsearch"]["iwa"]
        for name in ("baseline", "baseline_minibatch"):
            b = run[name]["iwa"]  # type: ignore[index]
            run[f"iwa_ari_ratio_{name}"] = round(o["ari"] / b["ari"], 2) if b["ari"] else None
            run[f"iwa_nmi_gain_{name}"] = round(o["nmi"] - b["nmi"], 4)
        out["runs"].append(run)  # type: ignore[attr-defined]
        print(part, json.dumps(run))
    return out


# --------------------------------------------------------------------------- speed
def scaled_clauses(n: int):
    """Real duty + requirement clauses repeated with changes up to ``n``, with their tokens."""
    import random

    from theme_data import coarse_tokens, load_clauses

    base = load_clauses("duty", duty_headings=False) + load_clauses(
        "requirement", duty_headings=False
    )
    tokens = coarse_tokens(base)
    rng = random.Random(0)
    clauses, toks = [], []
    copy = 0
    while len(clauses) < n:
        for c, t in zip(base, tokens, strict=True):
            if len(clauses) >= n:
                break
            if copy:
                t = list(t)
                if len(t) > 2:
                    t.pop(rng.randrange(len(t)))
                c = replace(  # a copy as before: not a fragment whatever the original
                    c, clause_id=f"{c.clause_id}~{copy}", doc_id=f"{c.doc_id}~{copy}",
                    fragment=False,
                )
            clauses.append(c)
            toks.append(t)
        copy += 1
    return clauses, toks


def speed_child(n: int) -> None:
    from jdsearch.themes import build_themes

    clauses, toks = scaled_clauses(n)
    by_id = {c.clause_id: i for i, c in enumerate(clauses)}
    t0 = time.perf_counter()
    result = build_themes(clauses, {}, lambda cs: [toks[by_id[c.clause_id]] for c in cs])
    secs = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "clauses": len(clauses),
                "themes_s": round(secs, 1),
                "themes": len(result.themes),
                "unthemed": {k: len(v) for k, v in result.unthemed.items()},
                "params": {k: v for k, v in result.params.items() if not k.endswith("silhouettes")},
                "peak_rss_mib": peak_rss_mib(),
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--k", default="auto,iwa", help="k values: 'auto', 'iwa' (the half's IWA count), numbers"
    )
    ap.add_argument("--halves", default="tune,test")
    ap.add_argument("--speed", default="", help="sizes to time, e.g. 260k,1m")
    ap.add_argument("--no-onet", action="store_true")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        speed_child(args.child)
        return
    out_path = RESULTS / "themes-onet.json"
    if not args.no_onet:
        report: dict[str, object] = {
            "date": time.strftime("%Y-%m-%d %H:%M"),
            "python": platform.python_version(),
        }
        for part in args.halves.split(","):
            _, iwa, _ = onet_clauses(part)
            ks = [
                None if k == "auto" else len(set(iwa)) if k == "iwa" else int(k)
                for k in args.k.split(",")
            ]
            report[part] = onet_eval(part, ks)
        RESULTS.mkdir(parents=True, exist_ok=True)
        out_path.write_text(json.dumps(report, indent=2))
        print(f"wrote {out_path}")
    if args.speed:
        speed: dict[str, object] = {"date": time.strftime("%Y-%m-%d %H:%M"), "cores": 2}
        for size in args.speed.split(","):
            n = int(size.lower().replace("k", "000").replace("m", "000000"))
            r = subprocess.run(
                [sys.executable, __file__, "--child", str(n)],
                capture_output=True,
                text=True,
                check=True,
            )
            speed[size] = json.loads(r.stdout.strip().splitlines()[-1])
            print(size, speed[size])
        (RESULTS / "themes-speed.json").write_text(json.dumps(speed, indent=2))


if __name__ == "__main__":
    main()
