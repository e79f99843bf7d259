// gRPC through every listener (outbound, inbound, gateway) between real grpc-js peers: the client
// speaks h2c with prior knowledge to the proxy, the proxy speaks HTTP/2 to the app (the protocol
// the client used). Unary and the three streaming kinds, metadata and trailers both ways, error
// statuses (trailers-only answers), and a client's cancellation reaching the app.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import type { RequestEvent } from '../core/request-event.js';
import { startSidecarAndGateway, until, type SidecarAndGateway } from '../test-support.js';

interface Msg {
  text: string;
}

// JSON on the wire keeps the test free of generated code; the transport is what is tested.
const json = {
  serialize: (m: Msg) => Buffer.from(JSON.stringify(m)),
  deserialize: (b: Buffer) => JSON.parse(b.toString()) as Msg,
};
const method = (name: string, requestStream: boolean, responseStream: boolean) => ({
  path: `/skiff.test.Echo/${name}`,
  requestStream,
  responseStream,
  requestSerialize: json.serialize,
  requestDeserialize: json.deserialize,
  responseSerialize: json.serialize,
  responseDeserialize: json.deserialize,
});
const ECHO = {
  say: method('Say', false, false),
  fail: method('Fail', false, false),
  slow: method('Slow', false, false),
  countTo: method('CountTo', false, true),
  join: method('Join', true, false),
  chat: method('Chat', true, true),
} satisfies grpc.ServiceDefinition;

type EchoClient = grpc.Client & Record<keyof typeof ECHO, (...args: unknown[]) => unknown>;
const EchoClient = grpc.makeGenericClientConstructor(ECHO, 'Echo') as unknown as new (address: string, credentials: grpc.ChannelCredentials, options?: object) => EchoClient;

async function startEchoServer(): Promise<{ server: grpc.Server; port: number; cancelled: string[] }> {
  const cancelled: string[] = [];
  const server = new grpc.Server();
  server.addService(ECHO, {
    say: (call: grpc.ServerUnaryCall<Msg, Msg>, done: grpc.sendUnaryData<Msg>) => {
      const trailer = new grpc.Metadata();
      trailer.set('x-echo-trailer', 'bye');
      call.sendMetadata(new grpc.Metadata());
      done(null, { text: `${call.request.text} (seen by ${String(call.metadata.get('x-caller')[0] ?? 'nobody')})` }, trailer);
    },
    fail: (_call: grpc.ServerUnaryCall<Msg, Msg>, done: grpc.sendUnaryData<Msg>) => done({ code: grpc.status.NOT_FOUND, details: 'no such message' }),
    slow: (call: grpc.ServerUnaryCall<Msg, Msg>, done: grpc.sendUnaryData<Msg>) => {
      const timer = setTimeout(() => done(null, { text: 'late' }), 5000);
      call.on('cancelled', () => {
        clearTimeout(timer);
        cancelled.push(call.request.text);
      });
    },
    countTo: (call: grpc.ServerWritableStream<Msg, Msg>) => {
      const n = Number(call.request.text);
      for (let i = 1; i <= n; i++) call.write({ text: String(i) });
      call.end();
    },
    join: (call: grpc.ServerReadableStream<Msg, Msg>, done: grpc.sendUnaryData<Msg>) => {
      const parts: string[] = [];
      call.on('data', (m: Msg) => parts.push(m.text));
      call.on('end', () => done(null, { text: parts.join('+') }));
    },
    chat: (call: grpc.ServerDuplexStream<Msg, Msg>) => {
      call.on('data', (m: Msg) => call.write({ text: m.text.toUpperCase() }));
      call.on('end', () => call.end());
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))));
  return { server, port, cancelled };
}

const unary = (client: EchoClient, name: 'say' | 'fail' | 'slow', text: string, options: { metadata?: grpc.Metadata; deadline?: number } = {}) =>
  new Promise<{ reply?: Msg; error?: grpc.ServiceError; trailers?: grpc.Metadata }>((resolve) => {
    // The callback and the 'status' event (which carries the trailers) come in either order.
    let result: { reply?: Msg; error?: grpc.ServiceError } | undefined;
    let trailers: grpc.Metadata | undefined;
    const settle = () => result && trailers && resolve({ ...result, trailers });
    const call = (client[name] as (...args: unknown[]) => grpc.ClientUnaryCall)({ text }, options.metadata ?? new grpc.Metadata(), options.deadline ? { deadline: Date.now() + options.deadline } : {}, (error: grpc.ServiceError | null, reply?: Msg) => {
      result = { reply, error: error ?? undefined };
      settle();
    });
    call.on('status', (status: grpc.StatusObject) => {
      trailers = status.metadata;
      settle();
    });
  });

describe('gRPC on every listener', () => {
  let mesh: SidecarAndGateway;
  let app: Awaited<ReturnType<typeof startEchoServer>>;
  const clients: EchoClient[] = [];
  const events: RequestEvent[] = [];

  before(async () => {
    app = await startEchoServer();
    mesh = await startSidecarAndGateway({ version: 'g1', appPort: app.port, proxies: { observer: (e) => events.push(e) } });
  });

  after(async () => {
    for (const client of clients) client.close();
    await mesh?.close();
    app?.server.forceShutdown();
  });

  /** A client of each listener, addressing the service by authority as a gRPC app does through a proxy. */
  const clientFor = (port: number) => {
    const client = new EchoClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': 'svc' });
    clients.push(client);
    return client;
  };

  test('a unary call with metadata both ways and trailers', async () => {
    for (const listener of mesh.listeners()) {
      const client = clientFor(listener.port);
      const metadata = new grpc.Metadata();
      metadata.set('x-caller', listener.name);
      const { reply, error, trailers } = await unary(client, 'say', 'hi', { metadata });
      assert.equal(error, undefined, `${listener.name}: ${error?.message}`);
      assert.equal(reply?.text, `hi (seen by ${listener.name})`, listener.name);
      assert.deepEqual(trailers?.get('x-echo-trailer'), ['bye'], `${listener.name}: the app's trailer came through`);
    }
  });

  test("an error status and its message come through (the app's trailers-only answer)", async () => {
    for (const listener of mesh.listeners()) {
      const { error } = await unary(clientFor(listener.port), 'fail', 'x');
      assert.equal(error?.code, grpc.status.NOT_FOUND, listener.name);
      assert.equal(error?.details, 'no such message', listener.name);
    }
  });

  test('server streaming, client streaming and bidirectional streaming', async () => {
    for (const listener of mesh.listeners()) {
      const client = clientFor(listener.port);
      const counted = await new Promise<string[]>((resolve, reject) => {
        const got: string[] = [];
        const call = (client.countTo as (m: Msg) => grpc.ClientReadableStream<Msg>)({ text: '50' });
        call.on('data', (m: Msg) => got.push(m.text));
        call.on('end', () => resolve(got));
        call.on('error', reject);
      });
      assert.deepEqual(counted, Array.from({ length: 50 }, (_, i) => String(i + 1)), `${listener.name}: server streaming`);
      const joined = await new Promise<string>((resolve, reject) => {
        const call = (client.join as (cb: grpc.requestCallback<Msg>) => grpc.ClientWritableStream<Msg>)((error, m) => (error ? reject(error) : resolve(m?.text ?? '')));
        for (const part of ['a', 'b', 'c']) call.write({ text: part });
        call.end();
      });
      assert.equal(joined, 'a+b+c', `${listener.name}: client streaming`);
      const chatted = await new Promise<string[]>((resolve, reject) => {
        const got: string[] = [];
        const call = (client.chat as () => grpc.ClientDuplexStream<Msg, Msg>)();
        call.on('data', (m: Msg) => {
          got.push(m.text);
          // Each answer asks the next question: both directions stay open together.
          if (got.length < 3) call.write({ text: `q${got.length + 1}` });
          else call.end();
        });
        call.on('end', () => resolve(got));
        call.on('error', reject);
        call.write({ text: 'q1' });
      });
      assert.deepEqual(chatted, ['Q1', 'Q2', 'Q3'], `${listener.name}: bidirectional`);
    }
  });

  test("a client's deadline cancels the call at the app, through the proxy", async () => {
    for (const listener of mesh.listeners()) {
      const { error } = await unary(clientFor(listener.port), 'slow', listener.name, { deadline: 300 });
      assert.equal(error?.code, grpc.status.DEADLINE_EXCEEDED, listener.name);
      await until(() => app.cancelled.includes(listener.name), `${listener.name}: the app saw the call cancelled`);
    }
  });

  test('calls are reported as HTTP/2 requests answered 200', async () => {
    const before = events.length;
    await unary(clientFor(mesh.listeners()[1]?.port as number), 'say', 'count me');
    await until(() => events.length > before, 'the call event');
    const event = events.at(-1) as RequestEvent;
    assert.equal(event.responseCode, 200);
    assert.equal(event.path, '/skiff.test.Echo/Say');
  });
});
