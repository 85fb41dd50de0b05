#!/usr/bin/env node
// A WebSocket client built on the Node.js `ws` package (pinned in
// package.json), for the wsprobe listen-mode tests (tests/cli/listen.rs).
//
// usage: node ws_client.js URL OPTIONS_JSON
//   OPTIONS_JSON: {"compress": bool, "subprotocols": [..],
//                  "send": [{"type": "text"|"binary", "data": "..." (hex for binary)}],
//                  "expect": N}
//
// Connects (10 s handshake timeout), sends the messages in order, waits for
// N messages (10 s in all), closes with 1000 and prints one JSON object:
// subprotocol, extensions and received ({type, data}, binary as hex).
// Exits 1 with the error on stderr otherwise.
'use strict';
const WebSocket = require('ws');

const [url, raw] = process.argv.slice(2);
const opts = JSON.parse(raw || '{}');
const ws = new WebSocket(url, opts.subprotocols || [], {
  perMessageDeflate: opts.compress !== false,
  handshakeTimeout: 10000,
});
const got = [];
const fail = (e) => {
  process.stderr.write(`ws_client.js: ${e}\n`);
  process.exit(1);
};
const timer = setTimeout(() => fail('timed out'), 10000);
const done = () => {
  clearTimeout(timer);
  const result = { subprotocol: ws.protocol || null, extensions: ws.extensions || null, received: got };
  ws.close(1000, 'done');
  ws.on('close', () => {
    process.stdout.write(JSON.stringify(result) + '\n');
    process.exit(0);
  });
};
ws.on('error', fail);
ws.on('open', () => {
  for (const m of opts.send || []) {
    if (m.type === 'binary') ws.send(Buffer.from(m.data, 'hex'), { binary: true });
    else ws.send(m.data);
  }
  if ((opts.expect || 0) === 0) done();
});
ws.on('message', (data, isBinary) => {
  got.push(isBinary ? { type: 'binary', data: data.toString('hex') } : { type: 'text', data: data.toString() });
  if (got.length === opts.expect) done();
});
