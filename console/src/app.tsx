import { useEffect, useState } from "preact/hooks";
import { ApiError, call } from "./api";
import { AgentsPage } from "./pages/agents";
import { EnvironmentPage } from "./pages/environment";
import { InteractionPage } from "./pages/interaction";
import { InteractionsPage } from "./pages/interactions";
import { NewRunPage } from "./pages/new_run";
import { SignIn } from "./pages/sign_in";
import { UsagePage } from "./pages/usage";
import { useRoute } from "./route";
import { forgetKey, storedKey } from "./session";

interface Caller {
  tenant: string;
  api_key_id: string;
}

export function App() {
  const [caller, setCaller] = useState<Caller | null>(null);
  const [checking, setChecking] = useState(storedKey() !== null);
  const route = useRoute();

  useEffect(() => {
    if (!storedKey()) return;
    call<Caller>("GET", "whoami")
      .then(setCaller)
      .catch((exc) => {
        if (exc instanceof ApiError && exc.status === 401) forgetKey();
      })
      .finally(() => setChecking(false));
  }, []);

  const signOut = () => {
    forgetKey();
    setCaller(null);
  };

  if (checking) return <p class="loading">Checking your key…</p>;
  if (!caller) return <SignIn onSignedIn={setCaller} />;
  return (
    <>
      <header class="top">
        <a class="brand" href="#/interactions">
          Warren
        </a>
        <nav aria-label="Main">
          <a href="#/interactions" aria-current={route.page === "interactions" ? "page" : undefined}>
            Interactions
          </a>
          <a href="#/new" aria-current={route.page === "new" ? "page" : undefined}>
            New run
          </a>
          <a href="#/agents" aria-current={route.page === "agents" ? "page" : undefined}>
            Agents
          </a>
          <a href="#/usage" aria-current={route.page === "usage" ? "page" : undefined}>
            Usage
          </a>
        </nav>
        <span class="who" data-testid="tenant">
          Tenant <strong>{caller.tenant}</strong> <span class="muted">(key {caller.api_key_id})</span>
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main>
        {route.page === "interactions" && <InteractionsPage />}
        {route.page === "interaction" && <InteractionPage key={route.id} id={route.id} />}
        {route.page === "new" && <NewRunPage />}
        {route.page === "agents" && <AgentsPage />}
        {route.page === "usage" && <UsagePage />}
        {route.page === "environment" && <EnvironmentPage key={route.id} id={route.id} />}
      </main>
    </>
  );
}
