// imapflow in IDLE learns of another connection's APPEND (EXISTS) and
// STORE (FETCH with FLAGS) as they happen (RFC 2177).
// Usage: node imapflow_idle.mjs PORT CA_FILE USER PASSWORD
import { ImapFlow } from 'imapflow';
import fs from 'node:fs';
import assert from 'node:assert/strict';

const [port, caFile, user, pass] = process.argv.slice(2);
const options = {
  host: 'localhost',
  port: Number(port),
  secure: true,
  tls: { ca: [fs.readFileSync(caFile)] },
  auth: { user, pass },
  logger: false,
};
const watcher = new ImapFlow({ ...options });
const writer = new ImapFlow({ ...options, disableAutoIdle: true });
await watcher.connect();
await writer.connect();

const lock = await watcher.getMailboxLock('INBOX');
const seen = { exists: [], flags: [] };
watcher.on('exists', (e) => seen.exists.push(e.count));
watcher.on('flags', (e) => seen.flags.push([e.seq, [...e.flags].sort()]));

const waitFor = async (check, what) => {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('timed out waiting for ' + what + ': ' + JSON.stringify(seen));
};

const idling = watcher.idle();
await new Promise((r) => setTimeout(r, 200));
await writer.append('INBOX', 'Subject: pushed\r\n\r\nhello\r\n');
await waitFor(() => seen.exists.includes(1), 'EXISTS');

await writer.mailboxOpen('INBOX');
await writer.messageFlagsAdd('1', ['\\Flagged']);
await waitFor(() => seen.flags.length > 0, 'FETCH FLAGS');
// The watcher selected INBOX first, so the new message is \Recent for it.
assert.deepEqual(seen.flags[0], [1, ['\\Flagged', '\\Recent']]);

lock.release();
await writer.logout();
await watcher.logout();
await idling.catch(() => {});
console.log('PASS imapflow idle');
