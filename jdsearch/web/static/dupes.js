// The duplicate viewer: the list of groups (?relation=&min_size=&page=) and one group side by
// side (?clause=ID) with every variant's relation, similarity and differences from the canonical.
import {
  api, badge, baseName, clear, decide, diffText, el, htmlLang, langName, say, themeName,
} from "./common.js";

const PAGE_SIZE = 20;
const LANG_ORDER = { "zh-Hans": 0, "zh-Hant": 1, en: 2 };
const $ = (id) => document.getElementById(id);
const statusLine = $("status");

function readUrl() {
  const p = new URLSearchParams(window.location.search);
  return {
    clause: p.get("clause") || "",
    relation: p.get("relation") || "",
    min_size: Math.max(2, parseInt(p.get("min_size") || "2", 10) || 2),
    page: Math.max(1, parseInt(p.get("page") || "1", 10) || 1),
  };
}

function go(params) {
  const p = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value && !(key === "min_size" && value === 2) && !(key === "page" && value === 1)) {
      p.set(key, String(value));
    }
  }
  history.pushState(null, "", `/dupes${p.toString() ? `?${p}` : ""}`);
  route();
}

async function route() {
  const s = readUrl();
  $("list-view").hidden = Boolean(s.clause);
  $("group-view").hidden = !s.clause;
  if (s.clause) await showGroup(s.clause);
  else await showList(s);
}

// ---- one group
async function showGroup(clauseId) {
  const grid = clear($("variants"));
  say(statusLine, "Loading…");
  let data;
  try {
    data = await api(`/api/clauses/${encodeURIComponent(clauseId)}`);
  } catch (err) {
    $("page-title").textContent = "Duplicate group";
    say(statusLine, err.message, true);
    return;
  }
  const members = data.group ? orderMembers(data.group.members) : [soloMember(data.clause)];
  $("page-title").textContent = data.group
    ? `Duplicate group · ${members.length} variants`
    : "No duplicates of this clause";
  document.title = `${$("page-title").textContent} · jdsearch`;
  say(statusLine, "");
  summarise(members, data);
  for (const m of members) grid.append(card(m, data, clauseId));
}

// ---- curation: a person's decision, recorded in the index and kept through every recompute
async function curate(body, clauseId) {
  say(statusLine, "Saving…");
  try {
    const d = await decide(body);
    await showGroup(clauseId);
    say(statusLine, `Decision ${d.id} saved: ${d.type} (${d.status}).`);
  } catch (err) {
    say(statusLine, err.message, true);
  }
}

function curationButtons(m, data) {
  if (!data.group) return null;
  const gid = data.group.group_id;
  const canonical = data.group.members.find((x) => x.relation === "canonical");
  const back = canonical ? canonical.clause_id : m.clause_id;
  if (m.relation === "canonical") {
    return el("div", { class: "curate" },
      el("button", { type: "button", class: "curate-reject",
        onclick: () => curate({ type: "group-reject", group: gid }, back) },
      "None of these are duplicates"));
  }
  return el("div", { class: "curate" },
    el("button", { type: "button", class: "curate-split",
      onclick: () => curate({ type: "group-split", group: gid, members: [m.clause_id] }, back) },
    "Not a duplicate"),
    el("button", { type: "button", class: "curate-canonical",
      onclick: () => curate({ type: "group-canonical", clause: m.clause_id }, m.clause_id) },
    "Make canonical"));
}

function soloMember(c) {
  return { ...c, similarity: 100, relation: "canonical" };
}

function orderMembers(members) {
  return [...members].sort((a, b) =>
    (a.relation !== "canonical") - (b.relation !== "canonical")
    || (LANG_ORDER[a.lang] ?? 9) - (LANG_ORDER[b.lang] ?? 9)
    || b.similarity - a.similarity);
}

function summarise(members, data) {
  const node = clear($("group-summary"));
  const langs = {};
  for (const m of members) langs[m.lang] = (langs[m.lang] || 0) + 1;
  const docs = new Set(members.map((m) => m.doc_id)).size;
  const parts = Object.entries(langs).map(([lang, n]) => `${n} ${langName(lang)}`);
  node.append(`${members.length} clauses in ${docs} documents: ${parts.join(", ")}.`);
  if (data.theme) {
    const t = data.theme;
    node.append(" Theme: ", el("a", { href: `/themes?theme=${encodeURIComponent(t.theme_id)}` },
      themeName(t.label.en, t.label.zh)), ".");
  }
}

function card(m, data, selectedId) {
  const canonical = m.relation === "canonical";
  const diff = data.diffs ? data.diffs[m.clause_id] : null;
  const header = el("header", {},
    canonical ? badge("canonical", "canonical") : badge("relation", m.relation),
    badge("lang", langName(m.lang), m.lang),
    canonical ? null : el("span", { class: "similarity", title: "similarity to the canonical" },
      `${Number(m.similarity).toFixed(1)}%`));
  const text = el("p", { class: "clause-text", lang: htmlLang(m.lang) },
    diff ? diffText(m.text, diff.changed, diff.script) : m.text);
  let note = "";
  if (diff && diff.missing) note = `${diff.missing} characters of the canonical are not in this one`;
  else if (!canonical && !diff) note = "a translation: not compared character by character";
  const footer = el("footer", {},
    el("span", { title: m.source }, baseName(m.source)),
    note ? el("div", {}, note) : null,
    el("div", {}, el("code", {}, m.clause_id)),
    curationButtons(m, data));
  return el("article", {
    class: `variant-card${canonical ? " canonical" : ""}`,
    "aria-current": m.clause_id === selectedId ? "true" : null,
    "aria-label": `${canonical ? "canonical" : m.relation} variant in ${langName(m.lang)}`,
    dataset: { clauseId: m.clause_id, lang: m.lang, relation: m.relation },
  }, header, text, footer);
}

// ---- the list of groups
async function showList(s) {
  $("page-title").textContent = "Duplicate groups";
  document.title = "Duplicates · jdsearch";
  $("relation").value = s.relation;
  $("min-size").value = String(s.min_size);
  const list = clear($("groups"));
  clear($("pager"));
  say(statusLine, "Loading… (the first visit computes the groups)");
  let data;
  try {
    data = await api("/api/dupes", {
      relation: s.relation, min_size: s.min_size, limit: PAGE_SIZE, offset: (s.page - 1) * PAGE_SIZE,
    });
  } catch (err) {
    say(statusLine, err.message, true);
    return;
  }
  say(statusLine, `${data.total} groups`);
  list.start = (s.page - 1) * PAGE_SIZE + 1;
  for (const g of data.groups) list.append(groupItem(g));
  pager(s, data.total);
}

function groupItem(g) {
  const canon = g.members.find((m) => m.clause_id === g.canonical_id) || g.members[0];
  const relations = [...new Set(g.members.map((m) => m.relation).filter((r) => r !== "canonical"))];
  const langs = [...new Set(g.members.map((m) => m.lang))];
  return el("li", {},
    el("p", { class: "clause-text", lang: htmlLang(canon.lang) }, canon.text),
    el("div", { class: "meta" },
      el("span", {}, `${g.members.length} variants`),
      ...langs.map((l) => badge("lang", langName(l), l)),
      ...relations.map((r) => badge("relation", r)),
      el("a", { href: `/dupes?clause=${encodeURIComponent(g.canonical_id)}` }, "Compare variants")));
}

function pager(s, total) {
  const node = $("pager");
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  if (pages <= 1) return;
  const prev = el("button", { type: "button", disabled: s.page <= 1 }, "← Previous");
  const next = el("button", { type: "button", disabled: s.page >= pages }, "Next →");
  prev.addEventListener("click", () => go({ ...s, page: s.page - 1 }));
  next.addEventListener("click", () => go({ ...s, page: s.page + 1 }));
  node.append(prev, el("span", {}, `Page ${s.page} of ${pages}`), next);
}

$("group-filters").addEventListener("submit", (event) => {
  event.preventDefault();
  go({ relation: $("relation").value, min_size: parseInt($("min-size").value, 10) || 2, page: 1 });
});
document.addEventListener("click", (event) => {
  // in-page navigation between groups keeps history without reloading the page
  const link = event.target.closest("a[href^='/dupes']");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  history.pushState(null, "", link.getAttribute("href"));
  route();
});
window.addEventListener("popstate", route);

route();
