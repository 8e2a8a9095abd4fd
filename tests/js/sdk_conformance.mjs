// The @google/genai SDK (pinned in package.json) against a running `warren serve`.
// Env: WARREN_BASE_URL, WARREN_API_KEY, WARREN_OTHER_API_KEY (another tenant's), WARREN_JS_RECEIVER (a loopback webhook receiver), and
// WARREN_JS_ONLY (optional, comma-separated check groups). Prints one JSON object on stdout:
// {sdk_methods: [...every method the SDK exposes on the resources below...], calls: [{method, case, ok,
// error, data}]}. tests/conformance/test_js_sdk.py runs it and holds the expected outcome of each call.
import { GoogleGenAI } from '@google/genai';
import { Report } from './report.mjs';
import { interactions } from './checks/interactions.mjs';
import { agents, environments, credentials } from './checks/resources.mjs';
import { triggers } from './checks/triggers.mjs';
import { webhooks } from './checks/webhooks.mjs';
import { unsupported } from './checks/unsupported.mjs';

const RESOURCES = ['interactions', 'agents', 'environments', 'environments.files', 'credentials', 'triggers', 'webhooks', 'voices', 'decisions'];

/** The public methods of each resource object, read from the SDK itself so a new one is noticed. */
function sdkMethods(ai) {
  return RESOURCES.flatMap((name) => {
    const resource = name.split('.').reduce((object, key) => object[key], ai);
    return Object.getOwnPropertyNames(Object.getPrototypeOf(resource))
      .filter((key) => key !== 'constructor' && key !== 'getClient' && typeof resource[key] === 'function')
      .map((key) => `${name}.${key}`);
  });
}

/** A client of `warren serve` the way a user points the SDK at it: the base URL and API version. */
const client = (apiKey) =>
  new GoogleGenAI({
    apiKey,
    httpOptions: { baseUrl: process.env.WARREN_BASE_URL, apiVersion: 'v1beta', retryOptions: { attempts: 1 } },
  });
const ai = client(process.env.WARREN_API_KEY);
const other = client(process.env.WARREN_OTHER_API_KEY);
const groups = {
  interactions: () => interactions(ai, report, other),
  agents: () => agents(ai, report, other),
  environments: () => environments(ai, report, other),
  credentials: () => credentials(ai, report, other),
  triggers: () => triggers(ai, report, other),
  webhooks: () => webhooks(ai, report, other, process.env.WARREN_JS_RECEIVER),
  unsupported: () => unsupported(ai, report),
};
const only = process.env.WARREN_JS_ONLY ? process.env.WARREN_JS_ONLY.split(',') : Object.keys(groups);
const report = new Report();
for (const name of only) await groups[name]();
process.stdout.write(`${JSON.stringify({ sdk_methods: sdkMethods(ai), calls: report.calls })}\n`);
