// Runs named SDK calls one after another and records each as {method, case, ok, error}.
// A call "fails" when the SDK throws or when a check on its answer does not hold; the pytest side
// (tests/conformance/test_js_sdk.py) holds which calls must succeed and which must be refused.

/** What the SDK reported, in the terms a user sees: the error class, HTTP status and message. */
export function describeError(err) {
  const status = err?.status ?? err?.statusCode ?? err?.rawResponse?.status ?? null;
  let code = err?.error?.error?.code ?? err?.error?.code ?? null;
  if (code === null && typeof err?.body === 'string') {
    try {
      code = JSON.parse(err.body)?.error?.code ?? null;
    } catch {
      code = null;
    }
  }
  return {
    class: err?.constructor?.name ?? typeof err,
    status: typeof status === 'number' ? status : null,
    code: typeof code === 'string' ? code : null,
    message: String(err?.message ?? err).slice(0, 600),
  };
}

export class Report {
  constructor() {
    this.calls = [];
  }

  /** Run `fn` (which makes the SDK call and checks its answer) and record the outcome; an object
   * `fn` returns is kept as the entry's `data`, for checks the pytest side makes itself. */
  async call(method, label, fn) {
    try {
      const data = await fn();
      this.calls.push({ method, case: label, ok: true, error: null, data: data ?? null });
    } catch (err) {
      this.calls.push({ method, case: label, ok: false, error: describeError(err), data: null });
    }
  }
}

/** Drain an SDK stream into an array, stopping after `limit` events when given. */
export async function collect(stream, limit = Infinity) {
  const events = [];
  for await (const event of stream) {
    events.push(event);
    if (events.length >= limit) break;
  }
  return events;
}

/** A fresh id with a readable prefix, so reruns against one server never collide. */
export function freshId(prefix) {
  return `${prefix}-${Math.random().toString(16).slice(2, 10)}`;
}

/** Walk every page of a list call one item at a time; each page must hold at most one item and no item
 * may come twice. Returns the ids in order. */
export async function walkPages(list, key) {
  const ids = [];
  let page_token;
  do {
    const page = await list({ page_size: 1, page_token });
    const items = page[key] ?? [];
    if (items.length > 1) throw new Error(`${key}: a page of ${items.length} with page_size 1`);
    ids.push(...items.map((item) => item.id));
    page_token = page.next_page_token;
  } while (page_token);
  if (new Set(ids).size !== ids.length) throw new Error(`${key}: an item on two pages: ${ids}`);
  return ids;
}

/** Poll `probe` every 200 ms until it returns something other than undefined. The generous limit only
 * keeps one stuck call from taking the whole run down with it: that call fails, the others report. */
export async function waitFor(what, probe, limitMs = 90_000) {
  const giveUp = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > giveUp) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
