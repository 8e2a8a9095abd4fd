// The tenant's usage: model tokens per UTC day (the counters the token quota reads) and its running
// sandboxes against the cap, from Warren's `GET /usage`.
import { useEffect, useState } from "preact/hooks";
import { call, type Json } from "../api";
import { Alert } from "../alert";

interface Day {
  day: string;
  interactions: number;
  input_tokens: number | string;
  output_tokens: number | string;
  thought_tokens: number | string;
  total_tokens: number | string;
}

interface Report {
  days: Day[];
  sandboxes: { running: number; max: number };
  token_quota: { limit: number | string; window_seconds: number };
}

const n = (value: number | string) => Number(value).toLocaleString("en");

export function UsagePage() {
  const [days, setDays] = useState(30);
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    call<Report>("GET", `usage?days=${days}`)
      .then(setReport)
      .catch((exc: Json) => setError(String(exc.message ?? exc)));
  }, [days]);

  if (!report) return <section><h1>Usage</h1><Alert message={error} /></section>;
  const most = Math.max(1, ...report.days.map((d) => Number(d.total_tokens)));
  const total = report.days.reduce((sum, d) => sum + Number(d.total_tokens), 0);
  const { running, max } = report.sandboxes;
  const quota = Number(report.token_quota.limit);
  return (
    <section>
      <h1>Usage</h1>
      <Alert message={error} />
      <h2>Sandboxes</h2>
      <p data-testid="sandboxes">
        <meter id="sandbox-meter" min={0} max={max} value={running} aria-label="Running sandboxes" />{" "}
        <strong>{running}</strong> of {max} sandboxes running
      </p>
      <h2>Model tokens per day</h2>
      <p>
        <label for="usage-days">Days </label>
        <select id="usage-days" value={days} onChange={(e) => setDays(Number((e.target as HTMLSelectElement).value))}>
          {[7, 30, 90].map((d) => (
            <option value={d}>{d}</option>
          ))}
        </select>{" "}
        <span class="muted" data-testid="usage-total">
          {n(total)} tokens in {days} days
          {quota > 0 && ` · quota ${n(quota)} tokens per ${Math.round(report.token_quota.window_seconds / 3600)} h`}
        </span>
      </p>
      {report.days.length === 0 ? (
        <p class="muted">No model tokens used in these days.</p>
      ) : (
        <table class="list usage">
          <thead>
            <tr>
              <th scope="col">Day (UTC)</th>
              <th scope="col">Interactions</th>
              <th scope="col">Input</th>
              <th scope="col">Output</th>
              <th scope="col">Total</th>
              <th scope="col" aria-hidden="true"></th>
            </tr>
          </thead>
          <tbody>
            {report.days.map((d) => (
              <tr data-day={d.day}>
                <td>{d.day}</td>
                <td>{d.interactions}</td>
                <td>{n(d.input_tokens)}</td>
                <td>{n(d.output_tokens)}</td>
                <td>{n(d.total_tokens)}</td>
                <td aria-hidden="true">
                  <span class="bar" style={{ width: `${Math.round((100 * Number(d.total_tokens)) / most)}%` }} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
