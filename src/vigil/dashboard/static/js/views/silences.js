// Silences of a namespace: list, create, delete.

import { currentSession, nsPath, request } from "../api.js";
import { actionButton, can, errorBox, h, notify, when } from "../dom.js";
import { every } from "../poll.js";

export async function render(root, { namespace, allowed }) {
  let etag = null;
  const body = h("tbody");
  const problem = h("div");
  const deletable = can(allowed, "silenced", "delete");
  const section = h("section", { class: "page" },
    h("div", { class: "page-head" }, h("h1", {}, "Silences")),
    problem);
  root.append(section);

  if (can(allowed, "silenced", "create")) {
    const subscription = h("input", { id: "new-subscription", placeholder: "entity:web-1, linux; empty: any" });
    const check = h("input", { id: "new-check", placeholder: "empty: any check" });
    const reason = h("input", { id: "new-reason" });
    const expire = h("input", { id: "new-expire", type: "number", min: "0", value: "3600" });
    const onResolve = h("input", { id: "new-on-resolve", type: "checkbox" });
    const submit = h("button", { type: "submit" }, "Create silence");
    const form = h("form", { class: "inline-form", "aria-label": "New silence" },
      h("label", { for: "new-subscription" }, "Subscription"), subscription,
      h("label", { for: "new-check" }, "Check"), check,
      h("label", { for: "new-reason" }, "Reason"), reason,
      h("label", { for: "new-expire" }, "Seconds (0 = none)"), expire,
      h("label", { class: "check" }, onResolve, " until resolved"),
      submit);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const sub = subscription.value.trim();
      const chk = check.value.trim();
      const seconds = Number(expire.value);
      const doc = {
        metadata: { name: `${sub || "*"}:${chk || "*"}`, namespace },
        subscription: sub,
        check: chk,
        reason: reason.value,
        expire_on_resolve: onResolve.checked,
        creator: (currentSession() || {}).username || "",
      };
      if (seconds > 0) doc.expire = seconds;
      submit.disabled = true;
      try {
        await request("POST", nsPath(namespace, "silenced"), { body: doc });
        notify(`Created silence ${doc.metadata.name}.`);
        form.reset();
        await load();
      } catch (error) {
        notify(error.message, "error");
      } finally {
        submit.disabled = false;
      }
    });
    section.append(h("h2", {}, "New silence"), form);
  }
  section.append(h("table", { "aria-label": "Silences" },
    h("thead", {}, h("tr", {}, ["Name", "Reason", "Creator", "Begins", "Expires", deletable ? "Actions" : null].filter(Boolean).map((c) => h("th", { scope: "col" }, c)))),
    body));

  async function load(poll = false) {
    let result;
    try {
      result = await request("GET", nsPath(namespace, "silenced"), { etag: poll ? etag : null });
    } catch (error) {
      problem.replaceChildren(errorBox(error));
      return;
    }
    if (result.status === 304) return;
    problem.replaceChildren();
    etag = result.etag;
    const rows = (result.data || []).map((s) => h("tr", {},
      h("td", {}, h("code", {}, s.metadata.name)),
      h("td", {}, s.reason || ""),
      h("td", {}, s.creator || ""),
      h("td", {}, when(s.begin)),
      h("td", {}, s.expire_at ? when(s.expire_at) : s.expire_on_resolve ? "when resolved" : "never"),
      deletable ? h("td", {}, actionButton("Delete", async () => {
        await request("DELETE", nsPath(namespace, "silenced", s.metadata.name));
        notify(`Deleted silence ${s.metadata.name}.`);
        await load();
      }, { class: "danger", "aria-label": `Delete silence ${s.metadata.name}` })) : null));
    if (!rows.length) rows.push(h("tr", {}, h("td", { colspan: 6, class: "empty" }, "No silences.")));
    body.replaceChildren(...rows);
  }

  await load();
  return every(() => load(true));
}
