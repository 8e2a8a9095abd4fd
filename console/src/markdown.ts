// Model text is Markdown from an untrusted source. Raw HTML in it is shown as text (marked's `html`
// tokens are escaped, so a browser never parses a model's tags); what Markdown itself makes then
// passes DOMPurify, which removes anything that could run or load (javascript: links and the
// rest), and links open in a new tab with no opener or referrer.
import DOMPurify from "dompurify";
import { Marked } from "marked";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const marked = new Marked({ gfm: true, breaks: false, renderer: { html: ({ text }) => escapeHtml(text) } });

const purifier = DOMPurify();

purifier.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer nofollow");
  }
  if (node.tagName === "IMG") {
    // Only inline data images: a remote image would leak the viewer's address to its host.
    const src = node.getAttribute("src") ?? "";
    if (!src.startsWith("data:image/")) node.removeAttribute("src");
  }
});

const OPTIONS = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "iframe", "object", "embed", "svg", "math"],
  FORBID_ATTR: ["style", "srcset", "action", "formaction"],
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#|data:image\/(?:png|jpeg|gif|webp);)/i,
};

/** Sanitized HTML for Markdown text. */
export function renderMarkdown(text: string): string {
  const html = marked.parse(text, { async: false }) as string;
  return purifier.sanitize(html, OPTIONS) as string;
}
