/**
 * Escaping for text that goes into the report. Every string from a run (job
 * names, options, file names) passes through here before it is placed in
 * HTML or SVG, both in element content and in attribute values.
 */

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** `text` safe inside element content and quoted attribute values of HTML and SVG. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}
