// The seed system's stack, written as a competent Node user would, with the same guarantee as wabulk:
// HMAC-SHA256 of the raw body checked in constant time, JSON parsed, the raw body and one line per status
// appended and fdatasync'ed before the 200.
//   MODE=sync  : every request writes and syncs on its own (async fs calls, so requests overlap)
//   MODE=group : group commit: requests that arrive while a sync runs share the next write and sync
// usage: MODE=sync|group node node_receiver.js PORT LOGFILE   (WHATSAPP_APP_SECRET in the environment)
const http = require("http");
const crypto = require("crypto");
const fs = require("fs");

const [port, logFile] = process.argv.slice(2);
const mode = process.env.MODE || "sync";
const secret = process.env.WHATSAPP_APP_SECRET;
const fd = fs.openSync(logFile, "a");

function verify(raw, header) {
  if (!header || !header.startsWith("sha256=")) return false;
  const expected = Buffer.from(crypto.createHmac("sha256", secret).update(raw).digest("hex"));
  const given = Buffer.from(header.slice(7));
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

function lines(raw, payload) {
  const now = new Date().toISOString();
  let out = JSON.stringify({ kind: "webhook", time: now, raw: raw.toString("utf8") }) + "\n";
  for (const entry of payload.entry || []) {
    for (const change of entry.changes || []) {
      for (const s of (change.value && change.value.statuses) || []) {
        out += JSON.stringify({ kind: "status", time: now, status: s.status, wamid: s.id, job: s.biz_opaque_callback_data,
                                metaTime: Number(s.timestamp), phone: "+" + s.recipient_id }) + "\n";
      }
    }
  }
  return Buffer.from(out);
}

function syncEach(buf, done) {
  fs.write(fd, buf, (err) => {
    if (err) return done(err);
    fs.fdatasync(fd, done);
  });
}

let queue = [];
let syncing = false;
function groupCommit(buf, done) {
  queue.push({ buf, done });
  if (!syncing) flush();
}
function flush() {
  if (queue.length === 0) { syncing = false; return; }
  syncing = true;
  const batch = queue;
  queue = [];
  fs.write(fd, Buffer.concat(batch.map((b) => b.buf)), (err) => {
    if (err) { batch.forEach((b) => b.done(err)); return flush(); }
    fs.fdatasync(fd, (err2) => {
      batch.forEach((b) => b.done(err2));
      flush();
    });
  });
}
const store = mode === "group" ? groupCommit : syncEach;

http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const raw = Buffer.concat(chunks);
    if (!verify(raw, req.headers["x-hub-signature-256"])) { res.writeHead(401); return res.end(); }
    let payload;
    try { payload = JSON.parse(raw); } catch { res.writeHead(400); return res.end(); }
    store(lines(raw, payload), (err) => {
      res.writeHead(err ? 500 : 200);
      res.end();
    });
  });
}).listen(Number(port), "127.0.0.1");
