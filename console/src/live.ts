// Keeps one interaction's timeline live: follows its event stream and, when the connection drops,
// reconnects with `last_event_id` set to the last event applied, so no step is missed or repeated.
import { useEffect, useState } from "preact/hooks";
import { ApiError, followEvents } from "./api";
import { emptyTimeline, reduce, type Timeline } from "./timeline";

const RETRY_MS = 1000;

export function useTimeline(id: string): Timeline {
  const [timeline, setTimeline] = useState<Timeline>(emptyTimeline);

  useEffect(() => {
    const abort = new AbortController();
    let last = -1;
    const apply = (event: Parameters<typeof reduce>[1]) => {
      last = Number(event.event_id);
      setTimeline((current) => reduce(current, event));
    };
    (async () => {
      while (!abort.signal.aborted) {
        try {
          const { done } = await followEvents(id, last, apply, abort.signal);
          if (done) {
            setTimeline((current) => ({ ...current, ended: true }));
            return;
          }
        } catch (exc) {
          if (abort.signal.aborted) return;
          if (exc instanceof ApiError && exc.status < 500 && exc.status !== 429) {
            setTimeline((current) => ({ ...current, error: exc.message, ended: true }));
            return;
          }
        }
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    })();
    return () => abort.abort();
  }, [id]);

  return timeline;
}
