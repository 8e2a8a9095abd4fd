import { Alert } from "../alert";
import { useEffect, useState } from "preact/hooks";
import { call, type Interaction } from "../api";
import { duration, tokens, when } from "../format";
import { isTerminal } from "../timeline";

const STATUSES = ["", "in_progress", "queued", "requires_action", "completed", "failed", "cancelled", "incomplete", "budget_exceeded"];
const PAGE_SIZE = 20;
const REFRESH_MS = 2000;

interface Page {
  interactions?: Interaction[];
  next_page_token?: string;
}

export function InteractionsPage() {
  const [status, setStatus] = useState("");
  const [agent, setAgent] = useState("");
  const [tokensStack, setTokensStack] = useState<string[]>([""]);
  const [page, setPage] = useState<Page>({});
  const [error, setError] = useState("");
  const [tick, setTick] = useState(0);
  const token = tokensStack[tokensStack.length - 1];

  useEffect(() => {
    const query = new URLSearchParams({ page_size: String(PAGE_SIZE), order: "newest" });
    if (status) query.set("status", status);
    if (agent.trim()) query.set("agent", agent.trim());
    if (token) query.set("page_token", token);
    let live = true;
    call<Page>("GET", `interactions?${query}`)
      .then((found) => live && (setPage(found), setError("")))
      .catch((exc) => live && setError(String(exc.message ?? exc)));
    return () => {
      live = false;
    };
  }, [status, agent, token, tick]);

  const running = (page.interactions ?? []).some((item) => !isTerminal(item.status));
  useEffect(() => {
    if (!running) return;
    const timer = setTimeout(() => setTick((n) => n + 1), REFRESH_MS);
    return () => clearTimeout(timer);
  }, [running, page]);

  const restart = () => setTokensStack([""]);
  const items = page.interactions ?? [];
  return (
    <section>
      <h1>Interactions</h1>
      <div class="filters">
        <label>
          Status{" "}
          <select value={status} onChange={(e) => (setStatus((e.target as HTMLSelectElement).value), restart())}>
            {STATUSES.map((s) => (
              <option value={s}>{s || "any"}</option>
            ))}
          </select>
        </label>
        <label>
          Agent{" "}
          <input
            type="search"
            value={agent}
            placeholder="any"
            onChange={(e) => (setAgent((e.target as HTMLInputElement).value), restart())}
          />
        </label>
      </div>
      <Alert message={error} />
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Interaction</th>
            <th scope="col">Status</th>
            <th scope="col">Agent or model</th>
            <th scope="col">Created</th>
            <th scope="col">Duration</th>
            <th scope="col">Tokens</th>
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr data-status={item.status}>
              <td>
                <a href={`#/interactions/${item.id}`}>{item.id}</a>
              </td>
              <td>
                <span class={`status status-${item.status}`}>{item.status}</span>
              </td>
              <td>{item.agent ?? item.model}</td>
              <td>{when(item.created)}</td>
              <td>{duration(item)}</td>
              <td class="num">{tokens(item)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {items.length === 0 && !error && <p class="muted">No interactions here yet.</p>}
      <div class="pager">
        <button type="button" disabled={tokensStack.length < 2} onClick={() => setTokensStack(tokensStack.slice(0, -1))}>
          Previous page
        </button>
        <button
          type="button"
          disabled={!page.next_page_token}
          onClick={() => page.next_page_token && setTokensStack([...tokensStack, page.next_page_token])}
        >
          Next page
        </button>
      </div>
    </section>
  );
}
