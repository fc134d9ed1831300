// The filter box: our selectors or free text.
//   label:<selector> / labelSelector:<selector>  -> labelSelector
//   field:<selector> / fieldSelector:<selector>  -> fieldSelector
//   a selector naming event.* fields               -> fieldSelector
//   any other selector (key == value ...)          -> labelSelector
//   free text: every word must match the entity or the check name (server side, so it
//   covers every page, not just the one on screen)

const OPERATOR = /(==|!=|\bnotin\b|\bin\b|\bmatches\b)/;

export function selectorsFor(input) {
  const text = input.trim();
  if (!text) return {};
  const prefixed = /^(label|labelSelector|field|fieldSelector)\s*:\s*(.*)$/is.exec(text);
  if (prefixed) {
    const key = prefixed[1].toLowerCase().startsWith("label") ? "labelSelector" : "fieldSelector";
    return { [key]: prefixed[2] };
  }
  if (OPERATOR.test(text)) {
    return /\bevent\./.test(text) ? { fieldSelector: text } : { labelSelector: text };
  }
  const words = text.split(/\s+/).map((w) => w.replace(/["\\]/g, "")).filter(Boolean);
  if (!words.length) return {};
  const clause = (w) => `(event.entity.name matches "${w}" || event.check.name matches "${w}")`;
  return { fieldSelector: words.map(clause).join(" && ") };
}
