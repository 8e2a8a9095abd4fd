// One component per step type. Everything a model, a tool or a sandbox produced is shown as text,
// except model Markdown (sanitized by `renderMarkdown`) and images (only as data: URLs of image types).
import type { Json } from "../api";
import { highlight } from "../highlight";
import { renderMarkdown } from "../markdown";
import type { Step } from "../timeline";

const FOLD_CHARS = 1500;
const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

export function texts(items: unknown): string {
  if (typeof items === "string") return items;
  if (!Array.isArray(items)) return "";
  return items
    .filter((item: Json) => item && item.type === "text")
    .map((item: Json) => String(item.text ?? ""))
    .join("");
}

function Media({ item }: { item: Json }) {
  if (item.type === "image" && IMAGE_TYPES.has(item.mime_type) && typeof item.data === "string") {
    return <img class="shot" alt="Image from the step" src={`data:${item.mime_type};base64,${item.data}`} />;
  }
  if (item.type === "text") {
    const text = String(item.text ?? "");
    if (text.length <= FOLD_CHARS) return <pre class="output">{text}</pre>;
    return (
      <details>
        <summary>{text.split("\n").length} lines of output</summary>
        <pre class="output">{text}</pre>
      </details>
    );
  }
  return <p class="muted">({String(item.type)} {String(item.mime_type ?? item.uri ?? "")})</p>;
}

function Markdown({ text }: { text: string }) {
  return <div class="markdown" dangerouslySetInnerHTML={{ __html: renderMarkdown(text) }} />;
}

function Json({ value }: { value: unknown }) {
  return <pre class="args">{JSON.stringify(value, null, 2)}</pre>;
}

function Body({ step, environmentId }: { step: Step; environmentId?: string }) {
  switch (step.type) {
    case "user_input":
      return <pre class="output">{texts(step.content)}</pre>;
    case "thought":
      return (
        <details>
          <summary>Thought</summary>
          <pre class="output">{texts(step.summary)}</pre>
        </details>
      );
    case "model_output":
      return (
        <>
          <Markdown text={texts(step.content)} />
          {(Array.isArray(step.content) ? step.content : [])
            .filter((item: Json) => item.type !== "text")
            .map((item: Json) => (
              <Media item={item} />
            ))}
        </>
      );
    case "code_execution_call": {
      const language = String(step.arguments?.language ?? "python");
      return (
        <pre class="code" data-language={language}>
          <code>
            {highlight(String(step.arguments?.code ?? ""), language).map((segment) =>
              segment.kind ? <span class={`tok-${segment.kind}`}>{segment.text}</span> : segment.text,
            )}
          </code>
        </pre>
      );
    }
    case "code_execution_result":
      return <pre class={step.is_error ? "output failed" : "output"}>{String(step.result ?? "")}</pre>;
    case "function_call": {
      const path = typeof step.arguments?.path === "string" ? step.arguments.path : "";
      const writes = ["write_file", "edit_file"].includes(step.name);
      return (
        <>
          <Json value={step.arguments ?? {}} />
          {writes && path && environmentId && (
            <p>
              File <a href={`#/environments/${environmentId}`}>{path}</a> in the environment
            </p>
          )}
        </>
      );
    }
    case "function_result":
      return Array.isArray(step.result) ? (
        <>
          {step.result.map((item: Json) => (
            <Media item={item} />
          ))}
        </>
      ) : (
        <Json value={step.result} />
      );
    default: {
      const { index: _i, done: _d, type: _t, argumentsText: _a, ...rest } = step;
      return <Json value={rest} />;
    }
  }
}

export const TITLES: Record<string, string> = {
  user_input: "Input",
  thought: "Thought",
  model_output: "Model",
  code_execution_call: "run_code",
  code_execution_result: "Output",
  function_call: "Tool call",
  function_result: "Tool result",
};

interface StepProps {
  step: Step;
  environmentId?: string;
  /** Its place in the whole timeline (from 0), for keyboard moves and, with `size`, screen readers. */
  position: number;
  /** The timeline's length, when only part of it is rendered. */
  size?: number;
}

export function StepView({ step, environmentId, position, size }: StepProps) {
  const name = step.name ? ` ${step.name}` : "";
  return (
    <li
      class={`step step-${step.type}${step.done ? "" : " running"}`}
      data-step-type={step.type}
      data-index={step.index}
      data-position={position}
      tabIndex={-1}
      aria-posinset={size === undefined ? undefined : position + 1}
      aria-setsize={size}
    >
      <h3>
        {TITLES[step.type] ?? step.type}
        {name}
        {!step.done && <span class="muted"> …</span>}
      </h3>
      <Body step={step} environmentId={environmentId} />
    </li>
  );
}
