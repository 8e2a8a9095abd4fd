// webhooks: every method the SDK has for them, and per-request webhook_config. Deliveries must reach the
// loopback receiver the pytest side started (WARREN_JS_RECEIVER); they are reported for it to verify.
import assert from 'node:assert/strict';
import { waitFor, walkPages } from '../report.mjs';

const is404 = (err) => err.status === 404;

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
