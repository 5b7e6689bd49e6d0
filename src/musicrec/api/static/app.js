// musicrec web page: plain JavaScript over the REST API (no build step).
"use strict";

const state = { seeds: [], results: [], map: null, active: -1, playlistSeeds: [] };
const $ = (id) => document.getElementById(id);
// Rough ranges for drawing a feature's value as a bar (0 to 1).
const RANGES = { tempo: [40, 220], loudness: [-40, 0], duration_ms: [60000, 480000],
  year: [1950, 2021], popularity: [0, 100], key: [0, 11] };

// The catalog this page serves: "" for the service's own, "/catalogs/NAME" for another
// one it serves beside it (a library scanned from audio files, say).
const BASE = (location.pathname.match(/^\/catalogs\/[^/]+/) || [""])[0];

async function api(path, options = {}) {
  const response = await fetch(BASE + path, options);
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = await response.json();
      message = body.error || message;
      if (body.candidates && body.candidates.length) {
        message += ". Closest: " + body.candidates.join("; ");
      }
    } catch (_) { /* not JSON */ }
    throw new Error(message);
  }
  return response;
}

function showError(message) {
  const box = $("error");
  box.textContent = message || "";
  box.hidden = !message;
}

// ------------------------------------------------------------------ search
let searchTimer = null;
function onSearchInput() {
  clearTimeout(searchTimer);
  const q = $("search").value.trim();
  if (!q) { closeSuggestions(); return; }
  searchTimer = setTimeout(() => runSearch(q), 180);
}

async function runSearch(q) {
  try {
    const hits = await (await api(`/search?q=${encodeURIComponent(q)}&limit=8`)).json();
    if ($("search").value.trim() !== q) return;  // the user typed on
    renderSuggestions(hits);
  } catch (err) { showError(err.message); }
}

function renderSuggestions(hits) {
  const list = $("suggestions");
  list.innerHTML = "";
  hits.forEach((hit, i) => {
    const li = document.createElement("li");
    li.role = "option";
    li.id = `suggestion-${i}`;
    li.className = "suggestion";
    li.dataset.trackId = hit.track_id;
    li.textContent = `${hit.name} - ${hit.artists.join(", ")}` + (hit.year ? ` (${hit.year})` : "");
    li.addEventListener("mousedown", (e) => { e.preventDefault(); addSeed(hit); });
    list.appendChild(li);
  });
  state.hits = hits;
  state.active = hits.length ? 0 : -1;
  highlight();
  list.hidden = !hits.length;
  $("search").setAttribute("aria-expanded", String(!!hits.length));
}

function highlight() {
  document.querySelectorAll("#suggestions li").forEach((li, i) => {
    li.setAttribute("aria-selected", String(i === state.active));
  });
  const active = state.active >= 0 ? `suggestion-${state.active}` : "";
  $("search").setAttribute("aria-activedescendant", active);
}

function closeSuggestions() {
  $("suggestions").hidden = true;
  $("search").setAttribute("aria-expanded", "false");
  state.active = -1;
}

function onSearchKey(event) {
  const count = (state.hits || []).length;
  if (event.key === "ArrowDown" && count) {
    state.active = (state.active + 1) % count; highlight(); event.preventDefault();
  } else if (event.key === "ArrowUp" && count) {
    state.active = (state.active - 1 + count) % count; highlight(); event.preventDefault();
  } else if (event.key === "Enter" && !$("suggestions").hidden && state.active >= 0) {
    addSeed(state.hits[state.active]); event.preventDefault();
  } else if (event.key === "Escape") {
    closeSuggestions();
  }
}

// ------------------------------------------------------------------ basket
function addSeed(hit) {
  if (!state.seeds.some((s) => s.track_id === hit.track_id)) {
    state.seeds.push({ track_id: hit.track_id, label: `${hit.name} - ${hit.artists.join(", ")}`,
      weight: 1, negative: false });
  }
  $("search").value = "";
  closeSuggestions();
  renderBasket();
  $("search").focus();
}

function renderBasket() {
  const basket = $("basket");
  basket.innerHTML = "";
  state.seeds.forEach((seed, i) => {
    const li = document.createElement("li");
    li.className = "seed" + (seed.negative ? " negative" : "");
    const name = document.createElement("span");
    name.className = "seed-name";
    name.textContent = seed.label;
    const weight = document.createElement("label");
    weight.innerHTML = `weight <input type="range" min="0.5" max="3" step="0.5" value="${seed.weight}"
      aria-label="weight of ${seed.label.replace(/"/g, "")}"> <output class="weight-value"></output>`;
    const shown = weight.querySelector("output");
    shown.textContent = `${seed.weight.toFixed(1)}×`;
    weight.querySelector("input").addEventListener("input", (e) => {
      seed.weight = Number(e.target.value);
      shown.textContent = `${seed.weight.toFixed(1)}×`;
    });
    const less = document.createElement("label");
    less.innerHTML = `<input type="checkbox" ${seed.negative ? "checked" : ""}> less like this`;
    less.querySelector("input").addEventListener("change", (e) => {
      seed.negative = e.target.checked; renderBasket();
    });
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove";
    remove.textContent = "remove";
    remove.setAttribute("aria-label", `remove ${seed.label}`);
    remove.addEventListener("click", () => { state.seeds.splice(i, 1); renderBasket(); });
    li.append(name, weight, less, remove);
    basket.appendChild(li);
  });
  $("basket-empty").hidden = state.seeds.length > 0;
  $("go").disabled = !state.seeds.some((s) => !s.negative);
  $("make-path").disabled = state.seeds.filter((s) => !s.negative).length < 2;
  $("start-radio").disabled = !state.seeds.some((s) => !s.negative);
}

// ------------------------------------------------------------------ recommend
function range(minId, maxId) {
  const min = $(minId).value, max = $(maxId).value;
  if (min === "" && max === "") return null;
  return { min: min === "" ? null : Number(min), max: max === "" ? null : Number(max) };
}

function options() {
  const filters = {};
  const year = range("year-min", "year-max"); if (year) filters.year = year;
  const pop = range("pop-min", "pop-max"); if (pop) filters.popularity = pop;
  if ($("explicit").value) filters.explicit = $("explicit").value === "true";
  if ($("genre").value) filters.genres = [$("genre").value];
  if ($("tag").value) filters.tags = [$("tag").value];
  if ($("not-tag").value) filters.exclude_tags = [$("not-tag").value];
  return { k: Number($("k").value), diversity: Number($("diversity").value), filters,
    same_cluster: $("same-cluster").checked };
}

async function recommend() {
  const body = {
    seeds: state.seeds.filter((s) => !s.negative).map((s) => ({ query: s.track_id, weight: s.weight })),
    negatives: state.seeds.filter((s) => s.negative).map((s) => ({ query: s.track_id, weight: s.weight })),
    ...options(),
  };
  state.playlistSeeds = [];
  await ask("/recommend", body, $("go"), "Recommend");
}

// a song path: from the first of the user's songs to the second, through /path
async function makePath() {
  const songs = state.seeds.filter((s) => !s.negative);
  const body = { start: songs[0].track_id, end: songs[1].track_id,
    steps: Number($("path-steps").value), filters: options().filters };
  state.playlistSeeds = [];
  await ask("/path", body, $("make-path"), "Make a path");
}

// a radio station: /radio, then /radio/{station}/next with a like or a skip; the list
// shows every song the station played, the newest last
async function radio(path, body) {
  showError("");
  try {
    const result = await (await api(path, { method: "POST",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })).json();
    state.station = result.station;
    state.radioPlayed = (path === "/radio" ? [] : state.radioPlayed).concat(result.results);
    state.results = state.radioPlayed.map((r, i) => ({ ...r, rank: i + 1 }));
    state.playlistSeeds = [];
    renderResults({ results: state.results, notices: result.notices });
    drawMap();
    const now = result.results[0];
    $("radio-now").textContent = now ? `Playing: ${now.name} - ${now.artists.join(", ")}`
      : "The station has run out of songs that pass the options.";
    $("radio-now").hidden = false;
    $("radio-controls").hidden = !now;
  } catch (err) {
    showError(err.message);
  }
}

function startRadio() {
  const seeds = state.seeds.filter((s) => !s.negative)
    .map((s) => ({ query: s.track_id, weight: s.weight }));
  return radio("/radio", { seeds, n: 1, filters: options().filters });
}

function radioNext(feedback) {
  return radio(`/radio/${encodeURIComponent(state.station)}/next`, { feedback, n: 1 });
}

// a playlist the user has: its file's text goes to /recommend/playlist
async function playlistText() {
  const file = $("playlist-file").files[0];
  if (file) return { text: await file.text(), name: file.name };
  return { text: $("playlist-text").value, name: "pasted playlist" };
}

function onPlaylistInput() {
  $("extend").disabled = !($("playlist-file").files.length || $("playlist-text").value.trim());
}

async function extendPlaylist() {
  const given = await playlistText();
  if (!given.text.trim()) { showError("The playlist is empty."); return; }
  await ask("/recommend/playlist", { ...given, ...options() }, $("extend"),
    "Extend this playlist", (result) => { state.playlistSeeds = result.seeds; });
}

async function ask(path, body, button, label, also) {
  showError("");
  button.disabled = true;
  button.textContent = "Finding songs…";
  try {
    const result = await (await api(path, { method: "POST",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })).json();
    state.results = result.results;
    if (also) also(result);
    renderResults(result);
    drawMap();
  } catch (err) {
    // the old list answered another question: it goes, so it is not read as this answer
    state.results = [];
    $("results").replaceChildren();
    ["m3u8", "jspf", "csv"].forEach((f) => { $(`export-${f}`).disabled = true; });
    drawMap();
    showError(err.message);
  } finally {
    button.textContent = label;
    renderBasket();
    onPlaylistInput();
  }
}

function bar(feature, value) {
  const [lo, hi] = RANGES[feature] || [0, 1];
  return Math.max(0, Math.min(1, (value - lo) / (hi - lo)));
}

function renderResults(result) {
  const list = $("results");
  list.innerHTML = "";
  const notices = $("notices");
  notices.innerHTML = "";
  result.notices.forEach((n) => { const li = document.createElement("li"); li.textContent = n; notices.appendChild(li); });
  result.results.forEach((r) => {
    const li = document.createElement("li");
    li.className = "result";
    const head = document.createElement("div");
    head.className = "result-head";
    const link = document.createElement("a");
    link.href = `https://open.spotify.com/track/${r.track_id}`;
    link.target = "_blank"; link.rel = "noopener";
    link.textContent = r.name || r.track_id;
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = ` ${r.artists.join(", ")}${r.year ? " · " + r.year : ""}` +
      (r.tags && r.tags.length ? ` · ${r.tags.join(", ")}` : "");
    const score = document.createElement("span");
    score.className = "score";
    score.textContent = r.score.toFixed(3);
    score.title = "cosine similarity to your songs";
    head.append(link, meta, score);
    const why = document.createElement("div");
    why.className = "why";
    why.setAttribute("aria-label", r.why);
    if (!r.reasons.length) why.textContent = r.why;
    r.reasons.forEach((reason) => {
      const row = document.createElement("div");
      // how it sounds alike first; era, popularity and length only place it ("also")
      const main = reason.kind !== "context";  // sound, or what listening data says
      row.className = main ? "reason" : "reason context";
      row.title = main ? reason.text : `also ${reason.text} (context, not sound)`;
      row.innerHTML = `<span class="feature"></span>
        <span class="bars"><span class="bar track" style="width:${(bar(reason.feature, reason.value) * 100).toFixed(0)}%"></span>
        <span class="bar seeds" style="width:${(bar(reason.feature, reason.seed_value) * 100).toFixed(0)}%"></span></span>
        <span class="text"></span>`;
      row.querySelector(".feature").textContent =
        (main ? "" : "also ") + reason.feature.replace("_ms", "");
      row.querySelector(".text").textContent = reason.text.replace(/^\S+ /, "");
      why.appendChild(row);
    });
    li.append(head, why);
    list.appendChild(li);
  });
  ["m3u8", "jspf", "csv"].forEach((f) => { $(`export-${f}`).disabled = !result.results.length; });
}

// ------------------------------------------------------------------ export
async function download(format) {
  showError("");
  try {
    const response = await api(`/export?format=${format}`, { method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ track_ids: state.results.map((r) => r.track_id), title: "musicrec playlist" }) });
    const blob = await response.blob();
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `musicrec-playlist.${format}`;
    document.body.appendChild(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  } catch (err) { showError(err.message); }
}

// ------------------------------------------------------------------ map
// The page loads the compact map (quantised coordinates, labels, no track ids) and asks
// the server for the rows of the few songs it highlights.
function decodeCoordinates(b64, [lo, hi], n) {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const view = new DataView(bytes.buffer);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (view.getUint16(2 * i, true) / 65535) * (hi - lo);
  return out;
}

async function loadMap() {
  try {
    const m = await (await api("/map/compact")).json();
    state.map = { x: decodeCoordinates(m.x, m.bounds[0], m.n),
      y: decodeCoordinates(m.y, m.bounds[1], m.n), labels: m.labels.split("\n"), axes: m.axes };
    state.rows = new Map();
    drawMap();
  } catch (err) { $("map").textContent = "The map could not be loaded: " + err.message; }
}

async function mapRows(ids) {
  const missing = ids.filter((id) => !state.rows.has(id));
  if (missing.length) {
    const body = await (await api("/map/rows", { method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ track_ids: missing }) })).json();
    missing.forEach((id, i) => state.rows.set(id, body.rows[i]));
  }
  return ids.map((id) => state.rows.get(id)).filter((i) => i !== null && i !== undefined);
}

async function drawMap() {
  if (!state.map || !window.Plotly) return;
  const m = state.map;
  const drawing = (state.drawing = (state.drawing || 0) + 1);  // a newer draw wins
  const want = (list) => list.map((s) => s.track_id);
  let seeds, negatives, results;
  try {
    [seeds, negatives, results] = await Promise.all([
      mapRows(want(state.playlistSeeds.length ? state.playlistSeeds
        : state.seeds.filter((s) => !s.negative))),
      mapRows(want(state.seeds.filter((s) => s.negative))), mapRows(want(state.results))]);
  } catch (_) { seeds = negatives = results = []; }
  if (drawing !== state.drawing) return;
  const trace = (idx, name, marker) => ({ type: "scattergl", mode: "markers", name, marker,
    x: idx.map((i) => m.x[i]), y: idx.map((i) => m.y[i]), text: idx.map((i) => m.labels[i]),
    hovertemplate: "%{text}<extra></extra>" });
  const data = [
    { type: "scattergl", mode: "markers", name: "all songs", x: m.x, y: m.y, text: m.labels,
      hovertemplate: "%{text}<extra></extra>", marker: { size: 3, color: "#BBBBBB", opacity: 0.45 } },
    trace(results, "recommended", { size: 10, color: "#0077BB", line: { width: 1, color: "#fff" } }),
    trace(seeds, "your songs", { size: 18, color: "#EE7733", symbol: "star", line: { width: 1, color: "#333" } }),
    trace(negatives, "less like these", { size: 14, color: "#CC3311", symbol: "x", line: { width: 1, color: "#333" } }),
  ];
  // the legend sits above the plot, so on a narrow screen it cannot cover the axis title
  window.Plotly.react("map", data, { margin: { t: 40, r: 10, b: 40, l: 40 }, height: 420,
    xaxis: { title: { text: m.axes[0] } }, yaxis: { title: { text: m.axes[1] } },
    legend: { orientation: "h", x: 0, y: 1.02, xanchor: "left", yanchor: "bottom" } },
  { responsive: true, displaylogo: false });
}

// ------------------------------------------------------------------ start
async function start() {
  $("search").addEventListener("input", onSearchInput);
  $("search").addEventListener("keydown", onSearchKey);
  $("search").addEventListener("blur", () => setTimeout(closeSuggestions, 150));
  $("go").addEventListener("click", recommend);
  $("extend").addEventListener("click", extendPlaylist);
  $("make-path").addEventListener("click", makePath);
  $("start-radio").addEventListener("click", startRadio);
  $("radio-like").addEventListener("click", () => radioNext("like"));
  $("radio-skip").addEventListener("click", () => radioNext("skip"));
  $("radio-next").addEventListener("click", () => radioNext(null));
  $("playlist-file").addEventListener("change", onPlaylistInput);
  $("playlist-text").addEventListener("input", onPlaylistInput);
  $("diversity").addEventListener("input", (e) => {
    const v = Number(e.target.value);
    const text = v === 0 ? "none" : v <= 0.3 ? "a little" : "a lot";
    $("diversity-value").textContent = text;
    e.target.setAttribute("aria-valuetext", text);
  });
  ["m3u8", "jspf", "csv"].forEach((f) => $(`export-${f}`).addEventListener("click", () => download(f)));
  try {
    const health = await (await api("/health")).json();
    if (!health.explicit_known) $("explicit").closest("label").hidden = true;
    health.genres.forEach((g) => { const o = document.createElement("option"); o.value = g; o.textContent = g; $("genre").appendChild(o); });
    (health.tags || []).forEach((t) => {
      ["tag", "not-tag"].forEach((id) => {
        const o = document.createElement("option"); o.value = t; o.textContent = t; $(id).appendChild(o);
        $(id).closest("label").hidden = false;
      });
    });
  } catch (err) { showError("The service is not answering: " + err.message); }
  renderBasket();
  loadMap();
  loadCatalogs();
}

// A service serving several catalogs: a menu that opens the page of another one.
async function loadCatalogs() {
  let list = [];
  try { list = await (await fetch("/catalogs")).json(); } catch (_) { return; }
  const here = BASE ? BASE + "/" : "/";
  const current = list.find((c) => c.path === here);
  if (current && current.estimated) $("estimated-note").hidden = false;
  if (list.length < 2) return;
  const menu = $("catalog");
  list.forEach((c) => {
    const o = document.createElement("option");
    o.value = c.path;
    o.textContent = `${c.name} (${c.tracks.toLocaleString()} ${c.kind === "audio" ? "songs from your files" : "tracks"})`;
    o.selected = c.path === here;
    menu.appendChild(o);
  });
  menu.addEventListener("change", () => { location.href = menu.value; });
  $("catalog-box").hidden = false;
}

document.addEventListener("DOMContentLoaded", start);
