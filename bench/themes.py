"""Theme quality against a real taxonomy (O*NET) and theme speed on large corpora. Run by hand.

    python bench/themes.py                      # O*NET evaluation (ARI / NMI vs IWA and DWA)
    python bench/themes.py --speed 100k,1m      # + speed on the synthetic corpora

Quality: the 6,789 O*NET task statements (../shared/data/onet) are ingested as a corpus (one
clause per task); jdsearch themes are compared with the IWA and DWA groups by adjusted Rand
index and NMI, next to a plain TF-IDF + KMeans baseline at the same k, in the same run.
"This product includes information from the O*NET 29.3 Database by the U.S. Department of Labor,
Employment and Training Administration (USDOL/ETA). Used under the CC BY 4.0 license. O*NET® is a
trademark of USDOL/ETA." The data was reshaped (joined and filtered) from the original files.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, ROOT, peak_rss_mib, synthetic_corpus

ONET = ROOT.parent / "shared" / "data" / "onet" / "tasks_single_dwa_dev.tsv"


def _scores(truth: list[str], labels: list[int]) -> dict[str, float]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    return {
        "ari": round(adjusted_rand_score(truth, labels), 4),
        "nmi": round(normalized_mutual_info_score(truth, labels), 4),
    }


def onet_eval(k_values: list[int | None]) -> dict[str, object]:
    """jdsearch themes vs the TF-IDF + KMeans baseline on O*NET, at each k."""
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    from jdsearch import Corpus
    from jdsearch.corpus import feature_tokens
    from jdsearch.store import ClauseStore
    from jdsearch.themes import ThemeModel

    rows = list(csv.DictReader(ONET.open(encoding="utf-8"), delimiter="\t"))
    truth = {r["task"].strip(): (r["iwa_id"], r["dwa_id"]) for r in rows}
    results: dict[str, object] = {"tasks": len(rows), "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Corpus(Path(tmp) / "idx")
        t0 = time.perf_counter()
        corpus.ingest([ONET], text_column="task")
        results["ingest_s"] = round(time.perf_counter() - t0, 1)
        clauses = [c for c in corpus.clauses() if c.text.strip() in truth]
        results["clauses_matched"] = len(clauses)
        store = ClauseStore(corpus.index_dir)
        t0 = time.perf_counter()
        docs = feature_tokens(store, clauses)
        results["tokens_s"] = round(time.perf_counter() - t0, 1)
        store.close()
        iwa = [truth[c.text.strip()][0] for c in clauses]
        dwa = [truth[c.text.strip()][1] for c in clauses]
        texts = [c.text for c in clauses]
        for k in k_values:
            t0 = time.perf_counter()
            model = ThemeModel(k, random_state=0).fit(docs)
            ours_s = time.perf_counter() - t0
            kk = model.k_
            t0 = time.perf_counter()
            base = KMeans(kk, random_state=0, n_init=4).fit_predict(
                TfidfVectorizer().fit_transform(texts)
            )
            base_s = time.perf_counter() - t0
            run = {
                "k": kk,
                "k_mode": "given" if k else "auto (silhouette)",
                "jdsearch": {
                    "iwa": _scores(iwa, model.labels_.tolist()),
                    "dwa": _scores(dwa, model.labels_.tolist()),
                    "seconds": round(ours_s, 1),
                },
                "baseline": {
                    "iwa": _scores(iwa, base.tolist()),
                    "dwa": _scores(dwa, base.tolist()),
                    "seconds": round(base_s, 1),
                },
            }
            b, o = run["baseline"]["iwa"]["ari"], run["jdsearch"]["iwa"]["ari"]
            run["ari_gain_vs_baseline_iwa"] = round((o - b) / b, 3) if b else None
            results["runs"].append(run)  # type: ignore[attr-defined]
            print(json.dumps(run, ensure_ascii=False))
    return results


def speed_child(corpus_dir: str) -> None:
    """Ingest + dupes + themes on a synthetic corpus; prints timings and peak RSS (own process)."""
    from jdsearch import Corpus

    with tempfile.TemporaryDirectory() as tmp:
        c = Corpus(Path(tmp) / "idx")
        t0 = time.perf_counter()
        c.ingest([corpus_dir])
        t1 = time.perf_counter()
        c.dupes(cross_lingual=False)
        t2 = time.perf_counter()
        themes = c.themes()
        t3 = time.perf_counter()
        rss = peak_rss_mib()
        print(
            json.dumps(
                {
                    "clauses": c.stats()["clauses"],
                    "ingest_s": round(t1 - t0, 1),
                    "dupes_s": round(t2 - t1, 1),
                    "themes_s": round(t3 - t2, 1),
                    "themes": len(themes),
                    "peak_rss_mib": round(rss),
                }
            )
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--k", default="auto,165", help="k values: 'auto' and/or numbers")
    ap.add_argument("--speed", default="", help="synthetic sizes to time, e.g. 100k,1m")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        speed_child(args.child)
        return
    ks = [None if k == "auto" else int(k) for k in args.k.split(",") if k]
    report: dict[str, object] = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "python": platform.python_version(),
        "onet": onet_eval(ks),
    }
    for size in [s for s in args.speed.split(",") if s]:
        corpus = synthetic_corpus(size)
        r = subprocess.run(
            [sys.executable, __file__, "--child", str(corpus)],
            capture_output=True,
            text=True,
            check=True,
        )
        report[f"speed_{size}"] = json.loads(r.stdout.strip().splitlines()[-1])
        print(size, report[f"speed_{size}"])
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "themes-results.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"wrote {OUT / 'themes-results.json'}")


if __name__ == "__main__":
    main()
