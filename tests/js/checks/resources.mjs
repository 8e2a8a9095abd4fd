// agents, environments and their files, credentials: every method the SDK has for them.
import assert from 'node:assert/strict';
import { freshId, walkPages } from '../report.mjs';
import { tarGz } from './tarball.mjs';

const is404 = (err) => err.status === 404;

export async function agents(ai, report, other) {
  const id = freshId('js-agent');
  await report.call('agents.create', 'with config and tools', async () => {
    const created = await ai.agents.create({
      id,
      description: 'Made by the JS SDK',
      system_instruction: 'You answer briefly.',
      agent_config: { type: 'antigravity', model: 'scripted:echo', max_total_tokens: 2000 },
      tools: [{ type: 'code_execution' }],
    });
    assert.equal(created.id, id);
  });
  await report.call('agents.get', 'by id', async () => {
    const fetched = await ai.agents.get(id);
    assert.equal(fetched.system_instruction, 'You answer briefly.');
    assert.equal(Number(fetched.agent_config.max_total_tokens), 2000);
  });
  await report.call('agents.list', 'paged', async () => {
    const seen = await walkPages((page) => ai.agents.list(page), 'agents');
    assert.ok(seen.includes(id) && seen.includes('default'), JSON.stringify(seen));
  });
  await report.call('agents.list', 'parent', () => ai.agents.list({ parent: 'projects/elsewhere/locations/x' }));
  await report.call('agents.get', "another tenant's is 404", () => other.agents.get(id));
  await report.call('agents.delete', 'then get is 404', async () => {
    await ai.agents.delete(id);
    await assert.rejects(ai.agents.get(id), is404);
  });
}

export async function environments(ai, report, other) {
  let env;
  await report.call('environments.create', 'inline sources', async () => {
    env = await ai.environments.create({
      network: 'disabled',
      sources: [
        { type: 'inline', content: 'seeded', target: 'seed.txt' },
        { type: 'inline', content: 'nested', target: 'data/notes.txt' },
      ],
    });
    assert.match(env.id, /^env_/);
    assert.equal(env.status, 'active');
  });
  await report.call('environments.get', 'by id', async () => {
    assert.equal((await ai.environments.get(env.id)).id, env.id);
  });
  await report.call('environments.list', 'paged', async () => {
    assert.ok((await walkPages((page) => ai.environments.list(page), 'environments')).includes(env.id));
  });
  // @google/genai 3.3.0 does not send `mode` (its query holds only page_size and page_token), so the
  // filter itself is tested with google-genai (tests/conformance/test_agents_environments.py).
  await report.call('environments.list', 'mode filter', async () => {
    const onDemand = await ai.environments.list({ mode: 'on_demand' });
    assert.ok(onDemand.environments.some((e) => e.id === env.id));
  });
  await report.call('environments.get', "another tenant's is 404", () => other.environments.get(env.id));
  await report.call('environments.files.list', "another tenant's is 404", () => other.environments.files.list({ environment: env.id, path: '' }));
  await files(ai, report, env.id);
  await report.call('environments.delete', 'then get is 404', async () => {
    await ai.environments.delete(env.id);
    await assert.rejects(ai.environments.get(env.id), is404);
  });
}

async function files(ai, report, environment) {
  await report.call('environments.files.list', 'root and recursive', async () => {
    const root = await ai.environments.files.list({ environment, path: '' });
    const kinds = root.files.map((f) => `${f.path}:${f.type}`).sort();
    assert.deepEqual(kinds, ['data:directory', 'seed.txt:file']);
    const all = await ai.environments.files.list({ environment, path: '', recursive: true });
    assert.ok(all.files.some((f) => f.path === 'data/notes.txt'), JSON.stringify(all.files));
  });
  await report.call('environments.files.list', 'paged', async () => {
    const walk = (page) => ai.environments.files.list({ environment, path: '', recursive: true, ...page });
    const paths = await walkPages(async (page) => {
      const listed = await walk(page);
      return { ...listed, files: listed.files.map((f) => ({ ...f, id: f.path })) };
    }, 'files');
    assert.ok(paths.includes('seed.txt') && paths.includes('data/notes.txt'), JSON.stringify(paths));
  });
  await report.call('environments.files.download', 'seeded file', async () => {
    const bytes = await ai.environments.files.download({ environment, path: 'data/notes.txt' });
    assert.equal(new TextDecoder().decode(bytes), 'nested');
  });
  await report.call('environments.files.download', 'missing file', () =>
    ai.environments.files.download({ environment, path: 'nope.txt' }),
  );
  await report.call('environments.files.upload', 'bytes, then download them', async () => {
    const payload = new TextEncoder().encode('name,score\nada,3\n'.repeat(500));
    const uploaded = await ai.environments.files.upload({ environment, path: 'up/scores.csv', file: payload });
    assert.equal(uploaded.files[0].path, 'up/scores.csv');
    assert.equal(Number(uploaded.files[0].size_bytes), payload.length);
    const bytes = await ai.environments.files.download({ environment, path: 'up/scores.csv' });
    assert.deepEqual(new Uint8Array(bytes), payload);
  });
  await report.call('environments.files.upload', 'overwrite false onto an existing file', () =>
    ai.environments.files.upload({ environment, path: 'seed.txt', file: new TextEncoder().encode('x'), overwrite: false }),
  );
  await report.call('environments.files.upload', 'a gzip tar, extracted', async () => {
    const archive = tarGz({ 'pkg/a.txt': 'alpha', 'pkg/sub/b.txt': 'beta' });
    await ai.environments.files.upload({ environment, path: 'vendor', file: archive, extract: true });
    const listed = await ai.environments.files.list({ environment, path: 'vendor', recursive: true });
    const paths = listed.files.filter((f) => f.type === 'file').map((f) => f.path).sort();
    assert.deepEqual(paths, ['vendor/pkg/a.txt', 'vendor/pkg/sub/b.txt']);
    const bytes = await ai.environments.files.download({ environment, path: 'vendor/pkg/sub/b.txt' });
    assert.equal(new TextDecoder().decode(bytes), 'beta');
  });
}

export async function credentials(ai, report, other) {
  const id = freshId('js-cred');
  await report.call('credentials.create', 'bearer_token', async () => {
    const created = await ai.credentials.create({ type: 'bearer_token', id, token: 'sekrit-js-0001' });
    assert.equal(created.id, id);
    assert.equal(created.type, 'bearer_token');
    assert.ok(!JSON.stringify(created).includes('sekrit-js-0001'), 'the secret is write-only');
  });
  await report.call('credentials.create', 'environment_variable', async () => {
    const created = await ai.credentials.create({
      type: 'environment_variable',
      id: freshId('js-env-cred'),
      value: 'sekrit-js-0003',
      injection_location: 'header',
      trusted_domains: ['api.example.com'],
    });
    assert.equal(created.type, 'environment_variable');
  });
  await report.call('credentials.create', 'environment_variable injected in a query', () =>
    ai.credentials.create({
      type: 'environment_variable',
      id: freshId('js-env-cred'),
      value: 'sekrit-js-0004',
      injection_location: 'query',
    }),
  );
  await report.call('credentials.get', 'by id', async () => {
    const fetched = await ai.credentials.get(id);
    assert.equal(fetched.id, id);
    assert.ok(!JSON.stringify(fetched).includes('sekrit-js-0001'), 'the secret is write-only');
  });
  await report.call('credentials.list', 'paged', async () => {
    assert.ok((await walkPages((page) => ai.credentials.list(page), 'credentials')).includes(id));
  });
  await report.call('credentials.get', "another tenant's is 404", () => other.credentials.get(id));
  await report.call('credentials.update', 'new token', () =>
    ai.credentials.update(id, { type: 'bearer_token', token: 'sekrit-js-0002', update_mask: 'token' }),
  );
  await report.call('credentials.create', 'oauth2', () =>
    ai.credentials.create({
      type: 'oauth2',
      id: freshId('js-oauth'),
      client_id: 'client',
      client_secret: 'secret',
      refresh_token: 'refresh',
      token_url: 'https://oauth.invalid/token',
      scopes: ['read'],
    }),
  );
  await report.call('credentials.delete', 'then get is 404', async () => {
    await ai.credentials.delete(id);
    await assert.rejects(ai.credentials.get(id), is404);
  });
}
