import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJoinFlags, type JoinFlags } from './run-flags.js';

const parse = (argv: string[]) => parseJoinFlags(argv) as JoinFlags;

test('skiff run: the command is what follows --, and the app port defaults to the service port', () => {
  const f = parse(['--name', 'orders-v2', '--service', 'orders', '--version', 'v2', '--port', '7000', '--sa', 'orders-sa', '--', 'node', 'server.js', '--port', '1']);
  assert.deepEqual(f.command, ['node', 'server.js', '--port', '1'], "the command's own flags are its own");
  assert.equal(f.appPort, 7000);
  assert.equal(f.version, 'v2');
  assert.equal(f.serviceAccount, 'orders-sa');
  assert.equal(f.probe, 'tcp');
  assert.deepEqual(parse(['--name', 'a', '--service', 'a', '--port', '7000', '--app-port', '7001']).command, [], 'no command: front a port that listens');
  assert.equal(parse(['--name', 'a', '--service', 'a', '--port', '7000', '--app-port', '7001']).appPort, 7001);
  assert.equal(parseJoinFlags(['--help']), 'help');
});

test('skiff run: names become file names, proxy ids and labels, so each is checked and named in its error', () => {
  const base = ['--name', 'a', '--service', 'a', '--port', '7000'];
  const cases: Array<[string[], RegExp]> = [
    [['--service', 'a', '--port', '1'], /--name is required/],
    [['--name', '../x', '--service', 'a', '--port', '1'], /--name "\.\.\/x" must be a DNS label/],
    [['--name', 'a', '--service', 'Orders', '--port', '1'], /--service "Orders" must be a DNS label/],
    [['--name', 'a', '--service', 'a'], /--port is required/],
    [['--name', 'a', '--service', 'a', '--port', '70000'], /--port must be a port number 1-65535, got "70000"/],
    [['--name', 'a', '--service', 'a', '--port', '7e3'], /--port must be a port number/],
    [[...base, '--label', 'app=b'], /--label app=… is set by --service/],
    [[...base, '--label', 'bad key=1'], /--label must be key=value/],
    [[...base, '--env', '1X=2'], /--env must be key=value with a valid variable name/],
    [[...base, '--probe', 'grpc'], /--probe must be http:\/<path>, tcp or none/],
    [[...base, '--namespace', 'a/b'], /--namespace "a\/b" must be a DNS label/],
    [[...base, '--ready-timeout', '0'], /--ready-timeout must be seconds/],
    [[...base, 'node', 'x.js'], /unexpected "node": put your command after --/],
    [[...base, '--'], /nothing after --/],
  ];
  for (const [argv, message] of cases) assert.throws(() => parseJoinFlags(argv), message, argv.join(' '));
  assert.throws(() => parseJoinFlags([...base, '--nmae', 'x']), /Unknown option '--nmae'/);
});

test('skiff run: labels, environment and a probe pass through', () => {
  const f = parse(['--name', 'a', '--service', 'a', '--port', '7000', '--label', 'team=payments', '--env', 'DB_URL=postgres://x?a=b', '--probe', 'http:/healthz', '--port-name', 'grpc-orders']);
  assert.deepEqual(f.labels, { team: 'payments' });
  assert.deepEqual(f.env, { DB_URL: 'postgres://x?a=b' });
  assert.equal(f.probe, 'http:/healthz');
  assert.equal(f.portName, 'grpc-orders');
});
