// The WebSocket fan-out benchmark's client side (bench/ws-fanout.sh runs it). Three roles:
//   subscribe URL COUNT OUT    open COUNT sockets on URL, each eth_subscribe("newHeads"); print "ready N" once all
//                              are subscribed; on SIGTERM write every delivery's arrival time, by block, to OUT
//   mine NODE_URL BLOCKS MS OUT   one socket straight on the node: subscribe newHeads there (the reference: the moment
//                              the node announces a block, which is when a gateway subscribed to it can first see it),
//                              then evm_mine every MS milliseconds, BLOCKS times; write mining and announcement times
//   report MINED OUT...        one JSON line: deliveries, gaps and duplicates per socket, and latency percentiles
// Times are CLOCK_MONOTONIC microseconds (process.hrtime), the same clock in every process of the machine.
// `ws` comes from the test tree's npm install (NODE_PATH=src/test/anvil/node_modules).
"use strict";
const fs = require("fs");

const now = () => Number(process.hrtime.bigint() / 1000n);
const NUMBER = /"number":"(0x[0-9a-fA-F]+)"/;
const NUMBER_KEY = Buffer.from('"number":"');
const [role, ...args] = process.argv.slice(2);

function subscribe(url, count, out) {
  const WebSocket = require("ws");
  const arrivals = new Map(); // block number → arrival times (µs)
  let subscribed = 0, failed = 0, closedEarly = 0, gaps = 0, duplicates = 0, opening = 0, next = 0, stopping = false;
  const errors = new Map();
  const OPENING_AT_ONCE = 200;
  const open = () => {
    while (opening < OPENING_AT_ONCE && next < count) {
      next++;
      opening++;
      let last = -1, done = false;
      const socket = new WebSocket(url, { perMessageDeflate: false });
      const settle = ok => {
        if (done) return;
        done = true;
        opening--;
        ok ? subscribed++ : failed++;
        if (subscribed + failed === count) console.log(`ready ${subscribed} ${failed}`);
        open();
      };
      socket.on("open", () => socket.send('{"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}'));
      socket.on("message", data => {
        if (!done) {
          settle(data.toString().includes('"result":"0x'));
          return;
        }
        // Read the block number from the bytes: decoding and parsing every notification would make the measuring
        // clients, on the same cores as the gateway, slower than they need to be.
        const t = now();
        const at = data.indexOf(NUMBER_KEY);
        if (at < 0) return;
        const n = parseInt(data.toString("latin1", at + NUMBER_KEY.length, data.indexOf(34, at + NUMBER_KEY.length)), 16);
        if (last >= 0 && n !== last + 1) n <= last ? duplicates++ : gaps++;
        last = n;
        let times = arrivals.get(n);
        if (!times) arrivals.set(n, (times = []));
        times.push(t);
      });
      socket.on("error", e => { errors.set(e.message, (errors.get(e.message) || 0) + 1); settle(false); });
      socket.on("close", () => { if (done && !stopping) closedEarly++; settle(false); });
    }
  };
  open();
  process.on("SIGTERM", () => {
    stopping = true;
    fs.writeFileSync(out, JSON.stringify({ count, subscribed, failed, closedEarly, gaps, duplicates,
      errors: Object.fromEntries(errors), arrivals: Object.fromEntries(arrivals) }));
    process.exit(0);
  });
}

function mine(url, blocks, intervalMs, out) {
  const WebSocket = require("ws");
  const socket = new WebSocket(url, { perMessageDeflate: false });
  const announced = {}, mined = [];
  let id = 10;
  socket.on("open", () => socket.send('{"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}'));
  socket.on("message", data => {
    const t = now(), text = data.toString();
    if (text.includes('"eth_subscription"')) {
      announced[parseInt(NUMBER.exec(text)[1], 16)] = t;
    } else if (text.includes('"id":1,')) {
      let k = 0;
      const tick = () => {
        if (k++ === blocks) {
          setTimeout(() => { fs.writeFileSync(out, JSON.stringify({ mined, announced })); process.exit(0); }, 2000);
          return;
        }
        mined.push(now());
        socket.send(`{"jsonrpc":"2.0","id":${id++},"method":"evm_mine","params":[]}`);
        setTimeout(tick, intervalMs);
      };
      tick();
    }
  });
  socket.on("error", e => { console.error(`miner: ${e.message}`); process.exit(1); });
}

function percentile(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function report(minedFile, outs) {
  const { announced, mined } = JSON.parse(fs.readFileSync(minedFile, "utf8"));
  const totals = { sockets: 0, subscribed: 0, failed: 0, closedEarly: 0, gaps: 0, duplicates: 0, errors: {} };
  const byBlock = new Map();
  for (const f of outs) {
    const r = JSON.parse(fs.readFileSync(f, "utf8"));
    totals.sockets += r.count;
    for (const k of ["subscribed", "failed", "closedEarly", "gaps", "duplicates"]) totals[k] += r[k];
    for (const [e, n] of Object.entries(r.errors)) totals.errors[e] = (totals.errors[e] || 0) + n;
    for (const [n, times] of Object.entries(r.arrivals)) {
      if (!byBlock.has(n)) byBlock.set(n, []);
      byBlock.get(n).push(...times);
    }
  }
  const last = [], first = [], all = [], lastFromMining = [], announcing = [];
  let deliveries = 0, blocksComplete = 0, blocks = 0;
  // One block per evm_mine, announced in order: the k-th block announced is the k-th mined.
  const numbers = Object.keys(announced).map(Number).sort((a, b) => a - b);
  for (const [k, number] of numbers.entries()) {
    const n = String(number), t0 = announced[n];
    const times = byBlock.get(n) || [];
    blocks++;
    if (k < mined.length) announcing.push((t0 - mined[k]) / 1000);
    deliveries += times.length;
    if (times.length === totals.subscribed) blocksComplete++;
    if (!times.length) continue;
    const lat = times.map(t => (t - t0) / 1000).sort((a, b) => a - b);
    first.push(lat[0]);
    last.push(lat[lat.length - 1]);
    if (k < mined.length) lastFromMining.push((Math.max(...times) - mined[k]) / 1000);
    for (const l of lat) all.push(l);
  }
  last.sort((a, b) => a - b);
  first.sort((a, b) => a - b);
  all.sort((a, b) => a - b);
  lastFromMining.sort((a, b) => a - b);
  announcing.sort((a, b) => a - b);
  const r2 = v => (v === null ? null : Math.round(v * 100) / 100);
  console.log(JSON.stringify({ ...totals, blocks, blocksComplete, deliveries, expected: blocks * totals.subscribed,
    lastP50: r2(percentile(last, 50)), lastP99: r2(percentile(last, 99)), lastMax: r2(last.length ? last[last.length - 1] : null),
    firstP50: r2(percentile(first, 50)), nodeAnnouncesP50: r2(percentile(announcing, 50)),
    lastFromMiningP50: r2(percentile(lastFromMining, 50)), lastFromMiningP99: r2(percentile(lastFromMining, 99)), eachP50: r2(percentile(all, 50)), eachP99: r2(percentile(all, 99)) }));
}

if (role === "subscribe") subscribe(args[0], Number(args[1]), args[2]);
else if (role === "mine") mine(args[0], Number(args[1]), Number(args[2]), args[3]);
else if (role === "report") report(args[0], args.slice(1));
else { console.error("usage: fanout.cjs subscribe|mine|report ..."); process.exit(2); }
