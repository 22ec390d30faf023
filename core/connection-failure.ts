// Used inside dynamic providers, which Pulumi serializes: functions and constants only.

/** Why a request got no HTTP answer at all, in words, and whether another try may help. */
export interface ConnectionFailure {
  /** A clause: "the connection was refused (ECONNREFUSED)". */
  reason: string;
  /** False for a TLS failure: the same certificate is presented on every try. */
  retryable: boolean;
}

/**
 * The reason a connection failed, from Node's error codes (its own, undici's under `fetch`'s
 * "fetch failed" `cause`, or @azure/core-rest-pipeline's `RestError.code`); undefined when the
 * error is not one of a connection (an HTTP answer, a bug).
 */
export function connectionFailure(error: unknown): ConnectionFailure | undefined {
  let current: unknown = error;
  let unnamed: ConnectionFailure | undefined;
  for (let depth = 0; depth < 5 && current !== null && typeof current === "object"; depth++) {
    const { code, name, cause, syscall } = current as { code?: unknown; name?: unknown; cause?: unknown; syscall?: unknown };
    const found = typeof code === "string" ? byCode(code) : undefined;
    if (found) return found;
    if (name === "TimeoutError" || name === "AbortError") return { reason: "no answer in time (the request timed out)", retryable: true };
    // A system call's failure with a code we have no words for (libuv's UNKNOWN, say): its own words, not "fetch failed".
    if (typeof syscall === "string" && typeof code === "string") unnamed ??= { reason: `the ${syscall} call failed (${code})`, retryable: true };
    current = cause;
  }
  return unnamed;
}

function byCode(code: string): ConnectionFailure | undefined {
  const retryable = (reason: string) => ({ reason: `${reason} (${code})`, retryable: true });
  switch (code) {
    case "ECONNREFUSED":
      return retryable("the connection was refused: nothing listens at that address and port");
    case "ENOTFOUND":
      return retryable("the name does not resolve in DNS");
    case "EAI_AGAIN":
      return retryable("the name could not be resolved: the DNS lookup failed for now");
    case "ETIMEDOUT":
    case "UND_ERR_CONNECT_TIMEOUT":
      return retryable("the connection timed out: the host did not answer");
    case "ECONNRESET":
    case "EPIPE":
    case "UND_ERR_SOCKET":
      return retryable("the connection was reset");
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "ENETDOWN":
    case "EADDRNOTAVAIL":
      return retryable("there is no route to the host");
  }
  if (TLS_CODES.has(code) || code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_") || code.startsWith("ERR_OSSL_")) {
    return { reason: `TLS failed: ${TLS_REASONS[code] ?? "the secure connection could not be set up"} (${code})`, retryable: false };
  }
  return undefined;
}

/** OpenSSL's verification codes as Node reports them (node:tls, `X509_V_ERR_*` without the prefix). */
const TLS_REASONS: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server's certificate is not signed by a trusted authority",
  UNABLE_TO_GET_ISSUER_CERT: "the server's certificate is not signed by a trusted authority",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the server's certificate is not signed by a trusted authority",
  SELF_SIGNED_CERT_IN_CHAIN: "the server's certificate chain ends in an untrusted self-signed certificate",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's certificate is self-signed",
  CERT_UNTRUSTED: "the server's certificate is not trusted",
  CERT_HAS_EXPIRED: "the server's certificate has expired",
  CERT_NOT_YET_VALID: "the server's certificate is not valid yet",
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's certificate is for another name",
  EPROTO: "the server does not speak TLS as expected",
};
const TLS_CODES = new Set(Object.keys(TLS_REASONS));
