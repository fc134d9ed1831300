// One entity: its facts, keepalive state and every event it has.

import { nsPath, request } from "../api.js";
import { firstLine, h, statusPill, timeCell, when } from "../dom.js";
import { every } from "../poll.js";
import { eventHref } from "./events.js";

export async function render(root, { namespace, params }) {
  const [name] = params;
  const section = h("section", { class: "page" });
  root.append(section);
  document.title = `${name} · Vigil`;

  const etags = [null, null];
  let last = null;

  async function load(poll = false) {
    const [one, list] = await Promise.all([
      request("GET", nsPath(namespace, "entities", name), { etag: poll ? etags[0] : null }),
      request("GET", nsPath(namespace, "events", name), { etag: poll ? etags[1] : null }),
    ]);
    if (one.status === 304 && list.status === 304) return;
    // Never redraw under a keyboard user's focus; the next poll tries again.
    if (poll && section.contains(document.activeElement)) return;
    etags[0] = one.etag;
    etags[1] = list.etag;
    last = [one.data ?? (last && last[0]), list.data ?? (last && last[1])];
    draw(...last);
  }

  function draw(entity, events) {
    const keepalive = (events || []).find((ev) => ev.check.metadata.name === "keepalive");
    const system = entity.system || {};
    section.replaceChildren(
      h("p", { class: "crumbs" }, h("a", { href: `#/n/${encodeURIComponent(namespace)}/entities` }, "Entities"), " / ", name),
      h("div", { class: "page-head" }, h("h1", {}, name),
        keepalive ? [h("span", { class: "muted" }, "keepalive"), statusPill(keepalive.check.status)] : h("span", { class: "muted" }, "no keepalive")),
      h("dl", { class: "facts" },
        h("dt", {}, "Class"), h("dd", {}, entity.entity_class || ""),
        h("dt", {}, "Last seen"), h("dd", {}, timeCell(entity.last_seen)),
        h("dt", {}, "Subscriptions"), h("dd", {}, (entity.subscriptions || []).join(", ")),
        h("dt", {}, "Host"), h("dd", {}, [system.hostname, system.os, system.platform].filter(Boolean).join(" · ")),
        h("dt", {}, "Labels"), h("dd", {}, Object.entries((entity.metadata || {}).labels || {}).map(([k, v]) => `${k}=${v}`).join(", ")),
        h("dt", {}, "Keepalive last run"), h("dd", {}, keepalive ? when(keepalive.check.executed) : "—")),
      h("h2", {}, "Events"),
      h("table", { "aria-label": `Events of ${name}` },
        h("thead", {}, h("tr", {}, ["Status", "Check", "Output", "Last seen"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, (events || []).length ? events.map((ev) => h("tr", {},
          h("td", {}, statusPill(ev.check.status)),
          h("td", {}, h("a", { href: eventHref(namespace, ev) }, ev.check.metadata.name)),
          h("td", { class: "output" }, firstLine(ev.check.output)),
          h("td", {}, timeCell(ev.timestamp)))) : h("tr", {}, h("td", { colspan: 4, class: "empty" }, "No events.")))),
    );
  }

  await load();
  return every(() => load(true));
}
