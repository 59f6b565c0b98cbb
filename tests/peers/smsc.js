#!/usr/bin/env node
// A small, scriptable SMSC for integration tests, built on node-smpp (npm `smpp` 0.5.1).
//
// Usage:  node smsc.js [--port N] [--control-port N] [--system-id ID] [--password PW]
//         (or env SMSC_PORT, SMSC_CONTROL_PORT, SMSC_SYSTEM_ID, SMSC_PASSWORD; port 0 = pick a free one)
// Prints one line "LISTENING <smpp_port> <control_port>" on stdout once both servers accept connections.
// Listens on 127.0.0.1 only.
//
// SMPP behaviour:
//   bind_transceiver / bind_transmitter / bind_receiver: system_id + password checked (ESME_RINVPASWD 0x0E).
//   submit_sm: recorded byte-exactly (short_message as hex), answered with a fresh message id:
//     - destination not starting with "84"  -> ESME_RINVDSTADR (0x0B), permanent;
//     - a share `throttle_share` of submits  -> ESME_RTHROTTLED (0x58);
//     - with `tps_cap` > 0, a submit that would make more than `tps_cap` accepted on its bind within the
//       last 1000 ms (a sliding window, per bind, by arrival time) -> ESME_RTHROTTLED (0x58), as a telco's
//       per-bind cap does; `max_per_second` in /stats is the most any bind had accepted in one window;
//     - otherwise 0 with an id styled by `id_style` (see idStyles) after `resp_delay_ms`.
//   Delivery receipts (deliver_sm, esm_class 0x04) after `receipt_delay_ms`, carrying the SAME number in
//   a DIFFERENT style than the submit_sm_resp (to exercise id normalisation), both as TLV
//   receipted_message_id and as `id:` in the text. stat by destination: ...13 UNDELIV, ...14 EXPIRED,
//   ...15 REJECTD, anything else DELIVRD.
//
// Control channel: HTTP/JSON on 127.0.0.1:<control_port>
//   GET  /submits            recorded submit_sm list (`t`: arrival, milliseconds since the epoch)
//   GET  /stats              counters
//   POST /config  {...}      merge into config (keys: see `config` below)
//   POST /reset              clear records and counters (config kept)
//   POST /drop               destroy every SMPP connection now
//   POST /mo      {sender, recipient, text, data_coding: 0|8, parts: 1|2, concat: "udh8"|"udh16"|"sar",
//                  redeliver_on_bind: true = send the same deliver_sm(s) again to the next client that binds,
//                  as an SMSC does when the link dropped before it read our deliver_sm_resp}
//   POST /receipt {id, stat} send a receipt for an arbitrary (e.g. unknown) id to every bound session
'use strict';

const http = require('http');
const smpp = require('smpp');
const defs = require('smpp/lib/defs');

// Keep short_message as raw bytes: we record exactly what the client sent and build what we send.
defs.filters.message.decode = (value) => value;

function arg(name, envName, fallback) {
  const i = process.argv.indexOf(name);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  if (process.env[envName] !== undefined) return process.env[envName];
  return fallback;
}

const SMPP_PORT = parseInt(arg('--port', 'SMSC_PORT', '0'), 10);
const CONTROL_PORT = parseInt(arg('--control-port', 'SMSC_CONTROL_PORT', '0'), 10);
const SYSTEM_ID = arg('--system-id', 'SMSC_SYSTEM_ID', 'motcua');
const PASSWORD = arg('--password', 'SMSC_PASSWORD', 'secret');

const ESME_ROK = 0x00;
const ESME_RINVDSTADR = 0x0b;
const ESME_RINVPASWD = 0x0e;
const ESME_RTHROTTLED = 0x58;

const config = {
  id_style: 'hex', // 'dec' | 'hex' | 'zeros'
  receipt_delay_ms: 20,
  resp_delay_ms: 0,
  throttle_share: 0, // 0..1 of submits answered ESME_RTHROTTLED
  tps_cap: 0, // accepted submit_sm per bind in any 1000 ms; beyond: ESME_RTHROTTLED (0 = no cap)
  no_receipt_share: 0, // 0..1 of accepted submits that never get a receipt
  duplicate_receipts: false, // send every receipt twice
  unknown_receipts: false, // after every receipt, also one for an id we never issued
  drop_every_ms: 0, // destroy connections periodically (0 = never)
  record: true, // record submits (the benchmark turns this off to save memory)
};

// Ids start at 0xA0000000 so that their hex form always contains a letter: "0A0000001F" in the
// resp and "2684354591" in the receipt must normalise to the same key.
let nextNumber = 0xa0000000;
const idStyles = {
  // [style in submit_sm_resp, style in receipt]
  dec: [(n) => String(n), (n) => String(n).padStart(12, '0')],
  hex: [(n) => n.toString(16).toUpperCase().padStart(10, '0'), (n) => String(n)],
  zeros: [(n) => String(n).padStart(12, '0'), (n) => n.toString(16)],
};

let submits = [];
let stats = {};
function resetStats() {
  stats = {
    binds: 0,
    bind_failures: 0,
    submits: 0,
    accepted: 0,
    throttled: 0,
    rejected: 0,
    receipts_sent: 0,
    mo_sent: 0,
    deliver_sm_resp: {}, // command_status -> count
    outstanding: 0,
    max_outstanding: 0,
    enquire_links: 0,
    unbinds: 0,
    drops: 0,
    max_per_second: 0,
  };
}
resetStats();

let throttleAcc = 0;
let noReceiptAcc = 0;
function shareHit(acc, share) {
  // Deterministic "share": an accumulator, so 0.5 means exactly every second submit.
  acc += share;
  if (acc >= 1 - 1e-9) return [acc - 1, true];
  return [acc, false];
}

const sessions = new Set();
const bound = new Set();

// ---- GSM 03.38 (unpacked septets, one byte each; extension chars escaped with 0x1B) ----
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXT = { '\f': 0x0a, '^': 0x14, '{': 0x28, '}': 0x29, '\\': 0x2f, '[': 0x3c, '~': 0x3d, ']': 0x3e, '|': 0x40, '€': 0x65 };
function gsmEncode(text) {
  const out = [];
  for (const ch of text) {
    const i = GSM_BASIC.indexOf(ch);
    if (i >= 0 && ch !== '\x1b') out.push(i);
    else if (ch in GSM_EXT) out.push(0x1b, GSM_EXT[ch]);
    else out.push(0x3f); // '?'
  }
  return Buffer.from(out);
}
function ucs2Encode(text) {
  return Buffer.from(text, 'utf16le').swap16();
}

function stamp(d) {
  const p = (n) => String(n).padStart(2, '0');
  return p(d.getUTCFullYear() % 100) + p(d.getUTCMonth() + 1) + p(d.getUTCDate()) + p(d.getUTCHours()) + p(d.getUTCMinutes());
}

function statFor(destination) {
  if (destination.endsWith('13')) return ['UNDELIV', 5, '013'];
  if (destination.endsWith('14')) return ['EXPIRED', 3, '000'];
  if (destination.endsWith('15')) return ['REJECTD', 8, '015'];
  return ['DELIVRD', 2, '000'];
}

function sendReceipt(session, receiptId, source, destination, stat, state, err) {
  const now = new Date();
  const text =
    `id:${receiptId} sub:001 dlvrd:${stat === 'DELIVRD' ? '001' : '000'} submit date:${stamp(now)} ` +
    `done date:${stamp(now)} stat:${stat} err:${err} text:`;
  session.deliver_sm(
    {
      source_addr: destination,
      source_addr_ton: 1,
      source_addr_npi: 1,
      destination_addr: source,
      esm_class: 0x04,
      data_coding: 0,
      short_message: Buffer.from(text, 'latin1'),
      receipted_message_id: receiptId,
      message_state: state,
    },
    (resp) => {
      const k = String(resp.command_status);
      stats.deliver_sm_resp[k] = (stats.deliver_sm_resp[k] || 0) + 1;
    },
  );
  stats.receipts_sent += 1;
}

// Arrival times (ms) of the submits each bind had accepted within the last second, oldest first.
const recent = new Map();
function overCap(session, now) {
  let times = recent.get(session);
  if (!times) recent.set(session, (times = []));
  let old = 0;
  while (old < times.length && times[old] <= now - 1000) old += 1;
  if (old) times.splice(0, old);
  if (config.tps_cap > 0 && times.length >= config.tps_cap) return true;
  times.push(now);
  stats.max_per_second = Math.max(stats.max_per_second, times.length);
  return false;
}

function onSubmit(session, pdu) {
  const now = Date.now();
  stats.submits += 1;
  stats.outstanding += 1;
  stats.max_outstanding = Math.max(stats.max_outstanding, stats.outstanding);
  const sm = Buffer.isBuffer(pdu.short_message) ? pdu.short_message : Buffer.alloc(0);
  const record = {
    t: now,
    seq: pdu.sequence_number,
    source_addr: pdu.source_addr,
    source_addr_ton: pdu.source_addr_ton,
    source_addr_npi: pdu.source_addr_npi,
    destination_addr: pdu.destination_addr,
    dest_addr_ton: pdu.dest_addr_ton,
    dest_addr_npi: pdu.dest_addr_npi,
    esm_class: pdu.esm_class,
    data_coding: pdu.data_coding,
    registered_delivery: pdu.registered_delivery,
    short_message_hex: sm.toString('hex'),
    status: ESME_ROK,
    message_id: null,
    receipt_id: null,
  };
  let status = ESME_ROK;
  let hit;
  if (!String(pdu.destination_addr).startsWith('84')) {
    status = ESME_RINVDSTADR;
  } else {
    [throttleAcc, hit] = shareHit(throttleAcc, config.throttle_share);
    if (hit || overCap(session, now)) status = ESME_RTHROTTLED;
  }
  record.status = status;
  if (config.record) submits.push(record);

  const respond = () => {
    stats.outstanding -= 1;
    if (status !== ESME_ROK) {
      if (status === ESME_RTHROTTLED) stats.throttled += 1;
      else stats.rejected += 1;
      session.send(pdu.response({ command_status: status }));
      return;
    }
    stats.accepted += 1;
    const n = nextNumber++;
    const [respStyle, receiptStyle] = idStyles[config.id_style] || idStyles.hex;
    record.message_id = respStyle(n);
    record.receipt_id = receiptStyle(n);
    session.send(pdu.response({ message_id: record.message_id }));
    [noReceiptAcc, hit] = shareHit(noReceiptAcc, config.no_receipt_share);
    if (hit) return;
    const [stat, state, err] = statFor(String(pdu.destination_addr));
    const fire = () => {
      if (!bound.has(session)) return; // connection gone: this receipt is lost, like a real outage
      sendReceipt(session, record.receipt_id, pdu.source_addr, pdu.destination_addr, stat, state, err);
      if (config.duplicate_receipts) {
        sendReceipt(session, record.receipt_id, pdu.source_addr, pdu.destination_addr, stat, state, err);
      }
      if (config.unknown_receipts) {
        sendReceipt(session, String(nextNumber + 1000000000), pdu.source_addr, pdu.destination_addr, 'DELIVRD', 2, '000');
      }
    };
    setTimeout(fire, config.receipt_delay_ms);
  };
  if (config.resp_delay_ms > 0) setTimeout(respond, config.resp_delay_ms);
  else respond();
}

let redeliverQueue = [];
function redeliver(session) {
  const queued = redeliverQueue;
  redeliverQueue = [];
  for (const opts of queued) {
    session.deliver_sm({ ...opts }, () => {});
    stats.mo_sent += 1;
    stats.mo_redelivered = (stats.mo_redelivered || 0) + 1;
  }
}

function onBind(session, pdu) {
  if (pdu.system_id === SYSTEM_ID && pdu.password === PASSWORD) {
    stats.binds += 1;
    bound.add(session);
    session.send(pdu.response({ system_id: 'NODESMSC' }));
    if (redeliverQueue.length) setTimeout(() => redeliver(session), 50);
  } else {
    stats.bind_failures += 1;
    session.send(pdu.response({ command_status: ESME_RINVPASWD }));
    setTimeout(() => session.close(), 10);
  }
}

const server = smpp.createServer((session) => {
  // Real SMSCs answer at once; Node's default (Nagle on) would hold small resps ~40 ms for an ACK.
  session.socket.setNoDelay(true);
  sessions.add(session);
  session.on('bind_transceiver', (pdu) => onBind(session, pdu));
  session.on('bind_transmitter', (pdu) => onBind(session, pdu));
  session.on('bind_receiver', (pdu) => onBind(session, pdu));
  session.on('submit_sm', (pdu) => {
    if (!bound.has(session)) {
      session.send(pdu.response({ command_status: 0x04 })); // ESME_RINVBNDSTS
      return;
    }
    onSubmit(session, pdu);
  });
  session.on('enquire_link', (pdu) => {
    stats.enquire_links += 1;
    session.send(pdu.response());
  });
  session.on('unbind', (pdu) => {
    stats.unbinds += 1;
    bound.delete(session);
    session.send(pdu.response());
    setTimeout(() => session.close(), 10);
  });
  session.on('error', () => {});
  session.on('close', () => {
    recent.delete(session);
    sessions.delete(session);
    bound.delete(session);
  });
});

function dropAll() {
  stats.drops += 1;
  for (const s of sessions) {
    bound.delete(s);
    s.destroy();
  }
  sessions.clear();
}

let dropTimer = null;
function applyDropTimer() {
  if (dropTimer) clearInterval(dropTimer);
  dropTimer = config.drop_every_ms > 0 ? setInterval(dropAll, config.drop_every_ms) : null;
}

let moRef = 0x41;
function injectMo(body) {
  const dataCoding = body.data_coding === undefined ? 8 : body.data_coding;
  const payload = dataCoding === 8 ? ucs2Encode(body.text) : gsmEncode(body.text);
  const nParts = body.parts || 1;
  const concat = body.concat || 'udh8';
  const ref = (moRef = (moRef + 1) & 0xff);
  const chunks = [];
  if (nParts === 1) {
    chunks.push(payload);
  } else {
    let cut = Math.floor(payload.length / nParts);
    if (dataCoding === 8) cut -= cut % 2;
    for (let i = 0; i < nParts; i++) {
      chunks.push(payload.subarray(i * cut, i === nParts - 1 ? payload.length : (i + 1) * cut));
    }
  }
  // Deliver the parts in reverse order: the receiver must reassemble by sequence number, not arrival.
  const order = chunks.map((_, i) => i).reverse();
  let sent = 0;
  for (const s of bound) {
    for (const i of order) {
      const opts = {
        source_addr: body.sender || '84912345678',
        source_addr_ton: 1,
        source_addr_npi: 1,
        destination_addr: body.recipient || '8083',
        esm_class: 0,
        data_coding: dataCoding,
      };
      let sm = chunks[i];
      if (nParts > 1 && concat === 'udh8') {
        opts.esm_class = 0x40;
        sm = Buffer.concat([Buffer.from([0x05, 0x00, 0x03, ref, nParts, i + 1]), sm]);
      } else if (nParts > 1 && concat === 'udh16') {
        opts.esm_class = 0x40;
        sm = Buffer.concat([Buffer.from([0x06, 0x08, 0x04, 0x12, ref, nParts, i + 1]), sm]);
      } else if (nParts > 1) {
        opts.sar_msg_ref_num = 0x1200 + ref;
        opts.sar_total_segments = nParts;
        opts.sar_segment_seqnum = i + 1;
      }
      opts.short_message = sm;
      if (body.redeliver_on_bind) redeliverQueue.push({ ...opts });
      s.deliver_sm(opts, (resp) => {
        const k = String(resp.command_status);
        stats.deliver_sm_resp[k] = (stats.deliver_sm_resp[k] || 0) + 1;
      });
      stats.mo_sent += 1;
      sent += 1;
    }
  }
  return { sent };
}

function injectReceipt(body) {
  let sent = 0;
  const [, state, err] = statFor('');
  for (const s of bound) {
    sendReceipt(s, String(body.id), '8083', '84900000000', body.stat || 'DELIVRD', state, err);
    sent += 1;
  }
  return { sent };
}

function json(res, code, obj) {
  const data = JSON.stringify(obj);
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(data);
}

const control = http.createServer((req, res) => {
  let raw = '';
  req.on('data', (c) => (raw += c));
  req.on('end', () => {
    let body = {};
    try {
      body = raw ? JSON.parse(raw) : {};
    } catch (e) {
      return json(res, 400, { error: 'bad json' });
    }
    const route = `${req.method} ${req.url}`;
    switch (route) {
      case 'GET /submits':
        return json(res, 200, submits);
      case 'GET /stats':
        return json(res, 200, { ...stats, bound_sessions: bound.size, config });
      case 'POST /config':
        Object.assign(config, body);
        applyDropTimer();
        return json(res, 200, config);
      case 'POST /reset':
        submits = [];
        resetStats();
        throttleAcc = 0;
        noReceiptAcc = 0;
        return json(res, 200, { ok: true });
      case 'POST /drop':
        dropAll();
        return json(res, 200, { ok: true });
      case 'POST /mo':
        return json(res, 200, injectMo(body));
      case 'POST /receipt':
        return json(res, 200, injectReceipt(body));
      default:
        return json(res, 404, { error: `no route ${route}` });
    }
  });
});

server.listen(SMPP_PORT, '127.0.0.1', () => {
  control.listen(CONTROL_PORT, '127.0.0.1', () => {
    process.stdout.write(`LISTENING ${server.address().port} ${control.address().port}\n`);
  });
});

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
