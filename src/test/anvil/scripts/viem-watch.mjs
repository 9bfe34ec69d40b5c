// viem following a WebSocket gateway, as a viem dApp does: one public client on a webSocket transport, with
// watchBlockNumber and watchBlocks (poll: false, so both subscribe with eth_subscribe("newHeads") rather than polling).
// Counts the eth_subscribe requests viem sends (one per watcher; more means it lost the socket and subscribed again).
// Usage: node viem-watch.mjs <ws-url> <seconds>; prints one JSON line
// {blockNumbers: [...], blocks: [{number, hash, parentHash}...], subscribeRequests, errors: [...]} and exits 0,
// or 1 when viem reported an error (the line is printed first, the errors also go to stderr).
import { createPublicClient, webSocket } from "viem";

const [url, secondsArg] = process.argv.slice(2);
const seconds = Number(secondsArg);
if (!url || !(seconds > 0)) {
  console.error("usage: node viem-watch.mjs <ws-url> <seconds>");
  process.exit(2);
}

const client = createPublicClient({ transport: webSocket(url) });

// Every request viem makes on this socket, the re-subscriptions after a reconnect included, goes through the socket
// client's request(): count the eth_subscribe ones there.
let subscribeRequests = 0;
let rpcClient;
try {
  rpcClient = await client.transport.getRpcClient();
} catch (error) {
  console.error(`viem-watch: cannot open ${url}: ${error?.message ?? error?.error?.message ?? String(error)}`);
  process.exit(1);
}
const request = rpcClient.request.bind(rpcClient);
rpcClient.request = args => {
  if (args.body?.method === "eth_subscribe") subscribeRequests++;
  return request(args);
};

const blockNumbers = [], blocks = [], errors = [];
const onError = where => error => {
  const message = `${where}: ${error?.shortMessage ?? error?.message ?? String(error)}`;
  errors.push(message);
  console.error(`viem-watch ${message}`);
};
const unwatchNumbers = client.watchBlockNumber({
  emitOnBegin: false,
  poll: false,
  onBlockNumber: n => blockNumbers.push(Number(n)),
  onError: onError("watchBlockNumber"),
});
const unwatchBlocks = client.watchBlocks({
  emitOnBegin: false,
  poll: false,
  onBlock: b => blocks.push({ number: Number(b.number), hash: b.hash, parentHash: b.parentHash }),
  onError: onError("watchBlocks"),
});
console.error(`viem-watch: watchBlockNumber and watchBlocks on ${url} for ${seconds} s`);

setTimeout(async () => {
  unwatchNumbers();
  unwatchBlocks();
  await rpcClient.close();
  console.log(JSON.stringify({ blockNumbers, blocks, subscribeRequests, errors }));
  process.exit(errors.length === 0 ? 0 : 1);
}, seconds * 1000);
