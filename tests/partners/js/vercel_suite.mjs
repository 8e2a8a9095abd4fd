// The Vercel AI SDK's `google.interactions(...)` against `warren serve`: one entry per case, printed
// as one JSON line for tests/partners/test_vercel_ai.py to check. A case that throws records the
// error's class, HTTP status and message instead of its answer.
import { createGoogle } from '@ai-sdk/google';
import { generateText, streamText } from 'ai';

const [MODEL, BARE, PRESET, SYSTEM] = JSON.parse(process.env.WARREN_PARTNER_NAMES);
const google = createGoogle({
  baseURL: `${process.env.WARREN_BASE_URL}/v1beta`,
  apiKey: process.env.WARREN_API_KEY,
});

async function streamed(request) {
  const deltas = [];
  for await (const delta of streamText(request).textStream) deltas.push(delta);
  return { text: deltas.join(''), deltas };
}

const cases = {
  'model form': () => generateText({ model: google.interactions(MODEL), prompt: 'vercel: say hello' }),
  streaming: () => streamed({ model: google.interactions(MODEL), prompt: 'vercel: stream it' }),
  'multi-turn with a system prompt': () =>
    generateText({
      model: google.interactions(MODEL),
      system: SYSTEM,
      messages: [
        { role: 'user', content: 'My name is Ada.' },
        { role: 'assistant', content: 'Hello Ada.' },
        { role: 'user', content: 'vercel: what is my name?' },
      ],
    }),
  'managed agent': () =>
    generateText({ model: google.interactions({ managedAgent: 'default' }), prompt: 'vercel: hello agent' }),
  'agent preset': () =>
    generateText({ model: google.interactions({ agent: PRESET }), prompt: 'vercel: hello preset' }),
  'bare gemini name': () => generateText({ model: google.interactions(BARE), prompt: 'vercel: bare name' }),
  'unknown bare name': () =>
    generateText({ model: google.interactions('mistral-large-2'), prompt: 'vercel: nobody' }),
  'unknown agent': () =>
    generateText({ model: google.interactions({ managedAgent: 'no-such-agent' }), prompt: 'vercel: nobody' }),
};

const report = {};
for (const [name, run] of Object.entries(cases)) {
  try {
    const result = await run();
    report[name] = { ok: true, text: result.text, deltas: result.deltas ?? null };
  } catch (error) {
    const message = String(error.responseBody ?? error.message).slice(0, 2000);
    report[name] = { ok: false, error: { class: error.constructor.name, status: error.statusCode ?? null, message } };
  }
}
console.log(JSON.stringify(report));
