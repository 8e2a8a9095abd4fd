import { Alert } from "../alert";
import { useState } from "preact/hooks";
import { call } from "../api";
import { forgetKey, storeKey } from "../session";

export function SignIn({ onSignedIn }: { onSignedIn: (caller: { tenant: string; api_key_id: string }) => void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError("");
    storeKey(key.trim());
    try {
      onSignedIn(await call("GET", "whoami"));
    } catch (exc) {
      forgetKey();
      setError(exc instanceof Error ? exc.message : String(exc));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <h1>Warren console</h1>
      <form onSubmit={submit}>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autocomplete="off"
          required
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
        />
        <p class="hint">Kept in this tab only (sessionStorage); closing the tab or signing out forgets it.</p>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        <Alert message={error} />
      </form>
    </main>
  );
}
