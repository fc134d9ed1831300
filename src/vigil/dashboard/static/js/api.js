// The REST API, called as the signed-in user: their own token on every request, refreshed
// through /auth/token before it lapses (or once after a 401), ended through /auth/logout.

const SESSION_KEY = "vigil.session";
const API = "/api/core/v2";

export class ApiError extends Error {
  constructor(status, message) {
    super(message || `request failed (${status})`);
    this.status = status;
  }
}

export function currentSession() {
  try {
    return JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
  } catch {
    return null;
  }
}

function saveSession(tokens, username) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({ ...tokens, username }));
}

function endSession(reason = "") {
  sessionStorage.removeItem(SESSION_KEY);
  window.dispatchEvent(new CustomEvent("vigil:signedout", { detail: reason }));
}

async function messageOf(response) {
  try {
    const body = await response.json();
    if (body && typeof body.message === "string" && body.message) return body.message;
  } catch {
    // not JSON: fall through to the status text
  }
  return `${response.status} ${response.statusText}`.trim();
}

function basic(username, password) {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  return "Basic " + btoa(String.fromCharCode(...bytes));
}

export async function signIn(username, password) {
  const response = await fetch("/auth", {
    headers: { Authorization: basic(username, password) },
    cache: "no-store",
  });
  if (response.status === 401) throw new ApiError(401, "Wrong username or password.");
  if (!response.ok) throw new ApiError(response.status, await messageOf(response));
  saveSession(await response.json(), username);
}

export async function signOut() {
  const session = currentSession();
  if (session) {
    try {
      await fetch("/auth/logout", {
        method: "POST",
        headers: { Authorization: `Bearer ${session.access_token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: session.refresh_token }),
        cache: "no-store",
      });
    } catch {
      // the session ends here whatever the server says
    }
  }
  endSession();
}

let refreshing = null;

// One refresh at a time: concurrent callers share it (a refresh token is single-use).
function refreshTokens() {
  if (!refreshing) {
    refreshing = (async () => {
      const session = currentSession();
      if (!session) return false;
      const response = await fetch("/auth/token", {
        method: "POST",
        headers: { Authorization: `Bearer ${session.access_token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: session.refresh_token }),
        cache: "no-store",
      });
      if (!response.ok) return false;
      saveSession(await response.json(), session.username);
      return true;
    })().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

async function send(method, path, body, headers) {
  const session = currentSession();
  const all = { Accept: "application/json", ...headers };
  if (session) all.Authorization = `Bearer ${session.access_token}`;
  if (body !== undefined) all["Content-Type"] = "application/json";
  return fetch(path, {
    method,
    headers: all,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
  });
}

// -> {status, data, etag, next}; 304 gives data null. Errors throw ApiError with the
// server's own message.
export async function request(method, path, { body, etag } = {}) {
  const session = currentSession();
  if (!session) {
    endSession();
    throw new ApiError(401, "Please sign in.");
  }
  if (session.expires_at && session.expires_at - 30 < Date.now() / 1000) await refreshTokens();
  const headers = etag ? { "If-None-Match": etag } : {};
  let response = await send(method, path, body, headers);
  if (response.status === 401) {
    if (await refreshTokens()) response = await send(method, path, body, headers);
    if (response.status === 401) {
      const message = "Your session has ended; please sign in again.";
      endSession(message);
      throw new ApiError(401, message);
    }
  }
  const result = {
    status: response.status,
    data: null,
    etag: response.headers.get("ETag"),
    next: response.headers.get("Sensu-Continue"),
  };
  if (response.status === 304) return result;
  if (!response.ok) throw new ApiError(response.status, await messageOf(response));
  const text = await response.text();
  result.data = text ? JSON.parse(text) : null;
  return result;
}

export function nsPath(namespace, ...parts) {
  const tail = parts.map((p) => encodeURIComponent(p)).join("/");
  return `${API}/namespaces/${encodeURIComponent(namespace)}/${tail}`;
}

export function listUrl(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(key, String(value));
  }
  const qs = query.toString();
  return qs ? `${path}?${qs}` : path;
}

export async function namespaces() {
  const { data } = await request("GET", `${API}/namespaces`);
  return (data || []).map((ns) => ns.name);
}

// What the signed-in user may do in a namespace: {resource: [verbs]} (the API still checks).
export async function permissions(namespace) {
  const { data } = await request("GET", listUrl("/dashboard/permissions", { namespace }));
  return (data && data.allowed) || {};
}
