// Shared helpers for the jdsearch pages.
//
// Clause text is untrusted (scraped from the web), so nothing here ever assigns HTML: every
// element is built with createElement and every string goes in as a text node. Highlights are
// drawn from the API's `spans` (offsets into the original text), never from its `highlight`
// string.

/** Create an element: el("a", {href: "/", class: "x"}, "text", child). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Remove every child of a node. */
export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

/**
 * Text with some character ranges wrapped in <mark>. `spans` are [start, end) in Unicode code
 * points (as Python counts them), so the text is split into code points first.
 */
export function markedText(text, spans, markClass = "") {
  const chars = Array.from(text);
  const out = [];
  let last = 0;
  const sorted = [...(spans || [])].sort((a, b) => a[0] - b[0]);
  for (const [start, end] of sorted) {
    if (start < last || end <= start) continue;
    if (start > last) out.push(document.createTextNode(chars.slice(last, start).join("")));
    out.push(el("mark", { class: markClass || null }, chars.slice(start, end).join("")));
    last = end;
  }
  if (last < chars.length) out.push(document.createTextNode(chars.slice(last).join("")));
  return out;
}

/** Text with two kinds of marks (diff viewer): each span list gets its own class. */
export function diffText(text, changed, script) {
  const tagged = [
    ...(changed || []).map((s) => [s[0], s[1], "diff-changed"]),
    ...(script || []).map((s) => [s[0], s[1], "diff-script"]),
  ].sort((a, b) => a[0] - b[0]);
  const chars = Array.from(text);
  const out = [];
  let last = 0;
  for (const [start, end, cls] of tagged) {
    if (start < last) continue;
    if (start > last) out.push(document.createTextNode(chars.slice(last, start).join("")));
    const title = cls === "diff-changed" ? "different wording" : "same word, other script or width";
    out.push(el("mark", { class: cls, title }, chars.slice(start, end).join("")));
    last = end;
  }
  if (last < chars.length) out.push(document.createTextNode(chars.slice(last).join("")));
  return out;
}

/** An error from the API, carrying its one-line message and HTTP status. */
export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

/** GET a JSON endpoint; throws ApiError with the server's {"error": ...} message. */
export async function api(path, params = {}, signal = undefined) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value !== "" && value !== null && value !== undefined && value !== false) {
      url.searchParams.set(key, String(value));
    }
  }
  let response;
  try {
    response = await fetch(url, { signal, headers: { Accept: "application/json" } });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError("cannot reach the jdsearch server", 0);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    throw new ApiError((body && body.error) || `HTTP ${response.status}`, response.status);
  }
  return body;
}

const LANG_NAMES = { en: "English", "zh-Hans": "简体", "zh-Hant": "繁體" };

/** Human name of a language code, for badges. */
export function langName(code) {
  return LANG_NAMES[code] || code;
}

/** The file name of a source path (`dir/file.txt#3` -> `file.txt#3`). */
export function baseName(path) {
  const parts = String(path).split(/[\\/]/);
  return parts[parts.length - 1] || String(path);
}

/** A small labelled badge. */
export function badge(kind, text, title = "") {
  return el("span", { class: `badge badge-${kind}`, title: title || null }, text);
}

/** The `lang` attribute for clause text, so the browser picks the right CJK glyphs. */
export function htmlLang(code) {
  return code === "en" ? "en" : code;
}

/** Show a one-line message in a status element (role=status, so screen readers hear it). */
export function say(node, message, isError = false) {
  node.textContent = message;
  node.classList.toggle("error", isError);
}

/** Call fn at most once per `ms` of quiet (the instant search box). */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** Theme labels by id, loaded once per page (only when a page has theme ids to show). */
let themeLabels = null;
export async function loadThemeLabels() {
  if (themeLabels) return themeLabels;
  const labels = new Map();
  try {
    const data = await api("/api/themes", { groups: 0 });
    for (const area of data.areas) {
      for (const theme of area.themes) {
        labels.set(theme.theme_id, { en: theme.label_en, zh: theme.label_zh });
      }
    }
  } catch {
    // themes may not be computable (tiny index): ids are shown instead of labels
  }
  themeLabels = labels;
  return labels;
}

/** "English · 中文" for a theme or area, leaving out a placeholder such as "(no English terms)"
 * that the theme model writes when a theme has no words in that language. */
export function themeName(en, zh) {
  const usable = [en, zh].filter((text) => text && !/^\(.*\)$/.test(text));
  return usable.length ? usable.join(" · ") : en || zh || "";
}

/** POST a decision to /api/decisions; throws ApiError with the server's one-line message. A
 * write token (for a server beyond loopback) is read from localStorage "jdsearch-token". */
export async function decide(body) {
  const headers = { Accept: "application/json", "Content-Type": "application/json" };
  const token = window.localStorage.getItem("jdsearch-token");
  if (token) headers["X-Jdsearch-Token"] = token;
  let response;
  try {
    response = await fetch("/api/decisions", { method: "POST", headers, body: JSON.stringify(body) });
  } catch {
    throw new ApiError("cannot reach the jdsearch server", 0);
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError((data && data.error) || `HTTP ${response.status}`, response.status);
  }
  return data;
}
