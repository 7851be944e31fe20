// The search page: instant search, facets, collapse with variant expanders, paging.
// The URL holds the whole state (?q=&kind=&lang=&source=&theme=&title=&company=&city=
// &collapse=1&page=), so a search
// can be shared and the back button walks through searches.
import {
  api, badge, baseName, clear, debounce, decide, el, htmlLang, langName, loadThemeLabels,
  markedText, say, themeName,
} from "./common.js";

const PAGE_SIZE = 10;
const FILTERS = ["kind", "lang", "theme", "source", "title", "company", "city"];
const FACET_TITLES = {
  kind: "Kind", lang: "Language", theme: "Theme", source: "Source",
  title: "Job title", company: "Company", city: "City",
};

const $ = (id) => document.getElementById(id);
const form = $("search-form");
const input = $("q");
const collapseBox = $("collapse");
const statusLine = $("status");
const results = $("results");
const pager = $("pager");
const facetsNode = $("facets");
const chips = $("active-filters");

let state = readUrl();
let inFlight = null;
let typingEntry = false; // the current history entry was made by typing: replace, don't push

function readUrl() {
  const p = new URLSearchParams(window.location.search);
  const s = { q: p.get("q") || "", collapse: p.get("collapse") === "1", page: 1 };
  for (const f of FILTERS) s[f] = p.get(f) || "";
  s.page = Math.max(1, parseInt(p.get("page") || "1", 10) || 1);
  return s;
}

function urlOf(s) {
  const p = new URLSearchParams();
  if (s.q) p.set("q", s.q);
  for (const f of FILTERS) if (s[f]) p.set(f, s[f]);
  if (s.collapse) p.set("collapse", "1");
  if (s.page > 1) p.set("page", String(s.page));
  const qs = p.toString();
  return window.location.pathname + (qs ? `?${qs}` : "");
}

/** Apply a change to the state, record it in history and search. */
function update(change, { typing = false } = {}) {
  state = { ...state, ...change };
  const url = urlOf(state);
  if (url !== window.location.pathname + window.location.search) {
    if (typing && typingEntry) history.replaceState(null, "", url);
    else history.pushState(null, "", url);
  }
  typingEntry = typing;
  run();
}

function hasSearch(s) {
  return s.q.trim() !== "" || FILTERS.some((f) => s[f]);
}

async function run() {
  renderChips();
  if (inFlight) inFlight.abort();
  if (!hasSearch(state)) {
    clear(results);
    clear(pager);
    clear(facetsNode);
    say(statusLine, "Type to search. Results appear as you type.");
    document.title = "Search · jdsearch";
    return;
  }
  inFlight = new AbortController();
  const params = {
    q: state.q.trim(), kind: state.kind, lang: state.lang, theme: state.theme,
    source: state.source, collapse: state.collapse ? "true" : "",
    limit: PAGE_SIZE, offset: (state.page - 1) * PAGE_SIZE,
  };
  results.setAttribute("aria-busy", "true");
  try {
    const data = await api("/api/search", params, inFlight.signal);
    render(data);
  } catch (err) {
    if (err.name === "AbortError") return;
    clear(results);
    clear(pager);
    say(statusLine, err.message, true);
  } finally {
    results.removeAttribute("aria-busy");
  }
}

function render(data) {
  document.title = `${state.q || "Filters"} · jdsearch`;
  const folded = state.collapse ? ", near-duplicates folded together" : "";
  const note = data.mode === "any" ? " — no clause had every word; showing clauses with any" : "";
  const stale = data.stale ? ` — warning: ${data.warning}` : "";
  say(statusLine, `${data.total} matching clauses${folded}${note}${stale}`, data.stale);
  clear(results);
  results.start = data.offset + 1;
  for (const hit of data.hits) results.append(renderHit(hit));
  renderPager(data.total, data.hits.length);
  renderFacets(data.facets || {});
  decorateThemes();
}

function renderHit(hit) {
  const item = el("li", { class: "hit", dataset: { clauseId: hit.clause_id } });
  item.append(el("p", { class: "clause-text", lang: htmlLang(hit.lang) },
    markedText(hit.text, hit.spans)));
  const meta = el("div", { class: "meta" },
    badge("lang", langName(hit.lang), hit.lang),
    badge("kind", hit.kind),
    badge("source", baseName(hit.source), hit.source),
    hit.section ? el("span", { class: "section", lang: htmlLang(hit.lang) }, hit.section) : null,
    hit.title || hit.company || hit.city
      ? el("span", { class: "posting" }, [hit.title, hit.company, hit.city].filter(Boolean).join(" · "))
      : null,
    hit.theme ? el("a", { class: "theme-link", href: `/themes?theme=${encodeURIComponent(hit.theme)}`,
      dataset: { theme: hit.theme } }, `theme ${hit.theme}`) : null);
  item.append(meta);
  const actions = el("div", { class: "actions" },
    el("a", { href: `/dupes?clause=${encodeURIComponent(hit.clause_id)}` }, "Open duplicate group"),
    kindChanger(hit));
  item.append(actions);
  if (state.collapse && hit.variants > 1) addExpander(item, actions, hit);
  return item;
}

/** "Change kind": a person's decision, kept through every re-ingest (filters follow). */
function kindChanger(hit) {
  const select = el("select", { class: "kind-select", "aria-label": "Kind of this clause" },
    ["duty", "requirement", "other"].map((k) => el("option", { value: k, selected: k === hit.kind }, k)));
  const button = el("button", { type: "button", class: "change-kind" }, "Change kind");
  button.addEventListener("click", async () => {
    if (select.value === hit.kind) return;
    say(statusLine, "Saving…");
    try {
      const d = await decide({ type: "kind", clause: hit.clause_id, kind: select.value });
      await run();
      say(statusLine, `Decision ${d.id} saved: ${d.type} (${d.status}).`);
    } catch (err) {
      say(statusLine, err.message, true);
    }
  });
  return el("span", { class: "curate" }, select, " ", button);
}

/** "+N variants" button that loads and lists the other members of a collapsed hit. */
function addExpander(item, actions, hit) {
  const panelId = `variants-${hit.clause_id}`;
  const docs = hit.documents > 1 ? ` in ${hit.documents} documents` : "";
  const button = el("button", {
    type: "button", class: "expander", "aria-expanded": "false", "aria-controls": panelId,
  }, `+${hit.variants - 1} variant${hit.variants > 2 ? "s" : ""}${docs}`);
  const panel = el("ul", { id: panelId, class: "variants", hidden: true });
  button.addEventListener("click", async () => {
    const open = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-expanded", String(!open));
    panel.hidden = open;
    if (!open && !panel.childElementCount) await loadVariants(panel, hit);
  });
  actions.prepend(button);
  item.append(panel);
}

async function loadVariants(panel, hit) {
  panel.append(el("li", { class: "muted" }, "Loading…"));
  try {
    const data = await api(`/api/clauses/${encodeURIComponent(hit.clause_id)}`);
    clear(panel);
    const members = data.group ? data.group.members.filter((m) => m.clause_id !== hit.clause_id) : [];
    if (!members.length) panel.append(el("li", { class: "muted" }, "No other variants recorded."));
    for (const m of members) {
      panel.append(el("li", {},
        badge("lang", langName(m.lang), m.lang),
        badge("relation", m.relation),
        el("span", { class: "similarity" }, `${m.similarity.toFixed(1)}%`),
        el("span", { class: "variant-text", lang: htmlLang(m.lang) }, m.text),
        badge("source", baseName(m.source), m.source)));
    }
  } catch (err) {
    clear(panel);
    panel.append(el("li", { class: "error" }, err.message));
  }
}

function renderPager(total, shown) {
  clear(pager);
  // folded hits are fewer than the clauses counted in total: a short page is the last one
  const last = state.page >= Math.ceil(total / PAGE_SIZE) || shown < PAGE_SIZE;
  if (state.page <= 1 && last) return;
  const pages = Math.max(state.page, Math.ceil(total / PAGE_SIZE));
  const prev = el("button", { type: "button", disabled: state.page <= 1 }, "← Previous");
  const next = el("button", { type: "button", disabled: last }, "Next →");
  prev.addEventListener("click", () => goPage(state.page - 1));
  next.addEventListener("click", () => goPage(state.page + 1));
  const of = state.collapse ? "" : ` of ${pages}`;
  pager.append(prev, el("span", { class: "page-of" }, `Page ${state.page}${of}`), next);
}

function goPage(page) {
  update({ page });
  $("results-heading").scrollIntoView({ block: "start" });
}

function renderFacets(facets) {
  clear(facetsNode);
  for (const field of FILTERS) {
    const counts = facets[field] || {};
    const entries = Object.entries(counts);
    if (!entries.length) continue;
    const list = el("ul", { class: "facet-list" });
    for (const [value, count] of entries) {
      const active = state[field] === value;
      const label = field === "source" ? baseName(value) : field === "lang" ? langName(value) : value;
      const button = el("button", {
        type: "button", class: "facet", "aria-pressed": String(active), title: value,
        dataset: field === "theme" ? { theme: value } : {},
      }, el("span", { class: "facet-label" }, label), el("span", { class: "count" }, String(count)));
      button.addEventListener("click", () => update({ [field]: active ? "" : value, page: 1 }));
      list.append(el("li", {}, button));
    }
    facetsNode.append(el("section", { class: "facet-group" },
      el("h3", {}, FACET_TITLES[field]), list));
  }
}

function renderChips() {
  clear(chips);
  for (const field of FILTERS) {
    if (!state[field]) continue;
    const shown = field === "source" ? baseName(state[field]) : state[field];
    chips.append(el("button", {
      type: "button", class: "chip", "aria-label": `Remove filter ${field}: ${shown}`,
      dataset: field === "theme" ? { theme: state[field] } : {},
    }, `${FACET_TITLES[field]}: ${shown} ×`));
    chips.lastChild.addEventListener("click", () => update({ [field]: "", page: 1 }));
  }
}

/** Replace theme ids by their labels once the labels are known (loaded lazily). */
async function decorateThemes() {
  const nodes = document.querySelectorAll("[data-theme]");
  if (!nodes.length) return;
  const labels = await loadThemeLabels();
  for (const node of nodes) {
    const label = labels.get(node.dataset.theme);
    if (!label) continue;
    const text = themeName(label.en, label.zh);
    const target = node.querySelector(".facet-label") || node;
    if (node.classList.contains("chip")) target.textContent = `Theme: ${text} ×`;
    else target.textContent = node.classList.contains("theme-link") ? `Theme: ${text}` : text;
  }
}

function syncInputs() {
  input.value = state.q;
  collapseBox.checked = state.collapse;
}

const searchAsYouType = debounce(() => {
  if (input.value !== state.q) update({ q: input.value, page: 1 }, { typing: true });
}, 250);

input.addEventListener("input", searchAsYouType);
form.addEventListener("submit", (event) => {
  event.preventDefault();
  update({ q: input.value, page: 1 });
});
collapseBox.addEventListener("change", () => update({ collapse: collapseBox.checked, page: 1 }));
window.addEventListener("popstate", () => {
  state = readUrl();
  typingEntry = false;
  syncInputs();
  run();
});

if (window.matchMedia("(max-width: 760px)").matches) $("facets-box").open = false;
syncInputs();
run();
input.focus();
