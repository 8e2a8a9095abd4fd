import type { Interaction } from "./api";
import { isTerminal } from "./timeline";

export function duration(item: Interaction, now: number = Date.now()): string {
  if (!item.created) return "";
  const start = Date.parse(item.created);
  const end = isTerminal(item.status) && item.updated ? Date.parse(item.updated) : now;
  const seconds = Math.max(0, Math.round((end - start) / 1000));
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

export function tokens(item: Interaction): string {
  const total = item.usage?.total_tokens;
  return typeof total === "number" ? total.toLocaleString("en") : "";
}

export function when(stamp: string | undefined): string {
  return stamp ? new Date(stamp).toLocaleString() : "";
}
