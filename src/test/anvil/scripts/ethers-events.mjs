// A dApp's contract events through a WebSocket gateway, as ethers delivers them: deploys a contract whose every call
// emits Poked(), listens with contract.on("Poked"), sends `calls` transactions through the same provider and
// prints one JSON line {contract, sent: [txHash], events: [{txHash, blockNumber, removed}]} once a while has passed.
// Usage: node ethers-events.mjs <ws-url> <private-key> <calls>
import { Contract, WebSocketProvider, Wallet, id } from "ethers";

const [url, key, callsArg] = process.argv.slice(2);
const calls = Number(callsArg);
const provider = new WebSocketProvider(url);
const wallet = new Wallet(key, provider);
const topic = id("Poked()").slice(2);
// PUSH32 topic PUSH1 0 PUSH1 0 LOG1 STOP, returned by a CODECOPY init code.
const runtime = "7f" + topic + "6000" + "6000" + "a1" + "00";
const init = "0x" + "6027" + "600c" + "6000" + "39" + "6027" + "6000" + "f3" + runtime;

const deployed = await (await wallet.sendTransaction({ data: init })).wait();
const contract = new Contract(deployed.contractAddress, ["event Poked()"], provider);
const events = [];
await contract.on("Poked", event => {
  events.push({ txHash: event.log.transactionHash, blockNumber: event.log.blockNumber, removed: event.log.removed });
});
// Let the subscription be in place before the first event.
await new Promise(r => setTimeout(r, 1000));
const sent = [];
for (let i = 0; i < calls; i++) {
  const tx = await wallet.sendTransaction({ to: deployed.contractAddress, data: "0x" });
  await tx.wait();
  sent.push(tx.hash);
}
// A while longer, so that a late duplicate would show.
await new Promise(r => setTimeout(r, 3000));
console.log(JSON.stringify({ contract: deployed.contractAddress, sent, events }));
await provider.destroy();
process.exit(0);
