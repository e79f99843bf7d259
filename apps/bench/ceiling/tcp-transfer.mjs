// Sends <MiB> MiB to a TCP sink that answers the byte count when the client half-closes (the
// protocol bench's tcp-sink), and prints MiB/s. usage: node tcp-transfer.mjs <port> <MiB>
import net from 'node:net';
import { once } from 'node:events';

const [port, mib] = process.argv.slice(2).map(Number);
const bytes = mib * 1024 * 1024;
const socket = net.connect(port, '127.0.0.1');
await once(socket, 'connect');
let answer = '';
socket.setEncoding('latin1').on('data', (c) => (answer += c));
const chunk = Buffer.alloc(64 * 1024, 0x61);
const t0 = performance.now();
for (let sent = 0; sent < bytes; sent += chunk.length) if (!socket.write(chunk)) await once(socket, 'drain');
socket.end();
await once(socket, 'close');
if (Number(answer.trim()) !== bytes) throw new Error(`the sink counted ${answer.trim()} of ${bytes} bytes`);
console.log((bytes / 1024 / 1024 / ((performance.now() - t0) / 1000)).toFixed(0));
