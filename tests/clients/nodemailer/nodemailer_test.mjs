// Node nodemailer against Lemonade's submission server: STARTTLS on the
// submission port and implicit TLS on the submissions port, AUTH, an
// attachment, and RFC 3461 DSN parameters (ENVID, RET, NOTIFY, ORCPT).
// Usage: node nodemailer_test.mjs PORT TLS_PORT USER PASSWORD TO
import nodemailer from "nodemailer";

const [port, tlsPort, user, pass, to] = process.argv.slice(2);

async function send(options, message) {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    ...options,
    auth: { user, pass },
    tls: { rejectUnauthorized: false },
  });
  const info = await transport.sendMail(message);
  transport.close();
  if (!/^250 2\.0\.0 Message queued as \d+$/.test(info.response)) throw new Error("unexpected reply " + info.response);
  if (info.rejected.length) throw new Error("rejected " + info.rejected);
  console.log("sent:", message.subject, "->", info.response);
}

await send(
  { port: Number(port), secure: false, requireTLS: true },
  {
    from: `${user}@localhost`,
    to,
    subject: "nodemailer starttls",
    text: "Hello from nodemailer.\n",
    attachments: [{ filename: "data.bin", content: Buffer.from([0, 1, 2, 3, 255]) }],
    dsn: { id: "NM-1", return: "headers", notify: ["success"], recipient: `${user}@localhost` },
  },
);
await send(
  { port: Number(tlsPort), secure: true },
  { from: `${user}@localhost`, to, subject: "nodemailer implicit tls", text: "Second.\n" },
);
