// Checks of a namespace with their schedule, and "execute now" (ad hoc execute).

import { listUrl, nsPath, request } from "../api.js";
import { actionButton, can, duration, errorBox, h, notify, pager } from "../dom.js";

export async function render(root, { namespace, allowed }) {
  const limit = 100;
  const body = h("tbody");
  const problem = h("div");
  const pages = pager("Pages of checks", () => load().catch((error) => problem.replaceChildren(errorBox(error))));
  const runnable = can(allowed, "checks", "create");
  root.append(h("section", { class: "page" },
    h("div", { class: "page-head" }, h("h1", {}, "Checks")),
    problem,
    h("table", { "aria-label": "Checks" },
      h("thead", {}, h("tr", {}, ["Check", "Command", "Schedule", "Subscriptions", "Published", runnable ? "Actions" : null].filter(Boolean).map((c) => h("th", { scope: "col" }, c)))),
      body),
    pages.nav));

  function schedule(check) {
    if (check.cron) return `cron ${check.cron}`;
    const every = check.interval ? `every ${duration(check.interval)}` : "—";
    return check.round_robin ? `${every}, round robin` : every;
  }

  async function load() {
    let result;
    try {
      result = await request("GET", listUrl(nsPath(namespace, "checks"), { limit, continue: pages.token() }));
    } catch (error) {
      problem.replaceChildren(errorBox(error));
      return;
    }
    problem.replaceChildren();
    const rows = (result.data || []).map((c) => h("tr", {},
      h("td", {}, c.metadata.name),
      h("td", {}, h("code", {}, c.command || "")),
      h("td", {}, schedule(c)),
      h("td", {}, (c.subscriptions || []).join(", ")),
      h("td", {}, c.publish ? "yes" : "no"),
      runnable ? h("td", {}, actionButton("Execute now", async () => {
        const answer = await request("POST", nsPath(namespace, "checks", c.metadata.name, "execute"), { body: { check: c.metadata.name } });
        notify(`Requested ${c.metadata.name} on its subscriptions` + (answer.data && answer.data.issued ? ` (issued ${new Date(answer.data.issued * 1000).toLocaleTimeString()})` : "") + ".");
      }, { "aria-label": `Execute ${c.metadata.name} now` })) : null));
    if (!rows.length) rows.push(h("tr", {}, h("td", { colspan: 6, class: "empty" }, "No checks.")));
    body.replaceChildren(...rows);
    pages.show(result.next);
  }

  await load();
}
