// triggers and webhooks: every method the SDK has for them. A webhook's ping must reach the loopback
// receiver the pytest side started (WARREN_JS_RECEIVER); the delivery is reported for it to verify.
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

/** The first request the receiver saw on `path` whose body holds `text`. */
const delivered = (receiver, path, text = '') =>
  waitFor(`a delivery to ${path}`, async () => {
    const seen = await (await fetch(`${receiver}/_received`)).json();
    return seen.find((request) => request.path === path && request.body.includes(text));
  });

export async function webhooks(ai, report, other, receiver) {
  const path = `/hook/${Math.random().toString(16).slice(2, 10)}`;
  let hook;
  await report.call('webhooks.create', 'loopback receiver', async () => {
    hook = await ai.webhooks.create({
      name: 'js-hook',
      uri: `${receiver}${path}`,
      subscribed_events: ['interaction.completed', 'interaction.failed'],
    });
    assert.ok(hook.id);
    assert.match(hook.new_signing_secret ?? '', /^whsec_/, 'the secret is shown once, at create');
    assert.equal(hook.state, 'enabled');
    return { secret: hook.new_signing_secret };
  });
  await report.call('webhooks.create', 'cloud metadata address', () =>
    ai.webhooks.create({ uri: 'http://169.254.169.254/latest', subscribed_events: ['interaction.completed'] }),
  );
  await report.call('webhooks.get', 'secret not shown again', async () => {
    const fetched = await ai.webhooks.get(hook.id);
    assert.equal(fetched.uri, `${receiver}${path}`);
    assert.equal(fetched.new_signing_secret, undefined);
    assert.ok(!JSON.stringify(fetched).includes(hook.new_signing_secret));
  });
  await report.call('webhooks.list', 'paged', async () => {
    assert.ok((await walkPages((page) => ai.webhooks.list(page), 'webhooks')).includes(hook.id));
  });
  await report.call('webhooks.update', 'name and state with update_mask', async () => {
    const updated = await ai.webhooks.update(hook.id, { name: 'js-hook-2', state: 'disabled', update_mask: 'name,state' });
    assert.equal(updated.name, 'js-hook-2');
    assert.equal(updated.state, 'disabled');
    const enabled = await ai.webhooks.update(hook.id, { state: 'enabled', update_mask: 'state' });
    assert.equal(enabled.state, 'enabled');
    assert.equal(enabled.name, 'js-hook-2', 'fields outside the mask stay');
  });
  await report.call('webhooks.ping', 'reaches the receiver, signed', async () => {
    await ai.webhooks.ping(hook.id);
    return { delivery: await delivered(receiver, path) };
  });
  await report.call('webhooks.create', 'a subscribed event is delivered', async () => {
    const done = await ai.interactions.create({ model: 'scripted:echo', input: 'notify me' });
    const delivery = await delivered(receiver, path, done.id);
    assert.equal(JSON.parse(delivery.body).type, 'interaction.completed', delivery.body);
    return { delivery };
  });
  await report.call('interactions.create', 'webhook_config is delivered', async () => {
    const own = `${path}/per-request`;
    const done = await ai.interactions.create({
      model: 'scripted:echo',
      input: 'call me back',
      webhook_config: { uris: [`${receiver}${own}`], user_metadata: { run: 'js-sdk' } },
    });
    const delivery = await delivered(receiver, own, done.id);
    assert.equal(JSON.parse(delivery.body).type, 'interaction.completed', delivery.body);
    assert.ok(delivery.body.includes('js-sdk'), `user_metadata comes back: ${delivery.body}`);
    return { delivery };
  });
  await report.call('webhooks.rotateSigningSecret', 'revoke at once', async () => {
    const rotated = await ai.webhooks.rotateSigningSecret(hook.id, {
      revocation_behavior: 'revoke_previous_secrets_immediately',
    });
    assert.match(rotated.secret ?? '', /^whsec_/);
    assert.notEqual(rotated.secret, hook.new_signing_secret);
  });
  await report.call('webhooks.get', "another tenant's is 404", () => other.webhooks.get(hook.id));
  await report.call('webhooks.ping', "another tenant's is 404", () => other.webhooks.ping(hook.id));
  await report.call('webhooks.delete', 'then get is 404', async () => {
    await ai.webhooks.delete(hook.id);
    await assert.rejects(ai.webhooks.get(hook.id), is404);
  });
}
