// Events of a namespace: one page at a time from the server (limit/continue), so 10,000
// events cost the browser no more than 100; filtered on the server with selectors or free
// text; sorted on screen; polled with If-None-Match for live updates.

import { listUrl, nsPath, request } from "../api.js";
import { errorBox, firstLine, h, statusPill, timeCell } from "../dom.js";
import { selectorsFor } from "../filter.js";
import { every } from "../poll.js";
import { isSilenced, SilenceWatch } from "../silencing.js";

const PAGE_SIZES = [50, 100, 250, 500];
const COLUMNS = [
  ["status", "Status"],
  ["entity", "Entity"],
  ["check", "Check"],
  ["output", "Output"],
  ["timestamp", "Last seen"],
  ["silenced", "Silenced"],
];
const SORT_KEYS = {
  status: (e) => e.check.status,
  entity: (e) => e.entity.metadata.name,
  check: (e) => e.check.metadata.name,
  output: (e) => firstLine(e.check.output),
  timestamp: (e) => e.timestamp || 0,
};

// Kept across visits in this tab, per namespace.
const remembered = new Map();

export function eventHref(namespace, ev) {
  const parts = ["n", namespace, "events", ev.entity.metadata.name, ev.check.metadata.name];
  return "#/" + parts.map(encodeURIComponent).join("/");
}

export function entityHref(namespace, name) {
  return "#/" + ["n", namespace, "entities", name].map(encodeURIComponent).join("/");
}

export function outputCell(ev, expanded, onToggle) {
  const output = ev.check.output || "";
  const first = firstLine(output);
  const full = output.trim();
  const cell = h("td", { class: "output" }, h("span", { class: "first-line" }, first || "—"));
  if (full && full !== first) {
    const open = expanded.has(keyOf(ev));
    const button = h("button", { type: "button", class: "link more", "aria-expanded": String(open) }, open ? "less" : "full output");
    button.addEventListener("click", () => onToggle(keyOf(ev)));
    cell.append(" ", button);
    if (open) cell.append(h("pre", { class: "full-output" }, output));
  }
  return cell;
}

function keyOf(ev) {
  return `${ev.entity.metadata.name}/${ev.check.metadata.name}`;
}

export async function render(root, { namespace }) {
  const state = remembered.get(namespace) || { filter: "", limit: 100, tokens: [""], page: 0, sort: { key: "status", dir: -1 } };
  remembered.set(namespace, state);
  let items = [];
  let etag = null;
  let next = null;
  const expanded = new Set();
  const silences = new SilenceWatch(namespace);

  const filter = h("input", {
    id: "filter",
    type: "search",
    value: state.filter,
    placeholder: 'free text, or a selector: event.check.status == "2"',
    "aria-describedby": "filter-help",
    autocomplete: "off",
    spellcheck: "false",
  });
  const size = h("select", { id: "page-size" }, PAGE_SIZES.map((n) => h("option", { value: n, selected: n === state.limit }, n)));
  const problem = h("div", { id: "filter-problem" });
  const count = h("span", { class: "count", "aria-live": "polite" });
  const updated = h("span", { class: "updated" });
  const body = h("tbody");
  const prev = h("button", { type: "button", id: "prev-page" }, "← Previous");
  const nextButton = h("button", { type: "button", id: "next-page" }, "Next →");
  const pageLabel = h("span", { class: "page-label" });
  const headRow = h("tr");
  const table = h("table", { class: "events", "aria-label": "Events" }, h("thead", {}, headRow), body);

  root.append(
    h("section", { class: "page" },
      h("div", { class: "page-head" }, h("h1", {}, "Events"), count, updated),
      h("div", { class: "toolbar" },
        h("label", { for: "filter" }, "Filter"), filter,
        h("label", { for: "page-size" }, "Rows"), size),
      h("p", { id: "filter-help", class: "help" },
        "Free text matches entity and check names. Selectors: ",
        h("code", {}, "event.check.status != 0"), ", ",
        h("code", {}, "linux in event.entity.subscriptions"), ", ",
        h("code", {}, 'region == "eu"'), " (labels), with && || and parentheses. Press / to filter."),
      problem,
      table,
      h("nav", { class: "pager", "aria-label": "Pages of events" }, prev, pageLabel, nextButton)),
  );

  function renderHead() {
    headRow.replaceChildren(...COLUMNS.map(([key, label]) => {
      const active = state.sort.key === key;
      const sortable = key in SORT_KEYS || key === "silenced";
      const th = h("th", { scope: "col", "aria-sort": active ? (state.sort.dir > 0 ? "ascending" : "descending") : null });
      if (!sortable) th.append(label);
      else {
        const button = h("button", { type: "button", class: "sort", dataset: { sort: key } }, label, active ? (state.sort.dir > 0 ? " ▲" : " ▼") : "");
        button.addEventListener("click", () => {
          state.sort = { key, dir: active ? -state.sort.dir : key === "status" || key === "timestamp" ? -1 : 1 };
          renderHead();
          renderRows();
        });
        th.append(button);
      }
      return th;
    }));
  }

  function sorted() {
    const { key, dir } = state.sort;
    const valueOf = key === "silenced" ? (e) => (isSilenced(e, silences.items) ? 1 : 0) : SORT_KEYS[key];
    return [...items].sort((a, b) => {
      const x = valueOf(a);
      const y = valueOf(b);
      const order = x < y ? -1 : x > y ? 1 : 0;
      return order * dir || keyOf(a).localeCompare(keyOf(b));
    });
  }

  function toggle(key) {
    if (expanded.has(key)) expanded.delete(key);
    else expanded.add(key);
    renderRows();
  }

  // Which focusable element of which row has the focus, so a redraw can put it back.
  function focusedSpot() {
    const active = document.activeElement;
    const row = active && active.closest ? active.closest("tr[data-event]") : null;
    if (!row || !body.contains(row)) return null;
    return { key: row.dataset.event, index: [...row.querySelectorAll("a, button")].indexOf(active) };
  }

  function renderRows() {
    const spot = focusedSpot();
    draw();
    if (spot) {
      const row = [...body.querySelectorAll("tr[data-event]")].find((r) => r.dataset.event === spot.key);
      const target = row && row.querySelectorAll("a, button")[spot.index];
      if (target) target.focus({ preventScroll: true });
    }
  }

  function draw() {
    const rows = sorted().map((ev) => {
      const silenced = isSilenced(ev, silences.items);
      return h("tr", { class: silenced ? "silenced" : null, dataset: { event: keyOf(ev) } },
        h("td", {}, statusPill(ev.check.status)),
        h("td", {}, h("a", { href: entityHref(namespace, ev.entity.metadata.name) }, ev.entity.metadata.name)),
        h("td", {}, h("a", { href: eventHref(namespace, ev), class: "event-link" }, ev.check.metadata.name)),
        outputCell(ev, expanded, toggle),
        h("td", {}, timeCell(ev.timestamp)),
        h("td", { class: "silenced-cell" }, silenced ? h("span", { class: "tag-silenced" }, "silenced") : h("span", { class: "muted" }, "—")));
    });
    if (!rows.length) rows.push(h("tr", {}, h("td", { colspan: COLUMNS.length, class: "empty" }, "No events match.")));
    body.replaceChildren(...rows);
    const start = state.page * state.limit;
    count.textContent = items.length ? `${start + 1}–${start + items.length}` + (next ? " of more" : "") : "";
    pageLabel.textContent = `Page ${state.page + 1}`;
    prev.disabled = state.page === 0;
    nextButton.disabled = !next;
  }

  // Loads started by the user report their failure on the page, never as an unhandled rejection.
  function reload() {
    load().catch((error) => problem.replaceChildren(errorBox(error)));
  }

  async function load({ poll = false } = {}) {
    const selectors = selectorsFor(state.filter);
    const url = listUrl(nsPath(namespace, "events"), { limit: state.limit, continue: state.tokens[state.page], ...selectors });
    const changedSilences = await silences.refresh();
    let result;
    try {
      result = await request("GET", url, { etag: poll ? etag : null });
    } catch (error) {
      if (poll) throw error;
      items = [];
      next = null;
      problem.replaceChildren(errorBox(error));
      renderRows();
      return;
    }
    problem.replaceChildren();
    updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
    if (result.status === 304) {
      if (changedSilences) renderRows();
      return;
    }
    items = result.data || [];
    etag = result.etag;
    next = result.next;
    renderRows();
  }

  function restart() {
    state.tokens = [""];
    state.page = 0;
    etag = null;
    reload();
  }

  let debounce = null;
  filter.addEventListener("input", () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      if (filter.value !== state.filter) {
        state.filter = filter.value;
        restart();
      }
    }, 350);
  });
  filter.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      clearTimeout(debounce);
      state.filter = filter.value;
      restart();
    }
  });
  size.addEventListener("change", () => {
    state.limit = Number(size.value);
    restart();
  });
  prev.addEventListener("click", () => {
    if (state.page > 0) {
      state.page -= 1;
      etag = null;
      reload();
    }
  });
  nextButton.addEventListener("click", () => {
    if (!next) return;
    state.tokens[state.page + 1] = next;
    state.tokens.length = state.page + 2;
    state.page += 1;
    etag = null;
    reload();
  });
  const slash = (e) => {
    if (e.key === "/" && !["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName)) {
      e.preventDefault();
      filter.focus();
    }
  };
  document.addEventListener("keydown", slash);

  renderHead();
  await load();
  const stop = every(() => load({ poll: true }));
  return () => {
    stop();
    clearTimeout(debounce);
    document.removeEventListener("keydown", slash);
  };
}
