// Loaded into every test file's process (tools/node-test-args.mjs). In such a process, stdout is
// the channel Node's test runner reads test results from: V8-serialised frames, with any other
// text taken as the file's output. Node 20's runner (lib/internal/test_runner/runner.js,
// #processRawBuffer) reads the 4 bytes after a frame as the next frame's size with a signed
// shift, so text that follows a frame in the same read and has a byte >= 0x80 third ("✔ ..." is
// E2 9C 94) gives a negative size. The runner then deserialises that text, throws "Unable to
// deserialize cloned data due to invalid or unsupported version", and fails the whole file
// (nodejs/node#64706; frames mimicked by other bytes still crash newer Nodes, nodejs/node#66164).
// A mesh's "✔ control-plane ready" did so in CI. So text a test writes to stdout goes to stderr,
// which the runner reports as the file's output just the same; the frames, which the reporter
// writes as Buffers, keep stdout to themselves.
if (process.env.NODE_TEST_CONTEXT === 'child-v8') {
  const stdout = process.stdout;
  const writeFrame = stdout.write;
  stdout.write = function write(chunk, ...rest) {
    return typeof chunk === 'string' ? process.stderr.write(chunk, ...rest) : writeFrame.call(this, chunk, ...rest);
  };
}
