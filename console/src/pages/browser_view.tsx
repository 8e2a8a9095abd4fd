// The agent's browser, live (issue 16, item 4): the page the agent drives, as the frames of
// `GET /{v}/environments/{id}/browser` arrive. While this panel follows the stream the sandbox's
// runner streams its page; when it stops following, the runner stops too. Hidden until a frame came.
import { useEffect, useState } from "preact/hooks";
import { VERSION } from "../api";
import { storedKey } from "../session";

const RETRY_MS = 1000;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

interface Shot {
  src: string;
  url: string;
  seq: number;
}

class Refused extends Error {
  constructor(readonly status: number) {
    super(`the browser stream answered ${status}`);
  }
}

/** A frame event's data as an image source: always a JPEG data URL, whatever else the data says. */
function shotOf(data: unknown): Shot | null {
  if (typeof data !== "object" || data === null) return null;
  const frame = data as Record<string, unknown>;
  if (typeof frame.data !== "string" || !BASE64.test(frame.data)) return null;
  return {
    src: `data:image/jpeg;base64,${frame.data}`,
    url: typeof frame.url === "string" ? frame.url : "",
    seq: typeof frame.seq === "number" ? frame.seq : 0,
  };
}

/** Follow the stream until it ends or `signal` aborts; a refusal throws its status. */
async function followFrames(environmentId: string, onShot: (shot: Shot) => void, signal: AbortSignal): Promise<void> {
  const key = storedKey();
  const headers: Record<string, string> = { accept: "text/event-stream" };
  if (key) headers["x-goog-api-key"] = key;
  const response = await fetch(`/${VERSION}/environments/${encodeURIComponent(environmentId)}/browser`, {
    headers,
    credentials: "omit",
    cache: "no-store",
    signal,
  });
  if (!response.ok || !response.body) throw new Refused(response.status);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    pending += value;
    let end: number;
    while ((end = pending.indexOf("\n\n")) >= 0) {
      const line = pending.slice(0, end).split("\n").find((l) => l.startsWith("data:"));
      pending = pending.slice(end + 2);
      const shot = line ? shotOf(JSON.parse(line.slice(5))) : null;
      if (shot) onShot(shot);
    }
  }
}

/** The panel: follows the stream while `live`, and keeps showing the last frame after. */
export function BrowserView({ environmentId, live }: { environmentId: string; live: boolean }) {
  const [shot, setShot] = useState<Shot | null>(null);

  useEffect(() => {
    if (!live) return;
    const abort = new AbortController();
    (async () => {
      while (!abort.signal.aborted) {
        try {
          await followFrames(environmentId, setShot, abort.signal);
        } catch (exc) {
          if (abort.signal.aborted) return;
          if (exc instanceof Refused && exc.status < 500 && exc.status !== 429) return;
        }
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    })();
    return () => abort.abort();
  }, [environmentId, live]);

  if (!shot) return null;
  return (
    <section class="browser-view" aria-labelledby="browser-view-title">
      <h2 id="browser-view-title">{live ? "The agent's browser, live" : "The agent's browser, last frame"}</h2>
      <img
        src={shot.src}
        alt={`The agent's browser showing ${shot.url || "a page"}`}
        data-testid="browser-frame"
        data-seq={shot.seq}
      />
      <p class="muted" data-testid="browser-url">
        {shot.url}
      </p>
    </section>
  );
}
