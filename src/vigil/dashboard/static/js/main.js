// The shell: sign-in gate, header (pages, namespace switcher, sign out) and the hash router.
// Routes: #/login, #/n/<namespace>/<page>[/<name>...]

import { currentSession, namespaces, permissions, signOut } from "./api.js";
import { errorBox, h, notify } from "./dom.js";
import * as checks from "./views/checks.js";
import * as entities from "./views/entities.js";
import * as entity from "./views/entity.js";
import * as event from "./views/event.js";
import * as events from "./views/events.js";
import * as login from "./views/login.js";
import * as silences from "./views/silences.js";

const NS_KEY = "vigil.namespace";
const main = document.getElementById("main");
const header = document.getElementById("top");
const select = document.getElementById("namespace");
const state = { namespace: null, allowed: {}, known: null, stop: null, generation: 0 };

function viewFor(page, rest) {
  if (page === "events" && rest.length === 2) return event;
  if (page === "entities" && rest.length === 1) return entity;
  return { events, entities, checks, silences }[page] || null;
}

export function go(...parts) {
  location.hash = "#/" + parts.map((p) => encodeURIComponent(p)).join("/");
}

async function knownNamespaces() {
  if (state.known === null) {
    try {
      state.known = await namespaces();
    } catch {
      state.known = [];
    }
  }
  return state.known;
}

// The namespace chosen last time if the user may still see it, else the first they may see.
async function landing() {
  const known = await knownNamespaces();
  const last = remembered();
  return known.includes(last) || !known.length ? last : known[0];
}

async function loadNamespaces(current) {
  await knownNamespaces();
  const names = state.known.includes(current) ? state.known : [current, ...state.known];
  select.replaceChildren(...names.map((n) => h("option", { value: n, selected: n === current }, n)));
}

function updateHeader(page) {
  for (const link of header.querySelectorAll("nav a")) {
    const target = link.dataset.page;
    link.href = `#/n/${encodeURIComponent(state.namespace)}/${target}`;
    if (target === page) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const session = currentSession();
  document.getElementById("user").textContent = session ? session.username : "";
}

async function route() {
  const generation = ++state.generation;
  if (state.stop) {
    state.stop();
    state.stop = null;
  }
  const session = currentSession();
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (!session) {
    header.hidden = true;
    state.known = null;
    state.namespace = null;
    document.title = "Sign in · Vigil";
    main.replaceChildren();
    login.render(main, { onSignedIn: async () => (parts[0] === "n" ? route() : go("n", await landing(), "events")) });
    return;
  }
  if (parts[0] !== "n" || !parts[1]) {
    go("n", await landing(), "events");
    return;
  }
  const [, namespace, page = "events", ...rest] = parts;
  const view = viewFor(page, rest);
  if (!view) {
    go("n", namespace, "events");
    return;
  }
  header.hidden = false;
  if (namespace !== state.namespace) {
    state.namespace = namespace;
    localStorage.setItem(NS_KEY, namespace);
    try {
      state.allowed = await permissions(namespace);
    } catch (error) {
      state.allowed = {};
      if (error.status === 401) return;
    }
    await loadNamespaces(namespace);
  }
  if (generation !== state.generation) return;
  updateHeader(page);
  main.replaceChildren();
  const ctx = { namespace, allowed: state.allowed, params: rest, go };
  const focusedBefore = document.activeElement;
  try {
    state.stop = (await view.render(main, ctx)) || null;
    // A keyboard user who followed a link lands on the new page, not on a removed node.
    if (!document.activeElement || document.activeElement === document.body || !document.contains(focusedBefore)) {
      main.focus({ preventScroll: true });
    }
  } catch (error) {
    if (error.status !== 401) main.replaceChildren(errorBox(error));
  }
}

function remembered() {
  return localStorage.getItem(NS_KEY) || "default";
}

select.addEventListener("change", () => {
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  go("n", select.value, parts[2] || "events");
});
document.getElementById("signout").addEventListener("click", () => signOut());
window.addEventListener("vigil:signedout", (e) => {
  location.hash = "#/login";
  route();
  if (e.detail) notify(e.detail, "error");
});
window.addEventListener("hashchange", route);
route();
