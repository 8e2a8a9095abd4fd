// The console's pages live in the URL fragment (ids only: never a key), so the server serves one page.
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { page: "interactions" }
  | { page: "interaction"; id: string }
  | { page: "new" }
  | { page: "agents" }
  | { page: "usage" }
  | { page: "environment"; id: string };

const ID = /^[A-Za-z0-9_-]{1,128}$/;

export function parse(hash: string): Route {
  const [, page, id] = hash.replace(/^#/, "").split("/");
  if (page === "new") return { page: "new" };
  if (page === "agents") return { page: "agents" };
  if (page === "usage") return { page: "usage" };
  if (page === "interactions" && id && ID.test(id)) return { page: "interaction", id };
  if (page === "environments" && id && ID.test(id)) return { page: "environment", id };
  return { page: "interactions" };
}

export function go(path: string): void {
  location.hash = path;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parse(location.hash));
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return route;
}
