// Folds an interaction's event stream into its steps: `step.start` opens step `index`, `step.delta`
// adds to it, `step.stop` closes it. Pure, so the order of events alone decides what is shown.
import type { Interaction, Json, StreamEvent } from "./api";

export interface Step extends Json {
  type: string;
  index: number;
  done: boolean;
  argumentsText?: string;
}

export interface Timeline {
  interaction: Interaction | null;
  steps: Step[];
  lastEventId: number;
  ended: boolean;
  error?: string;
}

export const emptyTimeline = (): Timeline => ({ interaction: null, steps: [], lastEventId: -1, ended: false });

const TERMINAL = new Set(["completed", "failed", "cancelled", "requires_action", "incomplete", "budget_exceeded"]);

export function isTerminal(status: string | undefined): boolean {
  return status !== undefined && TERMINAL.has(status);
}

function appendText(step: Step, text: string): void {
  const content: Json[] = Array.isArray(step.content) ? step.content : [];
  const last = content[content.length - 1];
  if (last && last.type === "text") last.text = (last.text ?? "") + text;
  else content.push({ type: "text", text });
  step.content = content;
}

function applyDelta(step: Step, delta: Json): void {
  switch (delta.type) {
    case "text":
      appendText(step, delta.text ?? "");
      break;
    case "thought_summary": {
      const summary: Json[] = Array.isArray(step.summary) ? step.summary : [];
      summary.push(delta.content ?? { type: "text", text: "" });
      step.summary = summary;
      break;
    }
    case "thought_signature":
      break;
    case "arguments_delta":
      step.argumentsText = (step.argumentsText ?? "") + (delta.arguments ?? "");
      break;
    case "image":
    case "audio":
    case "video":
    case "document": {
      const content: Json[] = Array.isArray(step.content) ? step.content : [];
      content.push(delta);
      step.content = content;
      break;
    }
    default: {
      // Call and result deltas (code execution, search, url context, MCP...): their fields set the step's.
      const { type: _type, ...fields } = delta;
      Object.assign(step, fields);
    }
  }
}

function finish(step: Step): void {
  step.done = true;
  if (step.argumentsText !== undefined) {
    try {
      step.arguments = JSON.parse(step.argumentsText);
    } catch {
      step.arguments = { raw: step.argumentsText };
    }
  }
}

/** The timeline after one more event (a new object; steps are copied when they change). */
export function reduce(timeline: Timeline, event: StreamEvent): Timeline {
  return reduceAll(timeline, [event]);
}

/** The timeline after a batch of events: the step list is copied once per batch (not once per event)
 * and a step at most once, so replaying a long interaction's thousands of events stays linear. */
export function reduceAll(timeline: Timeline, events: StreamEvent[]): Timeline {
  if (events.length === 0) return timeline;
  const next: Timeline = { ...timeline };
  const steps = [...timeline.steps];
  const copied = new Set<Step>();
  const at = (index: number) => {
    for (let i = steps.length - 1; i >= 0; i--) if (steps[i].index === index) return i; // the newest is last
    return -1;
  };
  const own = (i: number) => {
    if (!copied.has(steps[i])) {
      steps[i] = structuredClone(steps[i]);
      copied.add(steps[i]);
    }
    return steps[i];
  };
  for (const event of events) {
    next.lastEventId = Number(event.event_id);
    switch (event.event_type) {
      case "interaction.created":
      case "interaction.completed":
        next.interaction = { ...(next.interaction ?? {}), ...event.interaction };
        if (event.event_type === "interaction.completed") next.ended = true;
        break;
      case "interaction.status_update":
        next.interaction = {
          ...(next.interaction ?? { id: event.interaction_id }),
          status: event.status,
          ...(event.usage ? { usage: event.usage } : {}),
        } as Interaction;
        break;
      case "step.start": {
        const step: Step = { ...structuredClone(event.step ?? {}), index: event.index, done: false };
        steps.push(step);
        copied.add(step);
        break;
      }
      case "step.delta": {
        const i = at(event.index);
        if (i >= 0) applyDelta(own(i), event.delta ?? {});
        break;
      }
      case "step.stop": {
        const i = at(event.index);
        if (i >= 0) finish(own(i));
        break;
      }
      case "error":
        next.error = event.error?.message ?? "the stream reported an error";
        break;
    }
  }
  next.steps = steps;
  return next;
}
