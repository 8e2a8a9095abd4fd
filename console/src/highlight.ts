// A small highlighter for the code of run_code (Python and bash): comments, strings, numbers and
// keywords become classed segments that the page renders as text in <span>s, never as HTML.
export interface Segment {
  text: string;
  kind?: "comment" | "string" | "number" | "keyword";
}

const KEYWORDS: Record<string, string[]> = {
  python: ["and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else", "except", "False", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "None", "nonlocal", "not", "or", "pass", "raise", "return", "True", "try", "while", "with", "yield", "print"],
  bash: ["if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac", "function", "in", "return", "export", "local", "echo", "cd", "set"],
};

const TOKEN = /(#[^\n]*)|("""[\s\S]*?"""|'''[\s\S]*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')|(\b\d+(?:\.\d+)?\b)|([A-Za-z_][A-Za-z0-9_]*)/g;

export function highlight(code: string, language: string): Segment[] {
  const keywords = new Set(KEYWORDS[language] ?? KEYWORDS.python);
  const segments: Segment[] = [];
  let at = 0;
  for (const match of code.matchAll(TOKEN)) {
    const [text, comment, string, number, word] = match;
    const kind = comment ? "comment" : string ? "string" : number ? "number" : word && keywords.has(word) ? "keyword" : undefined;
    if (!kind) continue;
    if (match.index > at) segments.push({ text: code.slice(at, match.index) });
    segments.push({ text, kind });
    at = match.index + text.length;
  }
  if (at < code.length) segments.push({ text: code.slice(at) });
  return segments;
}
