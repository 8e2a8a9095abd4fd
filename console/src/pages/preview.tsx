// A file of the environment, previewed by its kind. Everything in it came from a sandbox: text is
// shown as text, Markdown is sanitized, images are blob: URLs in <img> (an SVG there runs nothing),
// and HTML renders in an <iframe sandbox=""> from a blob: URL: no script runs, and its origin is
// opaque, so it can neither read the console (`parent.document`) nor call the API as the user.
import { useEffect, useState } from "preact/hooks";
import { download, encodePath } from "../api";
import { Alert } from "../alert";
import { renderMarkdown } from "../markdown";

const MAX_TEXT_BYTES = 1024 * 1024;
const MAX_ROWS = 500;
const IMAGES: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  svg: "image/svg+xml",
};

type Shown =
  | { kind: "image" | "html"; url: string }
  | { kind: "markdown"; html: string }
  | { kind: "table"; rows: string[][]; more: boolean }
  | { kind: "text"; text: string }
  | { kind: "binary"; size: number };

/** Rows of a CSV (or TSV) text: quoted fields, doubled quotes, newlines inside quotes. */
export function parseDelimited(text: string, separator: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === separator) row.push(field), (field = "");
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field), rows.push(row), (row = []), (field = "");
    } else field += c;
  }
  if (field !== "" || row.length) row.push(field), rows.push(row);
  return rows;
}

async function show(blob: Blob, path: string): Promise<Shown> {
  const extension = path.split(".").pop()?.toLowerCase() ?? "";
  if (IMAGES[extension]) return { kind: "image", url: URL.createObjectURL(new Blob([blob], { type: IMAGES[extension] })) };
  if (extension === "html" || extension === "htm") {
    return { kind: "html", url: URL.createObjectURL(new Blob([blob], { type: "text/html" })) };
  }
  if (blob.size > MAX_TEXT_BYTES) return { kind: "binary", size: blob.size };
  const bytes = new Uint8Array(await blob.arrayBuffer());
  if (bytes.includes(0)) return { kind: "binary", size: blob.size };
  const text = new TextDecoder().decode(bytes);
  if (extension === "md" || extension === "markdown") return { kind: "markdown", html: renderMarkdown(text) };
  if (extension === "csv" || extension === "tsv") {
    const rows = parseDelimited(text, extension === "tsv" ? "\t" : ",");
    return { kind: "table", rows: rows.slice(0, MAX_ROWS + 1), more: rows.length > MAX_ROWS + 1 };
  }
  return { kind: "text", text };
}

export function FilePreview({ environmentId, path }: { environmentId: string; path: string }) {
  const [shown, setShown] = useState<Shown | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    let url = "";
    setShown(null);
    download(`environments/${environmentId}/files/${encodePath(path)}?alt=media`)
      .then((blob) => show(blob, path))
      .then((result) => {
        if ("url" in result) url = result.url;
        setShown(result);
      })
      .catch((exc) => setError(String(exc.message ?? exc)));
    return () => url && URL.revokeObjectURL(url);
  }, [environmentId, path]);

  return (
    <div class="preview" data-testid="preview">
      <h3>{path}</h3>
      <Alert message={error} />
      {!shown && !error && <p class="muted">Loading…</p>}
      {shown?.kind === "image" && <img class="shot" src={shown.url} alt={`Preview of ${path}`} />}
      {shown?.kind === "html" && <iframe sandbox="" src={shown.url} title={`Preview of ${path}`} referrerpolicy="no-referrer" />}
      {shown?.kind === "markdown" && <div class="markdown" dangerouslySetInnerHTML={{ __html: shown.html }} />}
      {shown?.kind === "text" && <pre class="output">{shown.text}</pre>}
      {shown?.kind === "binary" && <p class="muted">{shown.size} bytes that are not text: download the file to open it.</p>}
      {shown?.kind === "table" && (
        <table class="list csv">
          <thead>
            <tr>
              {(shown.rows[0] ?? []).map((cell) => (
                <th scope="col">{cell}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.rows.slice(1).map((row) => (
              <tr>
                {row.map((cell) => (
                  <td>{cell}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {shown?.kind === "table" && shown.more && <p class="muted">The first {MAX_ROWS} rows.</p>}
    </div>
  );
}
