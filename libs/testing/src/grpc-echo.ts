// A small gRPC service for tests (grpc-js on both ends): Say (unary, with metadata and a trailer),
// Fail (NOT_FOUND), Slow (answers after 5 s unless cancelled), CountTo (server streaming), Join
// (client streaming) and Chat (bidirectional). Messages are JSON on the wire, which keeps tests
// free of generated code: what they test is the transport between the peers.
import * as grpc from '@grpc/grpc-js';

export interface Msg {
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
export const ECHO = {
  say: method('Say', false, false),
  fail: method('Fail', false, false),
  slow: method('Slow', false, false),
  countTo: method('CountTo', false, true),
  join: method('Join', true, false),
  chat: method('Chat', true, true),
} satisfies grpc.ServiceDefinition;

export type EchoClient = grpc.Client & Record<keyof typeof ECHO, (...args: unknown[]) => unknown>;
export const EchoClient = grpc.makeGenericClientConstructor(ECHO, 'Echo') as unknown as new (address: string, credentials: grpc.ChannelCredentials, options?: object) => EchoClient;

/** An echo server on loopback; `label` is appended to Say's answers, so a caller can tell replicas apart. */
export async function startEchoServer(options: { label?: string; port?: number } = {}): Promise<{ server: grpc.Server; port: number; cancelled: string[] }> {
  const cancelled: string[] = [];
  const server = new grpc.Server();
  server.addService(ECHO, {
    say: (call: grpc.ServerUnaryCall<Msg, Msg>, done: grpc.sendUnaryData<Msg>) => {
      const trailer = new grpc.Metadata();
      trailer.set('x-echo-trailer', 'bye');
      call.sendMetadata(new grpc.Metadata());
      const from = options.label ? ` from ${options.label}` : '';
      done(null, { text: `${call.request.text} (seen by ${String(call.metadata.get('x-caller')[0] ?? 'nobody')})${from}` }, trailer);
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
  const port = await new Promise<number>((resolve, reject) => server.bindAsync(`127.0.0.1:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))));
  return { server, port, cancelled };
}

/** One unary call: the reply or error, and the trailers (which come in either order with the callback). */
export const unary = (client: EchoClient, name: 'say' | 'fail' | 'slow', text: string, options: { metadata?: grpc.Metadata; deadline?: number } = {}) =>
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
