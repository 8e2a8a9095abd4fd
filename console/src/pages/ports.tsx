import { useEffect, useState } from "preact/hooks";
import { Alert } from "../alert";
import { call, type Json } from "../api";

/** An environment's preview ports: open one, follow its signed link, close it.
 *
 * A preview page is served on the console's own origin, so its link always opens in a new tab with
 * `noopener`: a tab opened with an opener would get a copy of this tab's sessionStorage, and with
 * it the API key. The signed link carries a short-lived token for that port only, never the key. */
export function Ports({ environmentId }: { environmentId: string }) {
  const [ports, setPorts] = useState<Json[]>([]);
  const [links, setLinks] = useState<Record<number, string>>({});
  const [wanted, setWanted] = useState("8000");
  const [error, setError] = useState("");
  const [tick, setTick] = useState(0);
  const base = `environments/${environmentId}/ports`;

  useEffect(() => {
    call<{ ports?: Json[] }>("GET", base)
      .then((list) => setPorts(list.ports ?? []))
      .catch((exc) => setError(String(exc.message ?? exc)));
  }, [base, tick]);

  const run = async (action: () => Promise<unknown>) => {
    setError("");
    try {
      await action();
      setTick((n) => n + 1);
    } catch (exc) {
      setError(exc instanceof Error ? exc.message : String(exc));
    }
  };
  const open = (port: number) =>
    run(async () => {
      const opened = await call<Json>("POST", base, { port });
      if (opened.browser_url) setLinks((known) => ({ ...known, [port]: String(opened.browser_url) }));
    });

  return (
    <div class="ports">
      <h2>Ports</h2>
      <p class="muted">A process listening on a port inside the sandbox opens here, for your key only.</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          open(Number(wanted));
        }}
      >
        <label for="port">Port</label>{" "}
        <input id="port" type="number" min={1} max={65535} required value={wanted} onInput={(e) => setWanted((e.target as HTMLInputElement).value)} />{" "}
        <button type="submit">Open port</button>
      </form>
      <Alert message={error} />
      <ul>
        {ports.map((entry) => {
          const port = Number(entry.port);
          return (
            <li data-port={port}>
              <code>{port}</code>{" "}
              {links[port] ? (
                <a href={links[port]} target="_blank" rel="noopener noreferrer">
                  Open preview <span class="sr-only">of port {port}</span>
                </a>
              ) : (
                <button type="button" onClick={() => open(port)}>
                  Get a link <span class="sr-only">for port {port}</span>
                </button>
              )}{" "}
              <button type="button" onClick={() => run(() => call("DELETE", `${base}/${port}`))}>
                Close <span class="sr-only">port {port}</span>
              </button>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
