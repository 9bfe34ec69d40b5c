// Subscribers over a WebSocket gateway, as dApps make them: `count` ethers WebSocketProviders listening for blocks,
// and one raw socket on eth_subscribe("newHeads") that keeps each head's hash and parent hash.
// Usage: node ws-subscribers.mjs <ws-url> <count> <seconds>; prints one JSON line: {ethers: [[numbers]...], raw: [...]}.
import { WebSocketProvider } from "ethers";
import WebSocket from "ws";

const [url, countArg, secondsArg] = process.argv.slice(2);
const count = Number(countArg), seconds = Number(secondsArg);
const providers = [], seen = [];
for (let i = 0; i < count; i++) {
  const provider = new WebSocketProvider(url);
  const blocks = [];
  seen.push(blocks);
  provider.on("block", n => blocks.push(n));
  providers.push(provider);
}
const raw = [];
const socket = new WebSocket(url);
socket.on("open", () => socket.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_subscribe", params: ["newHeads"] })));
socket.on("message", m => {
  const msg = JSON.parse(String(m));
  if (msg.method === "eth_subscription") {
    const h = msg.params.result;
    raw.push({ number: Number(h.number), hash: h.hash, parentHash: h.parentHash });
  }
});
console.error(`subscribers: ${count} ethers providers and one raw socket on ${url}`);
setTimeout(async () => {
  for (const p of providers) await p.destroy();
  socket.close();
  console.log(JSON.stringify({ ethers: seen, raw }));
  process.exit(0);
}, seconds * 1000);
