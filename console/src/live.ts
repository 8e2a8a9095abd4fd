// Keeps one interaction's timeline live: follows its event stream and, when the connection drops,
// reconnects with `last_event_id` set to the last event applied, so no step is missed or repeated.
// Events are applied in batches (all those of one network read at once), so replaying a stored
// interaction of thousands of steps costs one state update per read, not one per event.
import { useEffect, useState } from "preact/hooks";
import { ApiError, followEvents, type StreamEvent } from "./api";
import { emptyTimeline, reduceAll, type Timeline } from "./timeline";

const RETRY_MS = 1000;

export function useTimeline(id: string): Timeline {
  const [timeline, setTimeline] = useState<Timeline>(emptyTimeline);

  useEffect(() => {
    const abort = new AbortController();
    let last = -1;
    let batch: StreamEvent[] = [];
    const flush = () => {
      const events = batch;
      batch = [];
      if (!abort.signal.aborted) setTimeline((current) => reduceAll(current, events));
    };
    const apply = (event: StreamEvent) => {
      last = Number(event.event_id);
      if (batch.length === 0) queueMicrotask(flush); // after the rest of this read's events
      batch.push(event);
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
