// Entities of a namespace with their keepalive state, a page at a time.

import { listUrl, nsPath, request } from "../api.js";
import { errorBox, h, pager, statusPill, timeCell } from "../dom.js";
import { every } from "../poll.js";
import { entityHref } from "./events.js";

export async function render(root, { namespace }) {
  const limit = 100;
  let etag = null;
  const body = h("tbody");
  const problem = h("div");
  const pages = pager("Pages of entities", () => load().catch((error) => problem.replaceChildren(errorBox(error))));
  root.append(h("section", { class: "page" },
    h("div", { class: "page-head" }, h("h1", {}, "Entities")),
    problem,
    h("table", { "aria-label": "Entities" },
      h("thead", {}, h("tr", {}, ["Keepalive", "Entity", "Class", "Subscriptions", "Last seen"].map((c) => h("th", { scope: "col" }, c)))),
      body),
    pages.nav));

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
      result = await request("GET", listUrl(nsPath(namespace, "entities"), { limit, continue: pages.token() }), { etag: poll ? etag : null });
    } catch (error) {
      problem.replaceChildren(errorBox(error));
      return;
    }
    if (result.status === 304) return;
    problem.replaceChildren();
    etag = result.etag;
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
    pages.show(result.next);
  }

  await load();
  return every(() => load(true));
}
