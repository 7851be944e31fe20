"""Curation buttons in a real browser (the setup of ``test_browser``: Debian's chromium driven
by Playwright against ``jdsearch serve``), on an index of its own since the clicks write."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jdsearch import Corpus
from tests import test_browser as tb
from tests.conftest import CORPUS
from tests.test_browser import Server, Watch, open_page, running_server

browser = tb.browser  # the fixtures of test_browser: one chromium per module
watch = tb.watch


@pytest.fixture(scope="module")
def curate_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("browser-curate")
    corpus = Corpus(root / "index")
    corpus.ingest([CORPUS])
    corpus.themes()
    corpus.close_all()
    with running_server(root / "index", root / "server.log") as s:
        yield s


def _a_group(idx: Path) -> tuple[str, str, str]:
    """(group id, canonical id, another member with other wording) of a stored group of three
    or more (one member split off, the rest stays a group)."""
    corpus = Corpus(idx)
    try:
        for g in corpus.group_view().groups:
            clauses = [corpus.clause(m.clause_id) for m in g.members]
            if len({(c.doc_id, c.norm) for c in clauses}) < 3:  # decisions key on doc + wording
                continue
            norms = {m.clause_id: corpus.clause(m.clause_id).norm for m in g.members}
            other = [m.clause_id for m in g.members if norms[m.clause_id] != norms[g.canonical_id]]
            if other:
                return g.group_id, g.canonical_id, other[0]
    finally:
        corpus.close_all()
    raise AssertionError("no group with two wordings")


def test_duplicate_viewer_buttons_record_decisions(
    browser: Any,
    curate_server: Server,
    watch: Watch,
):
    from playwright.sync_api import expect

    _gid, canon, other = _a_group(curate_server.index)
    with open_page(browser, curate_server, watch, "curate-dupes") as pg:
        pg.goto(f"/dupes?clause={canon}")
        card = pg.locator(f'article[data-clause-id="{other}"]')
        card.get_by_role("button", name="Make canonical").click()
        expect(pg.locator("#status")).to_contain_text("group-canonical")
        expect(pg.locator(f'article[data-clause-id="{other}"]')).to_have_class(
            "variant-card canonical"
        )
        first = pg.locator("article.variant-card:not(.canonical)").first
        first.get_by_role("button", name="Not a duplicate").click()
        expect(pg.locator("#status")).to_contain_text("group-split")
    corpus = Corpus(curate_server.index)
    log = corpus.decisions()
    assert [d["type"] for d in log] == ["group-canonical", "group-split"]
    assert all(d["status"] == "in force" for d in log)
    assert corpus.group_view().by_clause[other].canonical_id == other
    corpus.close_all()


def test_theme_page_renames_and_merges(browser: Any, curate_server: Server, watch: Watch):
    from playwright.sync_api import expect

    corpus = Corpus(curate_server.index)
    duty = [t for t in corpus.theme_view().themes if t.kind == "duty"]
    a, b = duty[0].theme_id, duty[1].theme_id
    corpus.close_all()
    with open_page(browser, curate_server, watch, "curate-themes") as pg:
        pg.goto(f"/themes?theme={a}")
        pg.locator("#rename-en").fill("key accounts")
        pg.locator("#rename-zh-hant").fill("重點客戶維護")
        pg.get_by_role("button", name="Rename").click()
        expect(pg.locator("#status")).to_contain_text("theme-rename")
        expect(pg.locator("#detail-title")).to_contain_text("key accounts")
        pg.locator("#merge-into").select_option(b)
        pg.get_by_role("button", name="Merge").click()
        expect(pg.locator("#status")).to_contain_text("theme-merge")
    corpus = Corpus(curate_server.index)
    view = corpus.theme_view()
    assert a not in view.by_id and b in view.by_id  # merged (after its rename)
    log = corpus.decisions()
    assert [d["type"] for d in log[-2:]] == ["theme-rename", "theme-merge"]
    assert log[-2]["labels"] == {
        "en": "key accounts",
        "zh-Hans": duty[0].label_zh,
        "zh-Hant": "重點客戶維護",
    }
    assert all(d["status"] == "in force" for d in log)
    corpus.close_all()


def test_search_hit_changes_kind(browser: Any, curate_server: Server, watch: Watch):
    from playwright.sync_api import expect

    corpus = Corpus(curate_server.index)
    c = next(c for c in corpus.clauses(kind="other") if c.text.startswith("Number of personnel"))
    corpus.close_all()
    with open_page(browser, curate_server, watch, "curate-search") as pg:
        pg.goto("/?q=personnel")
        hit = pg.locator(f'li.hit[data-clause-id="{c.clause_id}"]')
        hit.locator("select.kind-select").select_option("requirement")
        hit.get_by_role("button", name="Change kind").click()
        expect(pg.locator("#status")).to_contain_text("Decision")
        expect(pg.locator(f'li.hit[data-clause-id="{c.clause_id}"] .meta')).to_contain_text(
            "requirement"
        )
    corpus = Corpus(curate_server.index)
    assert corpus.clause(c.clause_id).kind == "requirement"
    hits = corpus.search("personnel kind:requirement").hits
    assert c.clause_id in {h.clause_id for h in hits}
    corpus.close_all()


def _groups_by_wordings(idx: Path) -> list[tuple[str, list[str]]]:
    """(group id, member ids) of the stored groups with two or more wordings, most first."""
    corpus = Corpus(idx)
    try:
        out = []
        for g in corpus.group_view().groups:
            keys = {
                (c.doc_id, c.norm) for c in map(corpus.clause, (m.clause_id for m in g.members))
            }
            if len(keys) >= 2:
                out.append((g.group_id, [m.clause_id for m in g.members], len(keys)))
        return [(gid, ids) for gid, ids, _ in sorted(out, key=lambda x: -x[2])]
    finally:
        corpus.close_all()


def test_duplicate_viewer_accepts_a_group_and_moves_a_member(
    browser: Any, curate_server: Server, watch: Watch
):
    from playwright.sync_api import expect

    logged = len(Corpus(curate_server.index).decisions())
    found = _groups_by_wordings(curate_server.index)
    (_, src_ids), (dst, dst_ids), (_, acc_ids) = found[-3:]
    _, rej_ids = found[-4]
    moved = src_ids[-1]
    with open_page(browser, curate_server, watch, "curate-dupes-2") as pg:
        pg.goto(f"/dupes?clause={acc_ids[0]}")
        pg.get_by_role("button", name="Accept group").click()
        expect(pg.locator("#status")).to_contain_text("group-accept")
        pg.goto(f"/dupes?clause={rej_ids[0]}")
        pg.get_by_role("button", name="None of these are duplicates").click()
        expect(pg.locator("#status")).to_contain_text("group-reject")
        pg.goto(f"/dupes?clause={src_ids[0]}")
        card = pg.locator(f'article[data-clause-id="{moved}"]')
        card.get_by_label("Move to the group of").fill(dst)
        card.get_by_role("button", name="Move to group").click()
        expect(pg.locator("#status")).to_contain_text("group-move")
    corpus = Corpus(curate_server.index)
    log = corpus.decisions()[logged:]
    assert [d["type"] for d in log] == ["group-accept", "group-reject", "group-move"]
    assert all(d["status"] == "in force" for d in log)
    by_clause = corpus.group_view().by_clause
    homes = [by_clause[c].group_id for c in rej_ids if c in by_clause]
    assert len(homes) == len(set(homes))  # no two of the rejected group together any more
    assert by_clause[moved].group_id == by_clause[dst_ids[0]].group_id
    assert len({by_clause[c].group_id for c in acc_ids}) == 1
    corpus.close_all()


def test_theme_page_pins_a_canonical_and_drops_a_theme(
    browser: Any, curate_server: Server, watch: Watch
):
    from playwright.sync_api import expect

    corpus = Corpus(curate_server.index)
    logged = len(corpus.decisions())
    duty = [t for t in corpus.theme_view().themes if t.kind == "duty" and t.size > 2]
    pinned, dropped, parent = duty[-1], duty[-2], duty[-3]
    member, split_off = pinned.members[-1], parent.members[-1]
    corpus.close_all()
    with open_page(browser, curate_server, watch, "curate-themes-2") as pg:
        pg.goto(f"/themes?theme={pinned.theme_id}")
        row = pg.locator(f'li[data-clause-id="{member}"]')
        row.get_by_role("button", name="Make canonical duty").click()
        expect(pg.locator("#status")).to_contain_text("theme-canonical")
        expect(pg.locator(".canonical-duty")).to_have_text(
            Corpus(curate_server.index).clause(member).text
        )
        pg.goto(f"/themes?theme={dropped.theme_id}")
        pg.get_by_role("button", name="Not a theme").click()
        expect(pg.locator("#status")).to_contain_text("theme-drop")
        pg.goto(f"/themes?theme={parent.theme_id}")
        row = pg.locator(f'li[data-clause-id="{split_off}"]')
        row.get_by_role("button", name="Split into a new theme").click()
        expect(pg.locator("#status")).to_contain_text("theme-split")
    corpus = Corpus(curate_server.index)
    log = corpus.decisions()[logged:]
    assert [d["type"] for d in log] == ["theme-canonical", "theme-drop", "theme-split"]
    home = corpus.store().theme_assignment()[split_off]
    assert home != parent.theme_id and corpus.theme_view().by_id[home].size == 1
    assert all(d["status"] == "in force" for d in log)
    view = corpus.theme_view()
    assert view.by_id[pinned.theme_id].canonical_id == member
    assert dropped.theme_id not in view.by_id
    assert not set(dropped.members) & set(corpus.store().theme_assignment())
    corpus.close_all()


def test_search_hit_marks_boilerplate(browser: Any, curate_server: Server, watch: Watch):
    from playwright.sync_api import expect

    corpus = Corpus(curate_server.index)
    logged = len(corpus.decisions())
    c = next(c for c in corpus.clauses() if c.text.startswith("Number of personnel"))
    corpus.close_all()
    with open_page(browser, curate_server, watch, "curate-boilerplate") as pg:
        pg.goto("/?q=personnel")
        hit = pg.locator(f'li.hit[data-clause-id="{c.clause_id}"]')
        hit.get_by_role("button", name="Boilerplate").click()
        expect(pg.locator("#status")).to_contain_text("boilerplate")
    corpus = Corpus(curate_server.index)
    (d,) = corpus.decisions()[logged:]
    assert d["type"] == "boilerplate" and d["status"] == "applies at next ingest"
    import re

    assert re.fullmatch(d["pattern"], c.text)  # the escaped text matches itself, nothing wider
    assert not re.fullmatch(d["pattern"], c.text + "x")
    corpus.close_all()
