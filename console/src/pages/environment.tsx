import { Alert } from "../alert";
import { useEffect, useState } from "preact/hooks";
import { call, download, encodePath, upload, type Json } from "../api";
import { go } from "../route";
import { FilePreview } from "./preview";
import { Ports } from "./ports";
import type { ComponentType } from "preact";

async function save(environmentId: string, path: string): Promise<void> {
  const blob = await download(`environments/${environmentId}/files/${encodePath(path)}?alt=media`);
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = path.split("/").pop() ?? "download";
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function EnvironmentPage({ id }: { id: string }) {
  const [environment, setEnvironment] = useState<Json | null>(null);
  const [files, setFiles] = useState<Json[]>([]);
  const [tick, setTick] = useState(0);
  const [message, setMessage] = useState("");
  const [error, setError] = useState("");
  const [previewed, setPreviewed] = useState("");
  const [dragging, setDragging] = useState(false);
  // xterm.js is most of the console's weight: it loads only when a terminal is opened.
  const [Shell, setShell] = useState<ComponentType<{ environmentId: string }> | null>(null);
  const openShell = () =>
    import("./terminal").then((module) => setShell(() => module.TerminalView)).catch((exc) => setError(String(exc)));

  useEffect(() => {
    call("GET", `environments/${id}`)
      .then(setEnvironment)
      .catch((exc) => setError(String(exc.message ?? exc)));
    call<{ files?: Json[] }>("GET", `environments/${id}/files?recursive=true`)
      .then((list) => setFiles(list.files ?? []))
      .catch((exc) => setError(String(exc.message ?? exc)));
  }, [id, tick]);

  const act = async (what: string, run: () => Promise<unknown>) => {
    setError("");
    setMessage(`${what}…`);
    try {
      await run();
      setMessage(`${what}: done`);
      setTick((n) => n + 1);
    } catch (exc) {
      setMessage("");
      setError(exc instanceof Error ? exc.message : String(exc));
    }
  };

  const uploadFiles = (list: FileList | null) => {
    const chosen = Array.from(list ?? []);
    act("Uploading", async () => {
      for (const file of chosen) await upload(id, file.name, file, (sent) => setMessage(`Uploading ${file.name}: ${sent} of ${file.size} bytes`));
    });
  };

  return (
    <section>
      <h1>
        Environment <code>{id}</code>
      </h1>
      {environment && (
        <p>
          Status <span class="status">{String(environment.status)}</span>
        </p>
      )}
      <div class="actions">
        <button type="button" onClick={() => act("Stopping", () => call("POST", `environments/${id}:stop`))}>
          Stop
        </button>
        <button type="button" onClick={() => act("Resuming", () => call("POST", `environments/${id}:resume`))}>
          Resume
        </button>
        <button
          type="button"
          onClick={() =>
            act("Forking", async () => {
              const copy = await call<Json>("POST", "environments", { from_environment: id });
              go(`/environments/${copy.id}`);
            })
          }
        >
          Fork
        </button>
        <button
          type="button"
          onClick={() =>
            confirm(`Delete environment ${id} and its workspace?`) &&
            act("Deleting", async () => {
              await call("DELETE", `environments/${id}`);
              go("/interactions");
            })
          }
        >
          Delete
        </button>
      </div>
      {message && <p class="muted">{message}</p>}
      <Alert message={error} />
      <h2>Files</h2>
      <div
        class={dragging ? "drop dragging" : "drop"}
        data-testid="drop"
        onDragOver={(e) => (e.preventDefault(), setDragging(true))}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          uploadFiles(e.dataTransfer?.files ?? null);
        }}
      >
        <label for="upload">Upload files</label> <input id="upload" type="file" multiple onChange={(e) => uploadFiles((e.target as HTMLInputElement).files)} />{" "}
        <span class="muted">or drop them here</span>
      </div>
      <table class="list files">
        <thead>
          <tr>
            <th scope="col">Path</th>
            <th scope="col">Size</th>
            <th scope="col">Download</th>
          </tr>
        </thead>
        <tbody>
          {files.map((file) => {
            const path = String(file.path ?? file.name ?? "");
            const folder = file.type === "directory" || file.is_dir;
            return (
              <tr data-path={path}>
                <td>
                  {folder ? (
                    path
                  ) : (
                    <button type="button" class="link" aria-pressed={previewed === path} onClick={() => setPreviewed(path)}>
                      {path}
                    </button>
                  )}
                </td>
                <td class="num">{folder ? "" : String(file.size_bytes ?? file.size ?? "")}</td>
                <td>
                  {!folder && (
                    <button type="button" onClick={() => act(`Downloading ${path}`, () => save(id, path))}>
                      Download <span class="sr-only">{path}</span>
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {previewed && <FilePreview environmentId={id} path={previewed} />}
      <Ports environmentId={id} />
      <h2>Terminal</h2>
      {Shell ? (
        <Shell environmentId={id} />
      ) : (
        <button type="button" onClick={openShell}>
          Open a terminal
        </button>
      )}
    </section>
  );
}
