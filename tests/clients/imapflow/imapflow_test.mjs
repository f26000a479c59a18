// Node imapflow against Lemonade: TLS login, COMPRESS=DEFLATE (imapflow
// turns it on after login when offered: everything below runs compressed,
// RFC 4978), special-use folders, create, append (uid / uidValidity from
// APPENDUID), status, logout.
// Usage: node imapflow_test.mjs PORT CA_FILE USER PASSWORD
import { ImapFlow } from 'imapflow';
import fs from 'node:fs';
import assert from 'node:assert/strict';

const [port, caFile, user, pass] = process.argv.slice(2);
const client = new ImapFlow({
  host: 'localhost',
  port: Number(port),
  secure: true,
  tls: { ca: [fs.readFileSync(caFile)] },
  auth: { user, pass },
  logger: false,
  disableAutoIdle: true,
});

await client.connect();
assert.ok(client.capabilities.has('COMPRESS=DEFLATE'));
// imapflow keeps its deflate stream here once COMPRESS succeeded.
assert.ok(client._deflate, 'COMPRESS DEFLATE was not negotiated');

const boxes = await client.list();
const uses = Object.fromEntries(boxes.filter((b) => b.specialUse).map((b) => [b.path, b.specialUse]));
assert.deepEqual(uses, {
  INBOX: '\\Inbox', // imapflow's own label for INBOX
  Archive: '\\Archive',
  Drafts: '\\Drafts',
  Junk: '\\Junk',
  Sent: '\\Sent',
  Trash: '\\Trash',
});
assert.ok(boxes.some((b) => b.path === 'INBOX'));

const created = await client.mailboxCreate('Reports/2026');
assert.equal(created.path, 'Reports/2026');
assert.equal(created.created, true);

const message = 'From: a@example.com\r\nTo: b@example.com\r\nSubject: imapflow\r\n\r\nHello from imapflow.\r\n';
const appended = await client.append('Reports/2026', message, ['\\Seen', '$Forwarded'], new Date('2026-01-02T03:04:05Z'));
assert.equal(appended.destination, 'Reports/2026');
assert.equal(appended.uid, 1);
assert.ok(Number(appended.uidValidity) > 0);

const second = await client.append('Reports/2026', message);
assert.equal(second.uid, 2);
assert.equal(second.uidValidity, appended.uidValidity);

const status = await client.status('Reports/2026', { messages: true, unseen: true, uidNext: true, uidValidity: true });
assert.equal(status.messages, 2);
assert.equal(status.unseen, 1);
assert.equal(status.uidNext, 3);
assert.equal(status.uidValidity, appended.uidValidity);

await client.logout();
console.log('PASS imapflow');
