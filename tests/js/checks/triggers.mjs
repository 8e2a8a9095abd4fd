// triggers: every method the SDK has for them, plus the refusals a user can hit (schedule, time zone,
// filter) and another tenant's trigger.
import assert from 'node:assert/strict';
import { waitFor, walkPages } from '../report.mjs';

const is404 = (err) => err.status === 404;

export async function triggers(ai, report, other) {
  let trigger;
  let execution;
  await report.call('triggers.create', 'yearly agent run', async () => {
    trigger = await ai.triggers.create({
      display_name: 'js nightly',
      schedule: '0 3 1 1 *',
      time_zone: 'Europe/Paris',
      execution_timeout_seconds: 600,
      max_consecutive_failures: 3,
      interaction: { agent: 'default', agent_config: { type: 'antigravity', model: 'scripted:echo' }, input: 'tick' },
    });
    assert.ok(trigger.id);
    assert.equal(trigger.status, 'active');
    assert.ok(trigger.next_run_time, 'the next run time is computed');
  });
  await report.call('triggers.create', 'more often than once a minute', () =>
    ai.triggers.create({
      schedule: '* * * * * *',
      time_zone: 'UTC',
      interaction: { agent: 'default', input: 'too often' },
    }),
  );
  await report.call('triggers.create', 'unknown time zone', () =>
    ai.triggers.create({ schedule: '0 3 * * *', time_zone: 'Mars/Olympus', interaction: { agent: 'default', input: 'x' } }),
  );
  await report.call('triggers.get', 'by id', async () => {
    const fetched = await ai.triggers.get(trigger.id);
    assert.equal(fetched.schedule, '0 3 1 1 *');
    assert.equal(fetched.time_zone, 'Europe/Paris');
    assert.equal(fetched.interaction.input, 'tick');
  });
  await report.call('triggers.list', 'paged', async () => {
    assert.ok((await walkPages((page) => ai.triggers.list(page), 'triggers')).includes(trigger.id));
  });
  await report.call('triggers.update', 'pause', async () => {
    const paused = await ai.triggers.update(trigger.id, { status: 'paused' });
    assert.equal(paused.status, 'paused');
    assert.ok(paused.last_pause_time);
  });
  await report.call('triggers.list', 'filter by status', async () => {
    const paused = await ai.triggers.list({ filter: 'status="paused"' });
    assert.ok(paused.triggers.some((t) => t.id === trigger.id));
    const active = await ai.triggers.list({ filter: 'status="active"' });
    assert.ok(!(active.triggers ?? []).some((t) => t.id === trigger.id));
  });
  await report.call('triggers.list', 'unknown filter', () => ai.triggers.list({ filter: 'name="x"' }));
  await report.call('triggers.update', 'resume and rename', async () => {
    const resumed = await ai.triggers.update(trigger.id, { status: 'active', display_name: 'js renamed' });
    assert.equal(resumed.status, 'active');
    assert.equal(resumed.display_name, 'js renamed');
    assert.ok(resumed.last_resume_time);
  });
  await report.call('triggers.run', 'run now', async () => {
    execution = await ai.triggers.run(trigger.id);
    assert.equal(execution.trigger_id, trigger.id);
    assert.match(execution.interaction_id ?? '', /^int_/);
  });
  await report.call('triggers.listExecutions', 'the run completes', async () => {
    const found = await waitFor('the run-now execution to end', async () => {
      const page = await ai.triggers.listExecutions(trigger.id);
      const listed = (page.trigger_executions ?? []).find((e) => e.id === execution.id);
      assert.ok(listed, 'the run-now execution is listed');
      return listed.status === 'in_progress' ? undefined : listed;
    });
    assert.equal(found.status, 'completed', found.error);
    const interaction = await ai.interactions.get(found.interaction_id);
    assert.equal(interaction.status, 'completed');
  });
  await report.call('triggers.get', "another tenant's is 404", () => other.triggers.get(trigger.id));
  await report.call('triggers.run', "another tenant's is 404", () => other.triggers.run(trigger.id));
  await report.call('triggers.delete', 'then get is 404', async () => {
    await ai.triggers.delete(trigger.id);
    await assert.rejects(ai.triggers.get(trigger.id), is404);
  });
}
