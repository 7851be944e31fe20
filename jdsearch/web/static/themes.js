// The theme map: areas -> themes -> canonical duties as a plotly treemap or sunburst, a keyboard
// list of the same themes, and the selected theme's canonical duty, top terms and members.
// URL: ?theme=ID&labels=en|zh&chart=treemap|sunburst.
import {
  api, badge, clear, decide, el, htmlLang, langName, say, themeName,
} from "./common.js";

const MEMBERS_PAGE = 50;
const GROUPS_SHOWN = 30;
const FONT = 'system-ui, "Noto Sans CJK SC", "Noto Sans CJK TC", "PingFang SC", "Microsoft YaHei", sans-serif';
const $ = (id) => document.getElementById(id);
const statusLine = $("status");
const mapNode = $("map");
const listNode = $("theme-list");
const detail = $("detail");

let tree = null;
let state = readUrl();
const themeById = new Map();

function readUrl() {
  const p = new URLSearchParams(window.location.search);
  return {
    theme: p.get("theme") || "",
    labels: p.get("labels") === "zh" ? "zh" : "en",
    chart: p.get("chart") === "sunburst" ? "sunburst" : "treemap",
  };
}

function writeUrl(push) {
  const p = new URLSearchParams();
  if (state.theme) p.set("theme", state.theme);
  if (state.labels !== "en") p.set("labels", state.labels);
  if (state.chart !== "treemap") p.set("chart", state.chart);
  const url = `/themes${p.toString() ? `?${p}` : ""}`;
  if (push) history.pushState(null, "", url);
  else history.replaceState(null, "", url);
}

/** The label in the chosen language; the other one when a theme has no terms in it (the
 * theme model then labels it "(no English terms)" or "(无中文词)"). */
function label(node) {
  const usable = (text) => Boolean(text) && !/^\(.*\)$/.test(text);
  const [first, second] = state.labels === "zh"
    ? [node.label_zh, node.label_en] : [node.label_en, node.label_zh];
  if (usable(first)) return first;
  return usable(second) ? second : first || second || "";
}

/** Plotly reads a few HTML-like tags in labels: clause text goes in as entities, never tags. */
function plotlySafe(text) {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function shorten(text, n) {
  const chars = Array.from(text);
  return chars.length > n ? `${chars.slice(0, n).join("")}…` : text;
}

// ---- the chart
function chartData() {
  const d = { ids: ["root"], labels: [state.labels === "zh" ? "全部主题" : "All themes"],
    parents: [""], values: [0], hover: [""] };
  const add = (id, parent, text, value, hover) => {
    d.ids.push(id); d.parents.push(parent); d.labels.push(plotlySafe(text));
    d.values.push(value); d.hover.push(plotlySafe(hover));
  };
  for (const area of tree.areas) {
    const areaIndex = d.ids.length;
    add(`a:${area.area_id}`, "root", label(area), 0, themeName(area.label_en, area.label_zh));
    for (const theme of area.themes) {
      const value = theme.groups.reduce((n, g) => n + g.size, 0) + theme.other_size;
      add(`t:${theme.theme_id}`, `a:${area.area_id}`, label(theme), value,
        themeName(theme.label_en, theme.label_zh));
      for (const g of theme.groups) {
        add(`g:${g.group_id}:${theme.theme_id}`, `t:${theme.theme_id}`,
          shorten(g.canonical.text, 18), g.size, shorten(g.canonical.text, 120));
      }
      if (theme.other_size) {
        const more = theme.groups_total - theme.groups.length;
        add(`o:${theme.theme_id}`, `t:${theme.theme_id}`,
          state.labels === "zh" ? `其他 ${more} 项` : `+${more} more duties`, theme.other_size, "");
      }
      d.values[areaIndex] += value;
    }
    d.values[0] += d.values[areaIndex];
  }
  return d;
}

function renderChart() {
  if (!window.Plotly) {
    say(statusLine, "The chart library did not load; use the theme list.", true);
    return;
  }
  const d = chartData();
  const trace = {
    type: state.chart, ids: d.ids, labels: d.labels, parents: d.parents, values: d.values,
    hovertext: d.hover, branchvalues: "total", maxdepth: 3,
    hovertemplate: "%{label}<br>%{value} clauses<br>%{hovertext}<extra></extra>",
    textinfo: "label+value",
  };
  if (state.chart === "treemap") trace.tiling = { packing: "squarify" };
  const layout = {
    margin: { t: 28, l: 4, r: 4, b: 4 }, font: { family: FONT, size: 13 },
    paper_bgcolor: "#ffffff",
  };
  const config = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["toImage"] };
  window.Plotly.react(mapNode, [trace], layout, config);
  if (!mapNode.dataset.bound) {
    mapNode.on("plotly_click", onChartClick);
    mapNode.dataset.bound = "1";
  }
}

function onChartClick(event) {
  const point = event && event.points && event.points[0];
  if (!point || !point.id) return;
  const [kind, id, parentTheme] = point.id.split(":");
  if (kind === "t" || kind === "o") selectTheme(id, true, true);
  else if (kind === "g") selectTheme(parentTheme, true, true);
}

// ---- the keyboard list
function renderList() {
  clear(listNode);
  for (const area of tree.areas) {
    const list = el("ul", {});
    for (const theme of area.themes) {
      const button = el("button", {
        type: "button", class: "theme-button", dataset: { theme: theme.theme_id },
        "aria-current": theme.theme_id === state.theme ? "true" : null,
      }, el("span", {}, label(theme)), el("span", { class: "count" }, String(theme.size)));
      button.addEventListener("click", () => selectTheme(theme.theme_id));
      list.append(el("li", {}, button));
    }
    listNode.append(el("h2", { class: "area-title" }, `${label(area)} (${area.size})`), list);
  }
}

function markCurrent() {
  for (const b of listNode.querySelectorAll(".theme-button")) {
    if (b.dataset.theme === state.theme) b.setAttribute("aria-current", "true");
    else b.removeAttribute("aria-current");
  }
}

// ---- the selected theme
function selectTheme(themeId, push = true, fromChart = false) {
  if (!themeById.has(themeId)) return;
  state.theme = themeId;
  writeUrl(push);
  markCurrent();
  // the chart zooms itself when clicked; a choice from the list zooms it the same way
  if (!fromChart && window.Plotly && mapNode.data) {
    window.Plotly.restyle(mapNode, { level: `t:${themeId}` });
  }
  showTheme(themeId);
}

async function showTheme(themeId) {
  detail.hidden = false;
  clear(detail).append(el("p", { class: "muted" }, "Loading…"));
  let data;
  try {
    data = await api(`/api/themes/${encodeURIComponent(themeId)}`, { limit: MEMBERS_PAGE });
  } catch (err) {
    clear(detail).append(el("p", { class: "error" }, err.message));
    return;
  }
  if (state.theme !== themeId) return;
  const t = data.theme;
  const area = themeById.get(themeId).area;
  const canonLang = (data.members.find((m) => m.clause_id === t.canonical.clause_id) || {}).lang;
  const members = el("ol", { class: "members", id: "members" });
  clear(detail).append(
    el("h2", { id: "detail-title", tabindex: "-1" }, themeName(t.label.en, t.label.zh)),
    el("p", { class: "muted" },
      `${t.theme_id} in ${themeName(area.label_en, area.label_zh)} — ${t.size} clauses in ${t.documents} documents; `,
      Object.entries(t.langs).map(([l, n]) => `${langName(l)} ${n}`).join(", ")),
    el("h3", {}, "Canonical duty"),
    el("p", { class: "canonical-duty", lang: htmlLang(canonLang || "zh-Hans") }, t.canonical.text),
    el("h3", {}, "Top terms"),
    el("ul", { class: "terms" }, t.terms.map((term) => el("li", {}, term))),
    curationForm(t),
    el("h3", {}, `Members (${data.total})`),
    members,
  );
  appendMembers(members, data, themeId);
  detail.querySelector("#detail-title").focus({ preventScroll: true });
}

function appendMembers(list, data, themeId) {
  for (const c of data.members) {
    list.append(el("li", { dataset: { clauseId: c.clause_id } },
      badge("lang", langName(c.lang), c.lang), " ",
      el("span", { lang: htmlLang(c.lang) }, c.text), " ",
      el("a", { href: `/dupes?clause=${encodeURIComponent(c.clause_id)}`,
        "aria-label": `Variants of this clause` }, "variants"), " ",
      el("button", { type: "button", class: "curate-split",
        onclick: () => curate({ type: "theme-split", theme: themeId, members: [c.clause_id] }) },
      "Split into a new theme")));
  }
  const shown = list.childElementCount;
  if (shown >= data.total) return;
  const more = el("button", { type: "button", class: "more" }, `Show more (${data.total - shown} left)`);
  more.addEventListener("click", async () => {
    more.disabled = true;
    const next = await api(`/api/themes/${encodeURIComponent(themeId)}`,
      { limit: MEMBERS_PAGE, offset: shown });
    more.remove();
    appendMembers(list, next, themeId);
  });
  list.after(more);
}

// ---- curation: decisions kept through every recompute
async function curate(body, goTo = null) {
  say(statusLine, "Saving…");
  try {
    const d = await decide(body);
    tree = await api("/api/themes", { groups: GROUPS_SHOWN });
    themeById.clear();
    for (const area of tree.areas) for (const t of area.themes) themeById.set(t.theme_id, { ...t, area });
    renderList();
    renderChart();
    const next = goTo || state.theme;
    if (themeById.has(next)) selectTheme(next, true);
    say(statusLine, `Decision ${d.id} saved: ${d.type} (${d.status}).`);
  } catch (err) {
    say(statusLine, err.message, true);
  }
}

function curationForm(t) {
  const en = el("input", { id: "rename-en", name: "en", value: t.label.en, "aria-label": "English label" });
  const hans = el("input", { id: "rename-zh-hans", name: "zh-Hans", value: t.label.zh, "aria-label": "简体 label" });
  const hant = el("input", { id: "rename-zh-hant", name: "zh-Hant", value: "", placeholder: "繁體 (optional)", "aria-label": "繁體 label" });
  const rename = el("form", { class: "toolbar curate-rename" }, en, hans, hant,
    el("button", { type: "submit" }, "Rename"));
  rename.addEventListener("submit", (event) => {
    event.preventDefault();
    curate({ type: "theme-rename", theme: t.theme_id, en: en.value, "zh-Hans": hans.value,
      "zh-Hant": hant.value });
  });
  const others = [...themeById.values()].filter((x) => x.kind === t.kind && x.theme_id !== t.theme_id);
  const target = el("select", { id: "merge-into", "aria-label": "Merge with" },
    others.map((x) => el("option", { value: x.theme_id }, `${x.theme_id} ${themeName(x.label_en, x.label_zh)}`)));
  const merge = el("form", { class: "toolbar curate-merge" }, el("label", {}, "Merge with… ", target),
    el("button", { type: "submit" }, "Merge"));
  merge.addEventListener("submit", (event) => {
    event.preventDefault();
    curate({ type: "theme-merge", theme: t.theme_id, into: target.value }, target.value);
  });
  return el("section", { class: "curate", "aria-label": "Curate this theme" },
    el("h3", {}, "Curate"), rename, merge);
}

// ---- start
function onSwitch(event) {
  state[event.target.name] = event.target.value;
  writeUrl(false);
  renderList();
  renderChart();
}

function syncSwitches() {
  for (const input of document.querySelectorAll("input[name=labels], input[name=chart]")) {
    input.checked = input.value === state[input.name];
  }
}

async function init() {
  syncSwitches();
  for (const input of document.querySelectorAll("input[name=labels], input[name=chart]")) {
    input.addEventListener("change", onSwitch);
  }
  say(statusLine, "Loading themes… (the first visit after a change computes them)");
  try {
    tree = await api("/api/themes", { groups: GROUPS_SHOWN });
  } catch (err) {
    say(statusLine, err.message, true);
    return;
  }
  for (const area of tree.areas) for (const t of area.themes) themeById.set(t.theme_id, { ...t, area });
  const s = tree.scheme;
  say(statusLine, `${s.themes} themes in ${s.areas} areas, ${s.clauses} clauses.`);
  renderList();
  renderChart();
  if (state.theme) showTheme(state.theme);
}

window.addEventListener("popstate", () => {
  state = readUrl();
  syncSwitches();
  renderList();
  renderChart();
  if (state.theme) showTheme(state.theme);
  else detail.hidden = true;
});

init();
