// imapflow with CONDSTORE alone (RFC 7162 §3.1), as a phone resyncs
// without QRESYNC: a first session caches UID -> flags with HIGHESTMODSEQ;
// another connection (straight to the backend) flags, unflags and
// appends; a second session opens the mailbox, fetches only what changed
// since (CHANGEDSINCE), and its view must then equal the backend's. Then
// it idles while the other connection changes a flag: imapflow's 'flags'
// event carries a MODSEQ above the last. STATUS (HIGHESTMODSEQ) and
// SEARCH MODSEQ from a third session agree.
// Usage: node imapflow_condstore.mjs PORT CA_FILE USER PASSWORD BACKEND_PORT
// (PORT over TLS with CA_FILE; BACKEND_PORT plain, for the other writer).
import { ImapFlow } from 'imapflow';
import fs from 'node:fs';
import assert from 'node:assert/strict';

const [port, caFile, user, pass, backendPort] = process.argv.slice(2);

const viaProxy = (extra = {}) => new ImapFlow({
  host: 'localhost',
  port: Number(port),
  secure: true,
  tls: { ca: [fs.readFileSync(caFile)] },
  auth: { user, pass },
  logger: false,
  ...extra,
});
const direct = () => new ImapFlow({
  host: '127.0.0.1',
  port: Number(backendPort),
  secure: false,
  doSTARTTLS: false,
  auth: { user, pass },
  logger: false,
  disableAutoIdle: true,
});
const clean = (flags) => [...flags].filter((f) => f.toLowerCase() !== '\\recent').sort().join(' ');

async function fullView(client) {
  const view = {};
  for await (const m of client.fetch('1:*', { uid: true, flags: true }, { uid: true })) view[m.uid] = clean(m.flags);
  return view;
}

// ---- 1. a first session: a full sync, HIGHESTMODSEQ kept
const first = viaProxy({ disableAutoIdle: true });
await first.connect();
assert.ok(first.enabled.has('CONDSTORE'), 'ENABLE CONDSTORE took');
let box = await first.mailboxOpen('INBOX');
const h0 = box.highestModseq;
assert.equal(typeof h0, 'bigint', 'HIGHESTMODSEQ on SELECT');
const view = {};
for await (const m of first.fetch('1:*', { uid: true, flags: true, modseq: true }, { uid: true })) {
  assert.ok(m.modseq > 0n && m.modseq <= h0, `MODSEQ ${m.modseq} of UID ${m.uid} within HIGHESTMODSEQ ${h0}`);
  view[m.uid] = clean(m.flags);
}
const uids = Object.keys(view).map(Number);
assert.ok(uids.length >= 3, 'messages to work on');
await first.logout();

// ---- 2. changes made straight on the backend
const writer = direct();
await writer.connect();
await writer.mailboxOpen('INBOX');
await writer.messageFlagsAdd(String(uids[0]), ['\\Flagged'], { uid: true });
await writer.messageFlagsRemove(String(uids[1]), ['\\Seen'], { uid: true });
await writer.messageFlagsAdd(String(uids[1]), ['$Label2'], { uid: true });
await writer.append('INBOX', 'Subject: while away\r\n\r\nnew\r\n', ['\\Seen']);

// ---- 3. the second session fetches only what changed
const second = viaProxy({ disableAutoIdle: true });
await second.connect();
box = await second.mailboxOpen('INBOX');
const h1 = box.highestModseq;
assert.ok(h1 > h0, `HIGHESTMODSEQ moved: ${h0} -> ${h1}`);
const changed = [];
for await (const m of second.fetch('1:*', { uid: true, flags: true, modseq: true }, { uid: true, changedSince: h0 })) {
  assert.ok(m.modseq > h0 && m.modseq <= h1, `changed MODSEQ ${m.modseq} in (${h0}, ${h1}]`);
  changed.push(m.uid);
  view[m.uid] = clean(m.flags);
}
changed.sort((a, b) => a - b);
assert.equal(changed.length, 3, `CHANGEDSINCE returned the two changed and the new message: ${changed}`);
assert.deepEqual(changed.slice(0, 2), [uids[0], uids[1]]);
assert.deepEqual(view, await fullView(writer), 'the delta-synced view equals the backend');

// ---- 4. live: a flag change while the second session idles
const events = [];
second.on('flags', (e) => events.push(e));
const idling = second.idle();
await new Promise((r) => setTimeout(r, 300));
await writer.messageFlagsAdd(String(uids[2]), ['\\Answered'], { uid: true });
for (let i = 0; i < 400 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
assert.equal(events.length, 1, 'the flag change reached the idling session');
assert.equal(events[0].uid, uids[2]);
assert.ok(events[0].modseq > h1, `pushed MODSEQ ${events[0].modseq} above ${h1}`);
assert.ok(events[0].flags.has('\\Answered'));

// ---- 5. STATUS and SEARCH MODSEQ from a third session
const third = viaProxy({ disableAutoIdle: true });
await third.connect();
const st = await third.status('INBOX', { highestModseq: true, messages: true });
assert.equal(st.highestModseq, events[0].modseq, 'STATUS HIGHESTMODSEQ is the last change');
await third.mailboxOpen('INBOX');
const found = await third.search({ modseq: events[0].modseq }, { uid: true });
assert.deepEqual(found, [uids[2]], 'SEARCH MODSEQ finds the last change only');

await third.logout();
await second.logout();
await idling.catch(() => {});
await writer.logout();
console.log('PASS imapflow condstore');
