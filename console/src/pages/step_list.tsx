// The step timeline as a windowed (virtualized) list: a long interaction renders only the steps near
// the viewport of its scroll box, between two paddings that stand for the rest. Row heights start as
// estimates from a step's content and are measured once rendered. A list of up to ALL_BELOW steps is
// rendered whole. Keyboard: the box is a tab stop; arrows, Home and End move focus from step to step
// (each step is an <li> with its place in the whole list), Page keys scroll. At the bottom, the view
// follows new steps; scrolling up stops that.
import { Component } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { Step } from "../timeline";
import { StepView, texts, TITLES } from "./steps";

const ALL_BELOW = 200;
const OVERSCAN_PX = 1000;
const HEADER_PX = 44;
const LINE_PX = 17;
const CHARS_PER_LINE = 140;
const BOX_STYLE = { position: "relative", maxHeight: "75vh", overflowY: "auto", margin: "0.6rem 0", padding: "0.3rem" };
const HIDDEN_STYLE = { position: "absolute", width: "1px", height: "1px", overflow: "hidden", clipPath: "inset(50%)", whiteSpace: "nowrap" };

function lines(text: string): number {
  return text.split("\n").reduce((sum, line) => sum + Math.max(1, Math.ceil(line.length / CHARS_PER_LINE)), 0);
}

/** A first guess of a step's height in pixels, before it has been rendered and measured. */
export function estimate(step: Step): number {
  let body = 1;
  switch (step.type) {
    case "thought":
      break;
    case "model_output":
    case "user_input":
      body = lines(texts(step.content)) + 1;
      break;
    case "code_execution_call":
      body = lines(String(step.arguments?.code ?? "")) + 1;
      break;
    case "code_execution_result":
      body = lines(String(step.result ?? ""));
      break;
    default: {
      const value = step.type === "function_result" ? step.result : step.arguments;
      const text = Array.isArray(value) ? texts(value) : JSON.stringify(value ?? {}, null, 2);
      body = text.length > 1500 ? 1 : lines(text);
      if (Array.isArray(value) && value.some((item) => item?.type === "image")) body += 20;
    }
  }
  return HEADER_PX + LINE_PX * Math.min(body, 80);
}

interface RowProps {
  step: Step;
  environmentId?: string;
  position: number;
  size?: number;
}

/** One step, re-rendered only when it changed (steps are new objects when an event changes them). */
class Row extends Component<RowProps> {
  shouldComponentUpdate(next: RowProps): boolean {
    const now = this.props;
    return next.step !== now.step || next.environmentId !== now.environmentId || next.position !== now.position || next.size !== now.size;
  }

  render({ step, environmentId, position, size }: RowProps) {
    return <StepView step={step} environmentId={environmentId} position={position} size={size} />;
  }
}

interface Props {
  steps: Step[];
  environmentId?: string;
  /** Start at the bottom and follow new steps (a run still going); otherwise start at the top. */
  follow: boolean;
}

export function StepList({ steps, environmentId, follow }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const list = useRef<HTMLOListElement>(null);
  const heights = useRef(new Map<number, number>());
  const following = useRef(follow);
  const focusNext = useRef<number | null>(null);
  const focused = useRef<Element | null>(null);
  const [view, setView] = useState({ top: 0, height: 900 });
  const [, setMeasured] = useState(0);

  const sizes = steps.map((step) => heights.current.get(step.index) ?? estimate(step));
  const offsets: number[] = [];
  let total = 0;
  for (const size of sizes) {
    offsets.push(total);
    total += size;
  }
  const windowed = steps.length > ALL_BELOW;
  let start = 0;
  let end = steps.length;
  if (windowed) {
    const low = view.top - OVERSCAN_PX;
    const high = view.top + view.height + OVERSCAN_PX;
    while (start < steps.length - 1 && offsets[start] + sizes[start] < low) start++;
    end = start;
    while (end < steps.length && offsets[end] < high) end++;
  }
  const before = windowed ? offsets[start] : 0;
  const after = windowed ? total - (end < steps.length ? offsets[end] : total) : 0;
  if (box.current?.contains(document.activeElement)) focused.current = document.activeElement;

  useEffect(() => {
    if (!follow) return;
    following.current = true;
    if (box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [follow]);

  // Measure what was rendered; keep following the bottom; move focus; re-render if a height changed.
  useLayoutEffect(() => {
    const scroller = box.current;
    const ol = list.current;
    if (!scroller || !ol) return;
    const items = Array.from(ol.children) as HTMLElement[];
    const gap = parseFloat(getComputedStyle(ol).rowGap) || 0;
    let changed = false;
    items.forEach((item, k) => {
      const next = items[k + 1];
      const height = next ? next.offsetTop - item.offsetTop : item.offsetHeight + gap;
      const index = Number(item.dataset.index);
      if (Math.abs((heights.current.get(index) ?? -1) - height) > 1) {
        heights.current.set(index, height);
        changed = true;
      }
    });
    if (following.current) scroller.scrollTop = scroller.scrollHeight;
    if (focusNext.current !== null) {
      const target = ol.querySelector<HTMLElement>(`li[data-position="${focusNext.current}"]`);
      if (target) {
        target.focus();
        focusNext.current = null;
      }
    }
    if (focused.current && !focused.current.isConnected && !scroller.contains(document.activeElement)) {
      scroller.focus({ preventScroll: true }); // the focused step left the window: keep focus in the list
    }
    focused.current = null;
    if (changed) setMeasured((n) => n + 1);
  });

  // Images loading, <details> opening, the window resizing: measure again, outside the observer's loop.
  useEffect(() => {
    const scroller = box.current;
    if (!scroller || !list.current) return;
    let frame = 0;
    const observer = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        setView({ top: scroller.scrollTop, height: scroller.clientHeight });
        setMeasured((n) => n + 1);
      });
    });
    observer.observe(scroller);
    observer.observe(list.current);
    return () => {
      cancelAnimationFrame(frame);
      observer.disconnect();
    };
  }, []);

  const onScroll = () => {
    const scroller = box.current!;
    following.current = scroller.scrollHeight - scroller.clientHeight - scroller.scrollTop <= 2;
    setView({ top: scroller.scrollTop, height: scroller.clientHeight });
  };

  const moveTo = (position: number) => {
    const scroller = box.current!;
    const at = Math.max(0, Math.min(steps.length - 1, position));
    following.current = at === steps.length - 1;
    if (offsets[at] < scroller.scrollTop) scroller.scrollTop = offsets[at];
    else if (offsets[at] + sizes[at] > scroller.scrollTop + scroller.clientHeight) {
      scroller.scrollTop = following.current ? scroller.scrollHeight : offsets[at] + sizes[at] - scroller.clientHeight;
    }
    focusNext.current = at;
    setView({ top: scroller.scrollTop, height: scroller.clientHeight });
    setMeasured((n) => n + 1);
  };

  const onKeyDown = (event: KeyboardEvent) => {
    const target = event.target as HTMLElement;
    const onStep = target.matches("li.step");
    if ((!onStep && target !== box.current) || steps.length === 0) return;
    const top = box.current!.scrollTop;
    const here = onStep ? Number(target.dataset.position) : Math.max(0, offsets.findIndex((y, i) => y + sizes[i] > top));
    const moves: Record<string, number> = {
      ArrowDown: onStep ? here + 1 : here,
      ArrowUp: here - 1,
      Home: 0,
      End: steps.length - 1,
    };
    if (!(event.key in moves)) return;
    event.preventDefault();
    moveTo(moves[event.key]);
  };

  const latest = steps[steps.length - 1];
  return (
    <div class="timeline-box" style={BOX_STYLE} ref={box} tabIndex={0} role="region" aria-label="Step timeline" onScroll={onScroll} onKeyDown={onKeyDown}>
      <ol class="timeline" ref={list} aria-label="Steps" style={{ margin: 0, paddingTop: `${before}px`, paddingBottom: `${after}px` }}>
        {steps.slice(start, end).map((step, k) => (
          <Row key={step.index} step={step} environmentId={environmentId} position={start + k} size={windowed ? steps.length : undefined} />
        ))}
      </ol>
      <p style={HIDDEN_STYLE} role="status">
        {latest ? `${steps.length} steps; the latest: ${TITLES[latest.type] ?? latest.type}` : ""}
      </p>
    </div>
  );
}
