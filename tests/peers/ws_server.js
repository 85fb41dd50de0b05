// A WebSocket echo server built on the Node.js `ws` library (pinned in
// package.json, installed by tests/setup.sh), used by the wsprobe
// integration tests as a real, independent peer
// (tests/cli/support/node.rs starts it).
//
// - Binds 127.0.0.1 on a port the OS picks and prints that port, alone, on
//   the first line of stdout.
// - Echoes text as text and binary as binary; permessage-deflate is
//   accepted with the library's defaults unless --no-compression is given.
// - Exits when stdin reaches end of file (the test closes its end or dies),
//   so it never outlives the test that started it.
'use strict';

const { WebSocketServer } = require('ws');

const compression = !process.argv.includes('--no-compression');
const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  perMessageDeflate: compression,
});

wss.on('listening', () => {
  process.stdout.write(`${wss.address().port}\n`);
});

wss.on('connection', (ws, req) => {
  process.stdout.write(`connection ${req.url}\n`);
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
});

process.stdin.on('data', () => {});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
