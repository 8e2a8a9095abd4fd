// interactions: create (model and agent forms, unary and streamed), get (plain and a resumed
// stream), cancel, delete. Scripted models answer deterministically (tests/conformance/scripts).
import assert from 'node:assert/strict';
import { collect, waitFor } from '../report.mjs';

const outputText = (interaction) =>
  interaction.steps
    .filter((step) => step.type === 'model_output')
    .flatMap((step) => step.content ?? [])
    .map((block) => block.text ?? '')
    .join('');

/** The interaction once it has left in_progress. */
const settle = (ai, id) =>
  waitFor(`${id} to end`, async () => {
    const current = await ai.interactions.get(id);
    return current.status === 'in_progress' ? undefined : current;
  });

export async function interactions(ai, report, other) {
  let done;
  await report.call('interactions.create', 'model form', async () => {
    done = await ai.interactions.create({ model: 'scripted:echo', input: 'hello from node' });
    assert.equal(done.status, 'completed');
    assert.match(done.id, /^int_/);
    assert.equal(outputText(done), 'hello from node');
  });
  await report.call('interactions.create', 'agent form', async () => {
    const agentRun = await ai.interactions.create({
      agent: 'default',
      agent_config: { type: 'antigravity', model: 'scripted:echo' },
      input: 'hello agent',
    });
    assert.equal(agentRun.status, 'completed', JSON.stringify(agentRun.errors ?? null));
    assert.match(agentRun.environment_id ?? '', /^env_/, 'an agent interaction runs in an environment');
  });
  await report.call('interactions.create', 'stream', async () => {
    const events = await collect(
      await ai.interactions.create({ model: 'scripted:story', input: 'tell me', stream: true }),
    );
    const kinds = events.map((event) => event.event_type);
    assert.equal(kinds[0], 'interaction.created');
    assert.equal(kinds.at(-1), 'interaction.completed');
    assert.deepEqual(events.map((event) => event.event_id), events.map((_, i) => String(i)));
    const text = events
      .filter((event) => event.event_type === 'step.delta' && event.delta.type === 'text')
      .map((event) => event.delta.text)
      .join('');
    assert.equal(text, 'Once upon a time a rabbit dug the finest warren in the whole green valley.');
  });
  await report.call('interactions.get', 'by id', async () => {
    const fetched = await ai.interactions.get(done.id);
    assert.equal(fetched.id, done.id);
    assert.equal(outputText(fetched), 'hello from node');
  });
  await report.call('interactions.get', 'include_input', async () => {
    assert.equal((await ai.interactions.get(done.id)).input, undefined, 'no input unless asked');
    const withInput = await ai.interactions.get(done.id, { include_input: true });
    assert.equal(JSON.stringify(withInput.input).includes('hello from node'), true, JSON.stringify(withInput.input));
  });
  await report.call('interactions.get', 'stream resumed with last_event_id', async () => {
    const first = await collect(
      await ai.interactions.create({ model: 'scripted:slow', input: 'go', stream: true, background: true }),
      4,
    );
    const id = first[0].interaction.id;
    const last = first.at(-1).event_id;
    const rest = await collect(await ai.interactions.get(id, { stream: true, last_event_id: last }));
    const ids = [...first, ...rest].map((event) => Number(event.event_id));
    assert.deepEqual(ids, ids.map((_, i) => i), 'every event exactly once, in order');
    assert.equal(rest.at(-1).event_type, 'interaction.completed');
  });
  await report.call('interactions.get', "another tenant's is 404", () => other.interactions.get(done.id));
  await report.call('interactions.cancel', 'mid-run', async () => {
    const started = await ai.interactions.create({ model: 'scripted:slow', input: 'go', background: true });
    assert.equal(started.status, 'in_progress');
    const cancelled = await ai.interactions.cancel(started.id);
    assert.equal(cancelled.status, 'cancelled');
    assert.equal((await settle(ai, started.id)).status, 'cancelled');
  });
  await report.call('interactions.delete', 'then get is 404', async () => {
    const doomed = await ai.interactions.create({ model: 'scripted:echo', input: 'bye' });
    await ai.interactions.delete(doomed.id);
    await assert.rejects(ai.interactions.get(doomed.id), (err) => err.status === 404);
  });
  await report.call('interactions.create', 'unknown model is refused', () =>
    ai.interactions.create({ model: 'no-such-provider:model', input: 'x' }),
  );
}
