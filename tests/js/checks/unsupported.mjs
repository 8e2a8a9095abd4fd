// Resources the SDK has and Warren does not serve (voices, decisions): each call must come back as a
// clear SDK error (the pytest side checks the status and message), never a 5xx or a success.

export async function unsupported(ai, report) {
  await report.call('voices.list', 'not served', () => ai.voices.list());
  await report.call('voices.get', 'not served', () => ai.voices.get('voice-1'));
  await report.call('voices.create', 'not served', () => ai.voices.create({ display_name: 'js voice' }));
  await report.call('voices.delete', 'not served', () => ai.voices.delete('voice-1'));
  await report.call('decisions.create', 'not served', () =>
    ai.decisions.create({ model: 'scripted:echo', input: 'pick one', questions: {} }),
  );
}
