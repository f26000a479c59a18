// imapflow with QRESYNC (RFC 7162 §3.2): a client caches its view of a
// mailbox (UID -> flags) with UIDVALIDITY and HIGHESTMODSEQ, goes away,
// another connection changes flags, expunges and appends; the client comes
// back with SELECT ... (QRESYNC (uidvalidity modseq)), applies the
// VANISHED (EARLIER) and FETCH (UID FLAGS MODSEQ) it gets as imapflow's
// 'expunge' and 'flags' events, and its view must then equal a fresh full
// sync (UID FETCH 1:* (FLAGS)). Then it stays selected while the other
// connection changes more (live VANISHED and FETCH), and finally a third
// connection resyncs from the HIGHESTMODSEQ imapflow tracked.
// Usage: node imapflow_qresync.mjs PORT CA_FILE USER PASSWORD
// (CA_FILE "-" connects without TLS, for a reference run against Dovecot).
import { ImapFlow } from 'imapflow';
import fs from 'node:fs';
import assert from 'node:assert/strict';

const [port, caFile, user, pass] = process.argv.slice(2);
const BOX = 'QResync';
const transcript = [];

function rawLogger(name) {
  const keep = (entry) => {
    if (entry && entry.data && entry.src) {
      const text = Buffer.from(entry.data, 'base64').toString('latin1');
      for (const line of text.split('\r\n')) {
        if (line) transcript.push(`${name} ${entry.src === 's' ? 'S' : 'C'}: ${line.slice(0, 300)}`);
      }
      if (transcript.length > 4000) transcript.splice(0, transcript.length - 4000);
    }
  };
  return { debug: keep, info: keep, warn: keep, error: keep, trace: keep };
}

function connect(name, extra = {}) {
  return new ImapFlow({
    host: caFile === '-' ? '127.0.0.1' : 'localhost',
    port: Number(port),
    secure: caFile !== '-',
    doSTARTTLS: caFile === '-' ? false : undefined,
    tls: caFile === '-' ? undefined : { ca: [fs.readFileSync(caFile)] },
    auth: { user, pass },
    logger: rawLogger(name),
    logRaw: true,
    disableAutoIdle: true,
    ...extra,
  });
}

const clean = (flags) => [...flags].filter((f) => f.toLowerCase() !== '\\recent').sort();
const show = (view) => Object.fromEntries([...view.entries()].sort((a, b) => a[0] - b[0]).map(([u, f]) => [u, f.join(' ')]));

function fail(what, details) {
  console.error(`FAIL imapflow qresync: ${what}`);
  if (details) console.error(details);
  console.error('---- IMAP exchange (last lines) ----\n' + transcript.slice(-160).join('\n'));
  process.exit(1);
}

// The server's truth, from a connection of its own.
async function truth() {
  const c = connect('truth');
  await c.connect();
  const box = await c.mailboxOpen(BOX, { readOnly: true });
  const view = new Map();
  if (box.exists > 0) {
    for await (const m of c.fetch('1:*', { uid: true, flags: true }, { uid: true })) view.set(m.uid, clean(m.flags));
  }
  await c.logout();
  return { view, highestModseq: box.highestModseq, uidValidity: box.uidValidity };
}

function compare(view, t, stage) {
  const a = show(view), b = show(t.view);
  try {
    assert.deepEqual(a, b);
  } catch {
    const lines = [];
    for (const uid of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (a[uid] !== b[uid]) lines.push(`  UID ${uid}: client ${a[uid] === undefined ? 'absent' : `(${a[uid]})`}, server ${b[uid] === undefined ? 'absent' : `(${b[uid]})`}`);
    }
    fail(`${stage}: imapflow's view differs from UID FETCH 1:* (FLAGS) on a fresh connection`, lines.join('\n'));
  }
}

// A client that keeps `view` up to date from imapflow's events.
function follow(client, view, seen) {
  client.on('expunge', (e) => {
    seen.expunge.push(e);
    if (e.uid) view.delete(e.uid);
    else seen.noUid.push(e);
  });
  client.on('flags', (e) => {
    seen.flags.push(e);
    if (e.uid) view.set(e.uid, clean(e.flags));
    else seen.noUid.push(e);
  });
}

async function fetchNew(client, view, above) {
  const box = client.mailbox;
  if (box.exists === 0) return;
  for await (const m of client.fetch(`${above + 1}:*`, { uid: true, flags: true }, { uid: true })) {
    if (m.uid > above) view.set(m.uid, clean(m.flags));
  }
}

const msg = (n) => `From: writer@example.com\r\nSubject: qresync ${n}\r\nMessage-ID: <q${n}@example.com>\r\n\r\nbody ${n}\r\n`;

// ---- setup: a mailbox of 14 messages with assorted flags
const writer = connect('writer');
await writer.connect();
await writer.mailboxCreate(BOX).catch(() => {});
const uids = [];
for (let i = 1; i <= 14; i++) {
  const flags = [[], ['\\Seen'], ['\\Flagged', '$Label1'], ['\\Seen', '\\Answered']][i % 4];
  uids.push((await writer.append(BOX, msg(i), flags)).uid);
}

// ---- 1. first session: full sync, remember UIDVALIDITY and HIGHESTMODSEQ
const first = connect('first', { qresync: true });
await first.connect();
if (!first.enabled.has('QRESYNC')) fail(`ENABLE QRESYNC was not confirmed (enabled: ${[...first.enabled].join(' ')})`);
const box1 = await first.mailboxOpen(BOX);
const cache = new Map();
for await (const m of first.fetch('1:*', { uid: true, flags: true }, { uid: true })) cache.set(m.uid, clean(m.flags));
const cachedModseq = box1.highestModseq;
const cachedValidity = box1.uidValidity;
assert.ok(cachedModseq > 0n, 'HIGHESTMODSEQ from SELECT');
assert.equal(cache.size, 14);
compare(cache, await truth(), 'after the first full sync');
await first.logout();

// ---- 2. changes while it is away
await writer.mailboxOpen(BOX);
const u = (i) => uids[i - 1];
await writer.messageFlagsAdd(`${u(1)},${u(5)}`, ['\\Flagged', 'Work'], { uid: true });
await writer.messageFlagsRemove(`${u(11)},${u(13)}`, ['\\Seen'], { uid: true });
await writer.messageFlagsSet(`${u(3)}`, ['\\Draft'], { uid: true });
await writer.messageFlagsAdd(`${u(4)}`, ['$Label2'], { uid: true }); // changed, then expunged below
await writer.messageDelete(`${u(4)},${u(7)}:${u(9)}`, { uid: true });
await writer.messageDelete(`${u(14)}`, { uid: true });
const newUids = [];
newUids.push((await writer.append(BOX, msg(15), ['\\Seen'])).uid);
newUids.push((await writer.append(BOX, msg(16))).uid);
const gone = [u(4), u(7), u(8), u(9), u(14)];

// ---- 3. come back with QRESYNC
const second = connect('second', { qresync: true });
const seen = { expunge: [], flags: [], noUid: [] };
const view = new Map(cache);
follow(second, view, seen);
await second.connect();
if (!second.enabled.has('QRESYNC')) fail('ENABLE QRESYNC was not confirmed on reconnect');
const box2 = await second.mailboxOpen(BOX, { uidValidity: cachedValidity, changedSince: cachedModseq });
if (!transcript.some((l) => /^second C: \S+ SELECT \S+ \(QRESYNC \(\d+ \d+\)\)/i.test(l))) fail('imapflow sent no SELECT ... (QRESYNC (uidvalidity modseq))');
if (box2.qresync !== true) fail(`imapflow did not accept the QRESYNC resync (mailbox.qresync ${box2.qresync}, uidValidity ${box2.uidValidity} vs ${cachedValidity}, highestModseq ${box2.highestModseq})`);
if (seen.noUid.length) fail('RFC 7162 §3.2.4/§3.2.10: events without a UID under QRESYNC', JSON.stringify(seen.noUid, (k, v) => (typeof v === 'bigint' ? String(v) : v)));
const vanished = seen.expunge.filter((e) => e.vanished && e.earlier).map((e) => e.uid);
const missing = gone.filter((x) => !vanished.includes(x));
if (missing.length) fail(`RFC 7162 §3.2.5.1: VANISHED (EARLIER) must name every UID expunged since modseq ${cachedModseq}; missing ${missing.join(',')} (got ${vanished.join(',') || 'none'})`);
const stillThere = vanished.filter((x) => cache.has(x) && !gone.includes(x));
if (stillThere.length) fail(`VANISHED (EARLIER) named UIDs that were not expunged: ${stillThere.join(',')}`);
// No known-uids were sent, so the server acts as for 1:<UIDNEXT-1> (§3.2.5.1):
// every message changed since the modseq, the new ones included, comes as FETCH.
let t = await truth();
compare(view, t, `right after SELECT (QRESYNC (${cachedValidity} ${cachedModseq})), before any FETCH of imapflow's own`);
if (BigInt(box2.highestModseq) !== BigInt(t.highestModseq)) fail(`HIGHESTMODSEQ ${box2.highestModseq} in SELECT, ${t.highestModseq} on the server`);
const flagUids = new Set(seen.flags.map((e) => e.uid));
for (const x of [u(1), u(3), u(5), u(11), u(13), ...newUids]) {
  if (!flagUids.has(x)) fail(`no FETCH for changed UID ${x} in the QRESYNC SELECT`);
}
await fetchNew(second, view, Math.max(...cache.keys()));
compare(view, await truth(), 'after the QRESYNC resync');

// ---- 4. stay selected while the writer changes more: live VANISHED and FETCH
seen.expunge.length = 0;
seen.flags.length = 0;
let known = Math.max(...view.keys());
await writer.messageFlagsAdd(`${u(10)}:${u(12)}`, ['\\Answered'], { uid: true });
await writer.messageDelete(`${u(11)},${newUids[0]}`, { uid: true });
await writer.messageFlagsRemove(`${u(1)}`, ['Work'], { uid: true });
const late = (await writer.append(BOX, msg(17), ['$Label1'])).uid;
t = await truth();
for (let i = 0; i < 40; i++) {
  await second.noop();
  await fetchNew(second, view, known);
  known = Math.max(known, ...view.keys());
  if (JSON.stringify(show(view)) === JSON.stringify(show(t.view))) break;
  await new Promise((r) => setTimeout(r, 50));
}
if (seen.noUid.length) fail('RFC 7162 §3.2.4/§3.2.10: live events without a UID under QRESYNC');
const live = seen.expunge.filter((e) => e.vanished && !e.earlier).map((e) => e.uid).sort();
assert.deepEqual(live, [u(11), newUids[0]].sort(), 'live VANISHED (RFC 7162 §3.2.10) for the two expunged messages');
compare(view, t, 'after live changes while selected');
assert.ok(view.has(late));
const liveModseq = second.mailbox.highestModseq;
const liveValidity = second.mailbox.uidValidity;
await second.logout();

// ---- 5. away again; resync from the HIGHESTMODSEQ imapflow tracked
await writer.messageFlagsAdd(`${u(12)}`, ['\\Seen'], { uid: true });
await writer.messageDelete(`${u(13)}`, { uid: true });
await writer.logout();
const third = connect('third', { qresync: true });
const seen3 = { expunge: [], flags: [], noUid: [] };
const view3 = new Map(view);
follow(third, view3, seen3);
await third.connect();
const box3 = await third.mailboxOpen(BOX, { uidValidity: liveValidity, changedSince: liveModseq });
if (box3.qresync !== true) fail('third session: QRESYNC resync not accepted');
if (!seen3.expunge.some((e) => e.uid === u(13) && e.earlier)) fail(`VANISHED (EARLIER) for UID ${u(13)} missing after resync from modseq ${liveModseq}`);
await fetchNew(third, view3, Math.max(...view.keys()));
compare(view3, await truth(), `after a resync from the HIGHESTMODSEQ imapflow tracked (${liveModseq})`);
await third.logout();
console.log(`PASS imapflow qresync (${seen.flags.length} live FETCH, ${live.length} live VANISHED, resynced from modseq ${cachedModseq} and ${liveModseq})`);
