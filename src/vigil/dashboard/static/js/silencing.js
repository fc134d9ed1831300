// Which silences apply to an event, by the backend's rule: a silence names a subscription, a
// check, or both (empty or * = any), has begun, and has not expired. An event's candidate
// subscriptions are entity:<name>, plus the entity's subscriptions for proxy checks, or else
// those shared by the check and the entity. The stored flag covers silences older than the
// event's last result; this covers those created since.

import { nsPath, request } from "./api.js";

function isAny(value) {
  return !value || value === "*";
}

function candidates(event) {
  const entity = event.entity || {};
  const check = event.check || {};
  const name = (entity.metadata || {}).name || "";
  const own = entity.subscriptions || [];
  const shared = check.proxy_entity_name ? own : (check.subscriptions || []).filter((s) => own.includes(s));
  return new Set([`entity:${name}`, ...shared]);
}

export function silencesFor(event, silences, now = Date.now() / 1000) {
  const check = ((event.check || {}).metadata || {}).name || "";
  const subs = candidates(event);
  return silences.filter((s) => {
    if (s.begin && s.begin > now) return false;
    if (s.expire_at && s.expire_at <= now) return false;
    if (!isAny(s.check) && s.check !== check) return false;
    return isAny(s.subscription) || subs.has(s.subscription);
  });
}

export function isSilenced(event, silences) {
  return Boolean((event.check || {}).is_silenced || event.is_silenced) || silencesFor(event, silences).length > 0;
}

// Every silence of the namespace (they are few next to events), re-read only when changed.
export class SilenceWatch {
  constructor(namespace) {
    this.namespace = namespace;
    this.items = [];
    this.etag = null;
  }

  async refresh() {
    try {
      const result = await request("GET", nsPath(this.namespace, "silenced"), { etag: this.etag });
      if (result.status === 304) return false;
      this.items = result.data || [];
      this.etag = result.etag;
      return true;
    } catch (error) {
      if (error.status === 401) throw error;
      return false; // no permission to read silences: only the stored flag counts
    }
  }
}
