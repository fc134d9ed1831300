// One event: full output, status history strip, and the actions the user may take.

import { currentSession, nsPath, request } from "../api.js";
import { actionButton, can, duration, h, notify, statusPill, statusWord, timeCell, when } from "../dom.js";
import { every } from "../poll.js";
import { silencesFor, SilenceWatch } from "../silencing.js";
import { entityHref } from "./events.js";

const DURATIONS = [
  [900, "15 minutes"],
  [3600, "1 hour"],
  [14400, "4 hours"],
  [86400, "1 day"],
  [0, "no expiry"],
];

function historyStrip(check) {
  const history = check.history || [];
  return h("ol", { class: "history", "aria-label": `Status history, oldest first (${history.length} results)` },
    history.map((item) => h("li", {
      class: `status-${["ok", "warning", "critical"][item.status] || "unknown"}`,
      title: `${statusWord(item.status)} at ${when(item.executed)}`,
    }, h("span", { class: "visually-hidden" }, `${statusWord(item.status)} at ${when(item.executed)}`))));
}

function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function silenceForm(namespace, ev, done) {
  const reason = h("input", { id: "silence-reason", name: "reason", required: false, placeholder: "why (shown to others)" });
  const expiry = h("select", { id: "silence-duration" }, DURATIONS.map(([s, label]) => h("option", { value: s, selected: s === 3600 }, label)));
  const onResolve = h("input", { id: "silence-on-resolve", type: "checkbox" });
  const submit = h("button", { type: "submit" }, "Silence");
  const form = h("form", { class: "inline-form", "aria-label": "Silence this event" },
    h("label", { for: "silence-reason" }, "Reason"), reason,
    h("label", { for: "silence-duration" }, "For"), expiry,
    h("label", { class: "check" }, onResolve, " until resolved"),
    submit);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    submit.disabled = true;
    const subscription = `entity:${ev.entity.metadata.name}`;
    const check = ev.check.metadata.name;
    const seconds = Number(expiry.value);
    const body = {
      metadata: { name: `${subscription}:${check}`, namespace },
      subscription,
      check,
      reason: reason.value,
      expire_on_resolve: onResolve.checked,
      creator: (currentSession() || {}).username || "",
    };
    if (seconds > 0) body.expire = seconds;
    try {
      await request("POST", nsPath(namespace, "silenced"), { body });
      notify(`Silenced ${check} on ${ev.entity.metadata.name}.`);
      await done();
    } catch (error) {
      notify(error.message, "error");
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

export async function render(root, { namespace, allowed, params, go }) {
  const [entityName, checkName] = params;
  const path = nsPath(namespace, "events", entityName, checkName);
  const silences = new SilenceWatch(namespace);
  const section = h("section", { class: "page event-view" });
  root.append(section);
  let etag = null;

  async function load(poll = false) {
    await silences.refresh();
    const result = await request("GET", path, { etag: poll ? etag : null });
    if (result.status === 304 && poll) return;
    // Never redraw under the user's hands (a half-filled form, a focused button).
    if (poll && section.contains(document.activeElement)) return;
    etag = result.etag;
    draw(result.data);
  }

  function draw(ev) {
    const check = ev.check;
    const active = silencesFor(ev, silences.items);
    const silenced = Boolean(check.is_silenced || active.length);
    document.title = `${entityName} / ${checkName} · Vigil`;
    const actions = h("div", { class: "actions", role: "group", "aria-label": "Actions" });
    if (can(allowed, "events", "update")) {
      actions.append(actionButton("Resolve", async () => {
        const now = Math.floor(Date.now() / 1000);
        const who = (currentSession() || {}).username || "";
        const body = { ...ev, timestamp: now, check: { ...check, status: 0, executed: now, output: `Resolved manually by ${who}` } };
        await request("PUT", path, { body });
        notify(`Resolved ${checkName} on ${entityName}.`);
        await load();
      }, { id: "resolve", disabled: check.status === 0 }));
    }
    if (can(allowed, "checks", "create") && checkName !== "keepalive") {
      actions.append(actionButton("Re-run check", async () => {
        const result = await request("POST", nsPath(namespace, "checks", checkName, "execute"), {
          body: { check: checkName, subscriptions: [`entity:${entityName}`] },
        });
        const issued = result.data && result.data.issued ? ` (issued ${when(result.data.issued)})` : "";
        notify(`Asked the agents to run ${checkName} on ${entityName}${issued}.`);
      }, { id: "rerun" }));
    }
    if (can(allowed, "events", "delete")) {
      const confirmBox = h("span", { class: "confirm", hidden: true }, "Delete this event? ",
        actionButton("Yes, delete", async () => {
          await request("DELETE", path);
          notify(`Deleted ${checkName} on ${entityName}.`);
          go("n", namespace, "events");
        }, { id: "confirm-delete", class: "danger" }),
        h("button", { type: "button", onclick: () => { confirmBox.hidden = true; del.hidden = false; del.focus(); } }, "Cancel"));
      const del = h("button", { type: "button", id: "delete", class: "danger", onclick: () => { confirmBox.hidden = false; del.hidden = true; confirmBox.querySelector("button").focus(); } }, "Delete");
      actions.append(del, confirmBox);
    }
    const silenceBlock = h("div", { class: "silences" });
    if (active.length) {
      silenceBlock.append(h("h2", {}, "Silenced by"), h("ul", {}, active.map((s) => h("li", {},
        h("code", {}, s.metadata.name), s.reason ? ` — ${s.reason}` : "",
        s.expire_at ? ` (until ${when(s.expire_at)})` : s.expire_on_resolve ? " (until resolved)" : "",
        can(allowed, "silenced", "delete") ? [" ", actionButton("Remove silence", async () => {
          await request("DELETE", nsPath(namespace, "silenced", s.metadata.name));
          notify(`Removed silence ${s.metadata.name}.`);
          await load();
        }, { class: "link" })] : null))));
    }
    if (!silenced && can(allowed, "silenced", "create")) silenceBlock.append(h("h2", {}, "Silence"), silenceForm(namespace, ev, () => load()));

    section.replaceChildren(
      h("p", { class: "crumbs" }, h("a", { href: `#/n/${encodeURIComponent(namespace)}/events` }, "Events"), " / ",
        h("a", { href: entityHref(namespace, entityName) }, entityName), " / ", checkName),
      h("div", { class: "page-head" }, h("h1", {}, `${entityName} / ${checkName}`), statusPill(check.status),
        silenced ? h("span", { class: "tag-silenced", id: "silenced-state" }, "silenced") : h("span", { class: "muted", id: "silenced-state" }, "not silenced")),
      actions,
      h("h2", {}, "Status history"),
      historyStrip(check),
      h("h2", {}, "Output"),
      h("pre", { class: "full-output", id: "output" }, check.output || "(no output)"),
      silenceBlock,
      h("h2", {}, "Details"),
      facts([
        ["Last seen", timeCell(ev.timestamp)],
        ["Executed", when(check.executed)],
        ["Last OK", when(check.last_ok)],
        ["State", check.state],
        ["Occurrences", String(check.occurrences ?? "")],
        ["Duration", check.duration ? `${Number(check.duration).toFixed(3)} s` : ""],
        ["Command", check.command ? h("code", {}, check.command) : ""],
        ["Schedule", check.cron ? `cron ${check.cron}` : check.interval ? `every ${duration(check.interval)}` : ""],
        ["Subscriptions", (check.subscriptions || []).join(", ")],
        ["Handlers", (check.handlers || []).join(", ")],
      ]),
    );
  }

  await load();
  return every(() => load(true));
}
