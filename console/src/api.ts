// Warren's public API as the console uses it: JSON calls with the signed-in key in a header, and the
// interaction event stream read with fetch (EventSource cannot send headers).
import { forgetKey, storedKey } from "./session";

export const VERSION = "v1beta";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export type Json = Record<string, any>;

export interface Interaction extends Json {
  id: string;
  status: string;
  agent?: string;
  model?: string;
  created?: string;
  updated?: string;
  usage?: Json;
  environment_id?: string;
  previous_interaction_id?: string;
}

export interface StreamEvent extends Json {
  event_type: string;
  event_id: string;
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const key = storedKey();
  return key ? { "x-goog-api-key": key, ...extra } : extra;
}

async function failure(response: Response): Promise<ApiError> {
  let code = "unknown";
  let message = `${response.status} ${response.statusText}`;
  let field: string | undefined;
  try {
    const body = await response.json();
    code = body?.error?.code ?? code;
    message = body?.error?.message ?? message;
    field = body?.error?.details?.[0]?.fieldViolations?.[0]?.field;
  } catch {
    // not JSON: keep the status line
  }
  if (response.status === 401) forgetKey();
  return new ApiError(response.status, code, message, field);
}

export async function call<T = Json>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: headers(), credentials: "omit", cache: "no-store" };
  if (body !== undefined) {
    init.headers = headers({ "content-type": "application/json" });
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`/${VERSION}/${path}`, init);
  if (!response.ok) throw await failure(response);
  return (await response.json()) as T;
}

export async function download(path: string): Promise<Blob> {
  const response = await fetch(`/${VERSION}/${path}`, { headers: headers(), credentials: "omit" });
  if (!response.ok) throw await failure(response);
  return await response.blob();
}

const CHUNK = 8 * 1024 * 1024;

/** The files API's resumable upload (Google's protocol): start, then chunks, the last one finalizing. */
export async function upload(
  environmentId: string,
  filePath: string,
  data: Blob,
  progress: (sent: number) => void = () => {},
): Promise<void> {
  const start = await fetch(`/upload/${VERSION}/environments/${environmentId}/files/${encodePath(filePath)}`, {
    method: "PUT",
    headers: headers({ "x-goog-upload-protocol": "resumable", "x-goog-upload-header-content-length": String(data.size) }),
    credentials: "omit",
  });
  if (!start.ok) throw await failure(start);
  const target = new URL(start.headers.get("x-goog-upload-url") ?? "", location.href);
  const url = target.pathname + target.search; // always this origin, whatever host the server saw
  let offset = 0;
  do {
    const end = Math.min(offset + CHUNK, data.size);
    const last = end >= data.size;
    const response = await fetch(url, {
      method: "POST",
      headers: headers({
        "x-goog-upload-command": last ? "upload, finalize" : "upload",
        "x-goog-upload-offset": String(offset),
      }),
      body: data.slice(offset, end),
      credentials: "omit",
    });
    if (!response.ok) throw await failure(response);
    offset = end;
    progress(offset);
  } while (offset < data.size);
}

export function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

const YIELD_MS = 30;

/** Follow an interaction's events after `after` (-1: from the start) until the stream ends.
 * Resolves with the last event id seen; `done` says whether the server sent its end marker. */
export async function followEvents(
  interactionId: string,
  after: number,
  onEvent: (event: StreamEvent) => void,
  signal: AbortSignal,
): Promise<{ last: number; done: boolean }> {
  const query = new URLSearchParams({ stream: "true" });
  if (after >= 0) query.set("last_event_id", String(after));
  const response = await fetch(`/${VERSION}/interactions/${interactionId}?${query}`, {
    headers: headers({ accept: "text/event-stream" }),
    credentials: "omit",
    cache: "no-store",
    signal,
  });
  if (!response.ok || !response.body) throw await failure(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let last = after;
  let yielded = performance.now();
  for (;;) {
    if (performance.now() - yielded > YIELD_MS) {
      // A long replay arrives faster than it is read: let the browser draw what came so far.
      await new Promise((resolve) => setTimeout(resolve, 0));
      yielded = performance.now();
    }
    const { value, done } = await reader.read();
    if (done) return { last, done: false };
    buffer += value;
    let cut: number;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const data = frame
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trimStart())
        .join("\n");
      if (!data) continue;
      if (data === "[DONE]") return { last, done: true };
      const event = JSON.parse(data) as StreamEvent;
      const id = Number(event.event_id);
      if (Number.isFinite(id) && id <= last) continue; // never apply an event twice
      last = Number.isFinite(id) ? id : last;
      onEvent(event);
    }
  }
}
