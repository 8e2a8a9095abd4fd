// The tenant's agents: a list, a form to create one or edit one (through Warren's `PATCH`, naming only
// the fields that changed), the API's field errors shown next to the field they name with nothing
// saved, and delete.
import { useEffect, useState } from "preact/hooks";
import { ApiError, call, type Json } from "../api";
import { Alert } from "../alert";

const BUILT_IN = new Set(["default", "research"]);
const TOOL_TYPES = ["code_execution", "url_context", "google_search"];

interface Draft {
  id: string;
  description: string;
  instructions: string;
  model: string;
  tools: string[];
  skills: string;
  allowlist: string;
}

const EMPTY: Draft = { id: "", description: "", instructions: "", model: "", tools: ["code_execution"], skills: "", allowlist: "" };

/** The form field an API field path belongs to (`agent_config.model` → `model`). */
export function fieldOf(path: string | undefined): keyof Draft | "" {
  if (!path) return "";
  const head = path.split(/[.[]/)[0];
  const fields: Record<string, keyof Draft> = {
    id: "id",
    description: "description",
    system_instruction: "instructions",
    agent_config: "model",
    tools: "tools",
    skills: "skills",
    base_environment: "allowlist",
  };
  return fields[head] ?? "";
}

/** A stored agent as the form shows it. */
export function draftOf(agent: Json): Draft {
  const environment = agent.base_environment;
  const allowlist = typeof environment === "object" ? environment?.network?.allowlist ?? [] : [];
  return {
    id: String(agent.id ?? ""),
    description: String(agent.description ?? ""),
    instructions: String(agent.system_instruction ?? ""),
    model: String(agent.agent_config?.model ?? ""),
    tools: (agent.tools ?? []).map((t: Json) => String(t.type)).filter((t: string) => TOOL_TYPES.includes(t)),
    skills: (agent.skills ?? []).map((s: Json | string) => (typeof s === "string" ? s : String(s.name))).join(", "),
    allowlist: allowlist.map((entry: Json) => String(entry.domain)).join("\n"),
  };
}

const API_FIELDS: Record<Exclude<keyof Draft, "id">, string> = {
  description: "description",
  instructions: "system_instruction",
  model: "agent_config",
  tools: "tools",
  skills: "skills",
  allowlist: "base_environment",
};

/** The update of `agent`: the API fields whose form fields changed, with the agent's other settings
 * in them kept (its other `agent_config` keys, its function and MCP tools, its environment). */
export function changes(agent: Json, before: Draft, draft: Draft): { mask: string[]; body: Json } {
  const full = body(draft);
  const mask: string[] = [];
  const patch: Json = {};
  for (const [name, field] of Object.entries(API_FIELDS) as [keyof typeof API_FIELDS, string][]) {
    if (JSON.stringify(before[name]) === JSON.stringify(draft[name])) continue;
    mask.push(field);
    if (name === "model") {
      const { model: _old, ...rest } = agent.agent_config ?? {};
      const config = { ...rest, type: "antigravity", ...(draft.model.trim() ? { model: draft.model.trim() } : {}) };
      if (Object.keys(config).length > 1) patch.agent_config = config;
    } else if (name === "tools") {
      const kept = (agent.tools ?? []).filter((t: Json) => !TOOL_TYPES.includes(String(t.type)));
      patch.tools = [...kept, ...(full.tools as Json[])];
    } else if (name === "allowlist") {
      const environment = typeof agent.base_environment === "object" ? agent.base_environment : {};
      const network = { ...(environment.network ?? {}), allowlist: full.base_environment?.network?.allowlist ?? [] };
      patch.base_environment = { type: "remote", ...environment, network };
    } else if (full[field] !== undefined) {
      patch[field] = full[field];
    }
  }
  return { mask, body: patch };
}

function body(draft: Draft): Json {
  const agent: Json = { tools: draft.tools.map((type) => ({ type })) };
  if (draft.id.trim()) agent.id = draft.id.trim();
  if (draft.description.trim()) agent.description = draft.description.trim();
  if (draft.instructions.trim()) agent.system_instruction = draft.instructions;
  if (draft.model.trim()) agent.agent_config = { type: "antigravity", model: draft.model.trim() };
  const skills = draft.skills.split(/[\s,]+/).filter(Boolean);
  if (skills.length) agent.skills = skills;
  const domains = draft.allowlist.split(/\s+/).filter(Boolean);
  if (domains.length) agent.base_environment = { type: "remote", network: { allowlist: domains.map((domain) => ({ domain })) } };
  return agent;
}

export function AgentsPage() {
  const [agents, setAgents] = useState<Json[]>([]);
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [fieldError, setFieldError] = useState<{ field: keyof Draft | ""; message: string }>({ field: "", message: "" });
  const [error, setError] = useState("");
  const [notice, setNotice] = useState("");
  const [tick, setTick] = useState(0);
  const [editing, setEditing] = useState<{ agent: Json; before: Draft } | null>(null);

  useEffect(() => {
    call<{ agents?: Json[] }>("GET", "agents?page_size=100")
      .then((page) => setAgents(page.agents ?? []))
      .catch((exc) => setError(String(exc.message ?? exc)));
  }, [tick]);

  const create = async (event: Event) => {
    event.preventDefault();
    setFieldError({ field: "", message: "" });
    setError("");
    setNotice("");
    try {
      if (editing) {
        const { mask, body: patch } = changes(editing.agent, editing.before, draft);
        const id = encodeURIComponent(String(editing.agent.id));
        if (mask.length) await call<Json>("PATCH", `agents/${id}?update_mask=${mask.join(",")}`, patch);
        setNotice(mask.length ? `Saved agent ${editing.agent.id}.` : "Nothing changed.");
        setEditing(null);
      } else {
        const made = await call<Json>("POST", "agents", body(draft));
        setNotice(`Created agent ${made.id}.`);
      }
      setDraft(EMPTY);
      setTick((n) => n + 1);
    } catch (exc) {
      const field = exc instanceof ApiError ? fieldOf(exc.field) : "";
      const message = exc instanceof Error ? exc.message : String(exc);
      if (field) setFieldError({ field, message });
      else setError(message);
    }
  };

  const edit = (agent: Json) => {
    const before = draftOf(agent);
    setEditing({ agent, before });
    setDraft(before);
    setFieldError({ field: "", message: "" });
    setNotice("");
    document.getElementById("agent-description")?.focus();
  };

  const cancel = () => {
    setEditing(null);
    setDraft(EMPTY);
    setFieldError({ field: "", message: "" });
  };

  const remove = async (id: string) => {
    if (!confirm(`Delete agent ${id}?`)) return;
    try {
      await call("DELETE", `agents/${encodeURIComponent(id)}`);
      setTick((n) => n + 1);
    } catch (exc) {
      setError(exc instanceof Error ? exc.message : String(exc));
    }
  };

  const text = (name: keyof Draft, label: string, multiline = false, hint = "") => {
    const set = (e: Event) => setDraft({ ...draft, [name]: (e.target as HTMLInputElement).value });
    const invalid = fieldError.field === name;
    const described = invalid ? `${name}-error` : undefined;
    return (
      <div class="field">
        <label for={`agent-${name}`}>
          {label} {hint && <span class="muted">{hint}</span>}
        </label>
        {multiline ? (
          <textarea id={`agent-${name}`} rows={3} value={draft[name] as string} onInput={set} aria-invalid={invalid} aria-describedby={described} />
        ) : (
          <input id={`agent-${name}`} value={draft[name] as string} onInput={set} aria-invalid={invalid} aria-describedby={described} />
        )}
        {invalid && (
          <p id={described} class="error field-error" role="alert">
            {fieldError.message}
          </p>
        )}
      </div>
    );
  };

  return (
    <section>
      <h1>Agents</h1>
      <Alert message={error} />
      <table class="list agents">
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col">Description</th>
            <th scope="col">Model</th>
            <th scope="col">Tools</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {agents.map((agent) => (
            <tr data-agent={String(agent.id)}>
              <td>{String(agent.id)}</td>
              <td>{String(agent.description ?? "")}</td>
              <td>{String(agent.agent_config?.model ?? "")}</td>
              <td>{(agent.tools ?? []).map((t: Json) => String(t.type)).join(", ")}</td>
              <td>
                {!BUILT_IN.has(String(agent.id)) && (
                  <>
                    <button type="button" onClick={() => edit(agent)}>
                      Edit <span class="sr-only">{String(agent.id)}</span>
                    </button>{" "}
                    <button type="button" onClick={() => remove(String(agent.id))}>
                      Delete <span class="sr-only">{String(agent.id)}</span>
                    </button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>{editing ? `Edit agent ${editing.agent.id}` : "New agent"}</h2>
      <form class="agent-form" onSubmit={create}>
        {!editing && text("id", "Id", false, "(letters, digits, . _ -; generated when empty)")}
        {text("description", "Description")}
        {text("instructions", "Instructions", true)}
        {text("model", "Model", false, "(provider:model)")}
        <fieldset aria-invalid={fieldError.field === "tools"}>
          <legend>Tools</legend>
          {TOOL_TYPES.map((type) => (
            <label class="check">
              <input
                type="checkbox"
                checked={draft.tools.includes(type)}
                onChange={(e) =>
                  setDraft({
                    ...draft,
                    tools: (e.target as HTMLInputElement).checked ? [...draft.tools, type] : draft.tools.filter((t) => t !== type),
                  })
                }
              />{" "}
              {type}
            </label>
          ))}
          {fieldError.field === "tools" && (
            <p class="error field-error" role="alert">
              {fieldError.message}
            </p>
          )}
        </fieldset>
        {text("skills", "Skills", false, "(bundled skill names, comma-separated)")}
        {text("allowlist", "Network allowlist", true, "(one domain a line; empty: no network)")}
        <button type="submit">{editing ? "Save agent" : "Create agent"}</button>
        {editing && (
          <>
            {" "}
            <button type="button" onClick={cancel}>
              Cancel
            </button>
          </>
        )}
        {notice && <p class="muted">{notice}</p>}
      </form>
    </section>
  );
}
