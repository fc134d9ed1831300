// Building the page. Text always goes in as text nodes, never as HTML: nothing an event,
// a check or a user writes can run here.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

const STATUS = {
  0: ["ok", "passing"],
  1: ["warning", "warning"],
  2: ["critical", "critical"],
};

export function statusWord(status) {
  return (STATUS[status] || ["unknown", "unknown"])[1];
}

export function statusPill(status) {
  const [cls, word] = STATUS[status] || ["unknown", `unknown (${status})`];
  return h("span", { class: `status status-${cls}`, title: `exit status ${status}` }, word);
}

export function firstLine(text) {
  const line = String(text || "").split("\n").find((l) => l.trim()) || "";
  return line.length > 160 ? line.slice(0, 157) + "…" : line;
}

export function ago(seconds) {
  if (!seconds) return "never";
  const delta = Math.round(Date.now() / 1000 - seconds);
  if (delta < 5) return "just now";
  if (delta < 60) return `${delta}s ago`;
  if (delta < 3600) return `${Math.floor(delta / 60)}m ago`;
  if (delta < 86400) return `${Math.floor(delta / 3600)}h ago`;
  return `${Math.floor(delta / 86400)}d ago`;
}

export function when(seconds) {
  return seconds ? new Date(seconds * 1000).toLocaleString() : "—";
}

export function timeCell(seconds) {
  return h("time", { datetime: seconds ? new Date(seconds * 1000).toISOString() : null, title: when(seconds) }, ago(seconds));
}

export function duration(seconds) {
  if (!seconds) return "no expiry";
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

export function notify(message, kind = "info") {
  const box = document.getElementById("notice");
  box.replaceChildren(h("p", { class: `notice notice-${kind}` }, message));
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => box.replaceChildren(), kind === "error" ? 10000 : 4000);
}

export function errorBox(error) {
  return h("p", { class: "error", role: "alert" }, error.message || String(error));
}

// A button that runs an async action, shows the server's message when it fails, and is
// disabled while it runs (so a double click sends one request).
export function actionButton(label, action, attrs = {}) {
  const button = h("button", { type: "button", ...attrs }, label);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await action();
    } catch (error) {
      notify(error.message || String(error), "error");
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

export function can(allowed, resource, verb) {
  return Boolean(allowed && allowed[resource] && allowed[resource].includes(verb));
}

// Keyset paging by Sensu-Continue tokens: the tokens of the pages seen so far (Previous goes
// back through them) and the two buttons; `reload` shows the page `token()` names.
export function pager(label, reload) {
  const tokens = [""];
  let page = 0;
  let next = null;
  const prev = h("button", { type: "button" }, "← Previous");
  const forward = h("button", { type: "button" }, "Next →");
  prev.addEventListener("click", () => {
    page = Math.max(0, page - 1);
    reload();
  });
  forward.addEventListener("click", () => {
    if (!next) return;
    tokens[page + 1] = next;
    page += 1;
    reload();
  });
  return {
    nav: h("nav", { class: "pager", "aria-label": label }, prev, forward),
    token: () => tokens[page],
    // After a page arrived: its successor's token (null on the last page).
    show(nextToken) {
      next = nextToken;
      prev.disabled = page === 0;
      forward.disabled = !next;
    },
  };
}
