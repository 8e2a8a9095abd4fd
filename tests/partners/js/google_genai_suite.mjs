// @google/genai (pinned in package.json) against `warren serve` with Google's own names: a bare
// Gemini model name, an Antigravity preset as `agent`, and the names nothing serves. One JSON line for
// tests/partners/test_google_genai_js.py: per case the answer, or the error's status and message.
import { GoogleGenAI } from '@google/genai';

const [BARE, PRESET] = JSON.parse(process.env.WARREN_PARTNER_NAMES);
const ai = new GoogleGenAI({
  apiKey: process.env.WARREN_API_KEY,
  httpOptions: { baseUrl: process.env.WARREN_BASE_URL, apiVersion: 'v1beta', retryOptions: { attempts: 1 } },
});

const cases = {
  'bare gemini name': () => ai.interactions.create({ model: BARE, input: 'genai-js: bare name' }),
  'agent preset': () => ai.interactions.create({ agent: PRESET, input: 'genai-js: hello preset' }),
  'unknown bare name': () => ai.interactions.create({ model: 'mistral-large-2', input: 'genai-js: nobody' }),
  'unknown agent': () => ai.interactions.create({ agent: 'no-such-agent', input: 'genai-js: nobody' }),
};

const report = {};
for (const [name, run] of Object.entries(cases)) {
  try {
    const done = await run();
    report[name] = { ok: true, status: done.status, model: done.model ?? null, agent: done.agent ?? null, text: done.output_text ?? '' };
  } catch (error) {
    report[name] = { ok: false, error: { status: error.status ?? null, message: String(error.message).slice(0, 2000) } };
  }
}
console.log(JSON.stringify(report));
