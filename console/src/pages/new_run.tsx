import { Alert } from "../alert";
import { useEffect, useState } from "preact/hooks";
import { call, upload, type Interaction, type Json } from "../api";
import { go } from "../route";

const MODEL_FORM = "";

export function NewRunPage() {
  const [agents, setAgents] = useState<Json[]>([]);
  const [agent, setAgent] = useState("default");
  const [model, setModel] = useState("");
  const [task, setTask] = useState("");
  const [files, setFiles] = useState<File[]>([]);
  const [progress, setProgress] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    call<{ agents?: Json[] }>("GET", "agents?page_size=100")
      .then((page) => setAgents(page.agents ?? []))
      .catch((exc) => setError(String(exc.message ?? exc)));
  }, []);

  const start = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError("");
    try {
      const body: Json = { input: task, background: true };
      if (agent === MODEL_FORM) {
        body.model = model.trim();
      } else {
        body.agent = agent;
        if (model.trim()) body.agent_config = { type: "antigravity", model: model.trim() };
        if (files.length) {
          const environment = await call<{ id: string }>("POST", "environments", {});
          for (const file of files) {
            setProgress(`Uploading ${file.name}…`);
            await upload(environment.id, file.name, file, (sent) => setProgress(`Uploading ${file.name}: ${sent} of ${file.size} bytes`));
          }
          body.environment = environment.id;
        }
      }
      setProgress("Starting…");
      const created = await call<Interaction>("POST", "interactions", body);
      go(`/interactions/${created.id}`);
    } catch (exc) {
      setError(exc instanceof Error ? exc.message : String(exc));
      setProgress("");
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <h1>New run</h1>
      <form class="new-run" onSubmit={start}>
        <label for="agent">Agent</label>
        <select id="agent" value={agent} onChange={(e) => setAgent((e.target as HTMLSelectElement).value)}>
          {agents.map((a) => (
            <option value={String(a.id)}>{String(a.id)}</option>
          ))}
          <option value={MODEL_FORM}>none: a model alone</option>
        </select>
        <label for="model">Model {agent !== MODEL_FORM && <span class="muted">(optional: the agent's own when empty)</span>}</label>
        <input
          id="model"
          list="models"
          value={model}
          required={agent === MODEL_FORM}
          placeholder="provider:model, e.g. scripted:demo"
          onInput={(e) => setModel((e.target as HTMLInputElement).value)}
        />
        <datalist id="models">
          <option value="scripted:demo" />
          <option value="scripted:echo" />
        </datalist>
        <label for="task">Task</label>
        <textarea id="task" rows={5} required value={task} onInput={(e) => setTask((e.target as HTMLTextAreaElement).value)} />
        {agent !== MODEL_FORM && (
          <>
            <label for="files">Files for the workspace</label>
            <input id="files" type="file" multiple onChange={(e) => setFiles(Array.from((e.target as HTMLInputElement).files ?? []))} />
          </>
        )}
        <button type="submit" disabled={busy}>
          Start
        </button>
        {progress && <p class="muted">{progress}</p>}
        <Alert message={error} />
      </form>
    </section>
  );
}
