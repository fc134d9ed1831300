// Entities of a namespace with their keepalive state, a page at a time.

import { listUrl, nsPath, request } from "../api.js";
import { errorBox, h, statusPill, timeCell } from "../dom.js";
import { every } from "../poll.js";
import { entityHref } from "./events.js";

export async function render(root, { namespace }) {
  const state = { tokens: [""], page: 0, limit: 100 };
  let etag = null;
  let next = null;
  const body = h("tbody");
  const problem = h("div");
  const prev = h("button", { type: "button" }, "← Previous");
  const nextButton = h("button", { type: "button" }, "Next →");
  root.append(h("section", { class: "page" },
    h("div", { class: "page-head" }, h("h1", {}, "Entities")),
    problem,
    h("table", { "aria-label": "Entities" },
      h("thead", {}, h("tr", {}, ["Keepalive", "Entity", "Class", "Subscriptions", "Last seen"].map((c) => h("th", { scope: "col" }, c)))),
      body),
    h("nav", { class: "pager", "aria-label": "Pages of entities" }, prev, nextButton)));

  async function keepalives(names) {
    if (!names.length) return new Map();
    const quoted = names.map((n) => `"${n.replace(/["\\]/g, "")}"`).join(",");
    const url = listUrl(nsPath(namespace, "events"), { fieldSelector: `event.check.name == keepalive && event.entity.name in [${quoted}]` });
    try {
      const { data } = await request("GET", url);
      return new Map((data || []).map((ev) => [ev.entity.metadata.name, ev.check.status]));
    } catch {
      return new Map();
    }
  }

  async function load(poll = false) {
    let result;
    try {
      result = await request("GET", listUrl(nsPath(namespace, "entities"), { limit: state.limit, continue: state.tokens[state.page] }), { etag: poll ? etag : null });
    } catch (error) {
      problem.replaceChildren(errorBox(error));
      return;
    }
    if (result.status === 304) return;
    problem.replaceChildren();
    etag = result.etag;
    next = result.next;
    const items = result.data || [];
    const alive = await keepalives(items.map((e) => e.metadata.name));
    const rows = items.map((e) => h("tr", {},
      h("td", {}, alive.has(e.metadata.name) ? statusPill(alive.get(e.metadata.name)) : h("span", { class: "muted" }, "none")),
      h("td", {}, h("a", { href: entityHref(namespace, e.metadata.name) }, e.metadata.name)),
      h("td", {}, e.entity_class || ""),
      h("td", {}, (e.subscriptions || []).join(", ")),
      h("td", {}, timeCell(e.last_seen))));
    if (!rows.length) rows.push(h("tr", {}, h("td", { colspan: 5, class: "empty" }, "No entities.")));
    body.replaceChildren(...rows);
    prev.disabled = state.page === 0;
    nextButton.disabled = !next;
  }

  const reload = () => load().catch((error) => problem.replaceChildren(errorBox(error)));
  prev.addEventListener("click", () => {
    state.page = Math.max(0, state.page - 1);
    reload();
  });
  nextButton.addEventListener("click", () => {
    if (!next) return;
    state.tokens[state.page + 1] = next;
    state.page += 1;
    reload();
  });
  await load();
  return every(() => load(true));
}
