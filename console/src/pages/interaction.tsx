import { Alert } from "../alert";
import { useEffect, useState } from "preact/hooks";
import { call, type Interaction, type Json } from "../api";
import { duration, tokens, when } from "../format";
import { useTimeline } from "../live";
import { go } from "../route";
import { isTerminal, type Step } from "../timeline";
import { BrowserView } from "./browser_view";
import { StepList } from "./step_list";
import { texts } from "./steps";

/** The request fields a follow-up turn repeats, so it runs as this one did. */
function followUp(interaction: Interaction, input: unknown): Json {
  const body: Json = { input, previous_interaction_id: interaction.id, background: true };
  for (const name of ["model", "agent", "agent_config", "tools", "system_instruction"]) {
    if (interaction[name] !== undefined) body[name] = interaction[name];
  }
  if (interaction.agent && interaction.environment_id) body.environment = interaction.environment_id;
  return body;
}

/** The text of a request's input: a string, content items, or steps holding content. */
function inputText(input: unknown): string {
  if (typeof input === "string") return input;
  if (!Array.isArray(input)) return "";
  return input.map((item: Json) => (item.type === "text" ? String(item.text ?? "") : texts(item.content))).join("\n");
}

function pendingCalls(steps: Step[]): Step[] {
  const answered = new Set(steps.filter((s) => s.type === "function_result").map((s) => s.call_id));
  return steps.filter((s) => s.type === "function_call" && !answered.has(s.id));
}

/** Warren's approval request: a client function call the console answers with Approve or Deny. */
const APPROVAL = "warren_approval";

/** What a guarded call would do, as text: its code when it has some, else its arguments. */
function callText(args: Json | undefined): string {
  if (typeof args?.code === "string") return args.code;
  return JSON.stringify(args ?? {}, null, 2);
}

/** What the sandbox spent on the turn (Warren's `warren_usage`): CPU, peak memory, egress. */
function sandboxUsage(usage: Json): string {
  const mib = (bytes: unknown) => `${(Number(bytes) / 2 ** 20).toFixed(1)} MiB`;
  const parts = [];
  if (usage.cpu_seconds != null) parts.push(`CPU ${Number(usage.cpu_seconds).toFixed(2)} s`);
  if (usage.peak_memory_bytes != null) parts.push(`peak memory ${mib(usage.peak_memory_bytes)}`);
  if (usage.egress_bytes != null) parts.push(`egress ${mib(usage.egress_bytes)}`);
  return parts.join(", ");
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function InteractionPage({ id }: { id: string }) {
  const timeline = useTimeline(id);
  const [message, setMessage] = useState("");
  const [answers, setAnswers] = useState<Record<string, string>>({});
  const [denial, setDenial] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [task, setTask] = useState("");
  const [running, setRunning] = useState(false); // when opened: follow its newest steps
  const interaction = timeline.interaction;

  useEffect(() => {
    call<Interaction>("GET", `interactions/${id}?include_input=true`)
      .then((found) => {
        setTask(inputText(found.input));
        setRunning(!isTerminal(found.status));
      })
      .catch(() => setTask("")); // the stream reports what went wrong
  }, [id]);
  const status = interaction?.status;

  const send = async (input: unknown) => {
    if (!interaction) return;
    setBusy(true);
    setError("");
    try {
      const next = await call<Interaction>("POST", "interactions", followUp(interaction, input));
      go(`/interactions/${next.id}`);
    } catch (exc) {
      setError(exc instanceof Error ? exc.message : String(exc));
    } finally {
      setBusy(false);
    }
  };

  const cancel = async () => {
    try {
      await call("POST", `interactions/${id}/cancel`);
    } catch (exc) {
      setError(exc instanceof Error ? exc.message : String(exc));
    }
  };

  const pending = status === "requires_action" ? pendingCalls(timeline.steps) : [];
  const approvals = pending.filter((c) => c.name === APPROVAL);
  const asked = pending.filter((c) => c.name !== APPROVAL);
  const results = (approved: boolean | null) => [
    ...asked.map((c) => ({ type: "function_result", call_id: c.id, name: c.name, result: parsed(answers[c.id] ?? "") })),
    ...approvals.map((c) => ({
      type: "function_result",
      call_id: c.id,
      name: APPROVAL,
      result: approved ? { approved: true } : { approved: false, ...(denial.trim() ? { reason: denial.trim() } : {}) },
    })),
  ];
  return (
    <section>
      <h1>
        Interaction <code>{id}</code>
      </h1>
      {interaction && (
        <dl class="facts">
          <dt>Status</dt>
          <dd>
            <span class={`status status-${status}`} data-testid="status">
              {status}
            </span>
          </dd>
          <dt>{interaction.agent ? "Agent" : "Model"}</dt>
          <dd>{interaction.agent ?? interaction.model}</dd>
          <dt>Created</dt>
          <dd>{when(interaction.created)}</dd>
          <dt>Duration</dt>
          <dd>{duration(interaction)}</dd>
          <dt>Tokens</dt>
          <dd data-testid="tokens">
            {tokens(interaction)}
            {interaction.usage && (
              <span class="muted">
                {" "}
                (in {interaction.usage.total_input_tokens ?? 0}, out {interaction.usage.total_output_tokens ?? 0}, thought{" "}
                {interaction.usage.total_thought_tokens ?? 0}
                {interaction.usage.total_cached_tokens ? `, cached ${interaction.usage.total_cached_tokens}` : ""}
                {interaction.usage.total_tool_use_tokens ? `, tool use ${interaction.usage.total_tool_use_tokens}` : ""})
              </span>
            )}
          </dd>
          {interaction.warren_usage && (
            <>
              <dt>Sandbox</dt>
              <dd data-testid="sandbox-usage">{sandboxUsage(interaction.warren_usage)}</dd>
            </>
          )}
          {interaction.environment_id && (
            <>
              <dt>Environment</dt>
              <dd>
                <a href={`#/environments/${interaction.environment_id}`}>{interaction.environment_id}</a>
              </dd>
            </>
          )}
          {interaction.previous_interaction_id && (
            <>
              <dt>Continues</dt>
              <dd>
                <a href={`#/interactions/${interaction.previous_interaction_id}`}>{interaction.previous_interaction_id}</a>
              </dd>
            </>
          )}
        </dl>
      )}
      {interaction && !isTerminal(status) && (
        <button type="button" onClick={cancel}>
          Cancel
        </button>
      )}
      <Alert message={timeline.error} />
      {(interaction?.errors ?? []).map((e: Json) => (
        <p class="error">
          {String(e.code ?? "")}: {String(e.message ?? "")}
        </p>
      ))}
      {task && (
        <div class="task">
          <h2>Input</h2>
          <pre class="output" data-testid="input">
            {task}
          </pre>
        </div>
      )}
      {interaction?.environment_id && <BrowserView environmentId={interaction.environment_id} live={!isTerminal(status)} />}
      <StepList key={id} steps={timeline.steps} environmentId={interaction?.environment_id} follow={running} />
      {pending.length > 0 && (
        <form
          class="answer"
          onSubmit={(e) => {
            e.preventDefault();
            if (!approvals.length) send(results(null));
          }}
        >
          {approvals.map((c) => (
            <div class="approval" data-testid="approval">
              <h2>The agent waits for your approval</h2>
              <p>
                <code>{String(c.arguments?.tool ?? "")}</code> {String(c.arguments?.reason ?? "")}
              </p>
              <pre class="code">{callText(c.arguments?.arguments)}</pre>
              <label for={`deny-${c.id}`}>Reason, if you deny</label>
              <input id={`deny-${c.id}`} value={denial} onInput={(e) => setDenial((e.target as HTMLInputElement).value)} />
            </div>
          ))}
          {asked.length > 0 && <h2>The agent asks your code to answer</h2>}
          {asked.map((c) => (
            <div>
              <label for={`answer-${c.id}`}>
                Result of <code>{c.name}</code> (JSON or text)
              </label>
              <textarea
                id={`answer-${c.id}`}
                rows={3}
                value={answers[c.id] ?? ""}
                onInput={(e) => setAnswers({ ...answers, [c.id]: (e.target as HTMLTextAreaElement).value })}
              />
            </div>
          ))}
          {approvals.length ? (
            <>
              <button type="button" disabled={busy} onClick={() => send(results(true))}>
                Approve
              </button>{" "}
              <button type="button" disabled={busy} onClick={() => send(results(false))}>
                Deny
              </button>
            </>
          ) : (
            <button type="submit" disabled={busy}>
              Send results
            </button>
          )}
        </form>
      )}
      {interaction && isTerminal(status) && status !== "requires_action" && (
        <form
          class="continue"
          onSubmit={(e) => {
            e.preventDefault();
            if (message.trim()) send(message);
          }}
        >
          <label for="continue">Continue the conversation</label>
          <textarea id="continue" rows={3} value={message} onInput={(e) => setMessage((e.target as HTMLTextAreaElement).value)} />
          <button type="submit" disabled={busy}>
            Send
          </button>
        </form>
      )}
      <Alert message={error} />
    </section>
  );
}
