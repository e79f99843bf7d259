// Why the codec refused a message, with the status Envoy's HTTP/1 codec answers for it
// (source/common/http/http1/codec_impl.cc: protocol errors are 400 and close the connection;
// oversized heads 431; a transfer coding other than chunked 501) and a detail string in the shape
// of Envoy's response code details (`http1.codec_error`, `http1.headers_too_large`, …).

export type CodecErrorDetail =
  | 'http1.codec_error'
  | 'http1.invalid_method'
  | 'http1.invalid_url'
  | 'http1.invalid_version'
  | 'http1.invalid_characters'
  | 'http1.obs_fold'
  | 'http1.bare_line_break'
  | 'http1.headers_too_large'
  | 'http1.too_many_headers'
  | 'http1.content_length_not_allowed'
  | 'http1.invalid_content_length'
  | 'http1.invalid_transfer_encoding'
  | 'http1.transfer_encoding_not_allowed'
  | 'http1.missing_host_header'
  | 'http1.multiple_host_headers'
  | 'http1.invalid_host'
  | 'http1.invalid_chunk'
  | 'http1.invalid_chunk_extension'
  | 'http1.invalid_status'
  | 'http1.invalid_reason'
  | 'http1.body_not_allowed';

export class CodecError extends Error {
  constructor(
    /** The status a server answers with; on a client side (a response) every error is the upstream's fault. */
    readonly status: 400 | 413 | 431 | 501,
    readonly detail: CodecErrorDetail,
    message: string,
  ) {
    super(message);
    this.name = 'CodecError';
  }
}

export const codecError = (status: CodecError['status'], detail: CodecErrorDetail, message: string): never => {
  throw new CodecError(status, detail, message);
};
