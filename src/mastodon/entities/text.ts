/** Plain text as the HTML Mastodon sends in `note`: escaped, paragraphs and line breaks kept. */
export function plainToHtml(text: string): string {
  const t = text.trim();
  if (t === "") return "";
  const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
  return t
    .split(/\n{2,}/)
    .map((p) => `<p>${esc(p).replace(/\n/g, "<br />")}</p>`)
    .join("");
}

/** Mastodon's `created_at` of an account: the day it was created, at midnight UTC. */
export function dayOf(d: Date): string {
  return `${d.toISOString().slice(0, 10)}T00:00:00.000Z`;
}
