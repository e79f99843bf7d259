// Counts gRPC messages in a body as it streams: each message is a 5-byte prefix (a compressed
// flag and a 4-byte length) and that many bytes (PROTOCOL-HTTP2.md, Length-Prefixed-Message).
// A message counts once its prefix has arrived, as Envoy's gRPC frame inspector counts them for
// Istio's istio_request_messages_total and istio_response_messages_total.
export class GrpcMessageCounter {
  messages = 0;
  /** Bytes of the current message's prefix still to come (5 when between messages). */
  #prefixLeft = 5;
  #length = 0;
  /** Payload bytes of the current message still to come. */
  #payloadLeft = 0;

  feed(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.#payloadLeft > 0) {
        const take = Math.min(this.#payloadLeft, chunk.length - i);
        this.#payloadLeft -= take;
        i += take;
        continue;
      }
      // Bytes 1..4 of the prefix are the length, big-endian.
      const at = 5 - this.#prefixLeft;
      if (at >= 1) this.#length = this.#length * 256 + (chunk[i] as number);
      i++;
      if (--this.#prefixLeft === 0) {
        this.messages++;
        this.#payloadLeft = this.#length;
        this.#length = 0;
        this.#prefixLeft = 5;
      }
    }
  }
}
