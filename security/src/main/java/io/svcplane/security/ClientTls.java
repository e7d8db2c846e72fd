package io.svcplane.security;

import io.grpc.ChannelCredentials;
import io.grpc.CompositeChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How a component or a user reaches the apiserver: plaintext (only for an apiserver started with
 * {@code --insecure}), or TLS checking the server's certificate against {@code caFile} (the
 * system's trusted CAs when null), presenting a client certificate when {@code certFile} and
 * {@code keyFile} are given, and sending a bearer token when {@code token} is given (over TLS
 * only). {@link #toString()} never shows the token.
 */
public record ClientTls(boolean tls, Path caFile, Path certFile, Path keyFile, String token) {
  public ClientTls {
    if ((certFile == null) != (keyFile == null)) {
      throw new IllegalArgumentException("a client certificate needs both the certificate and the key file");
    }
    if (!tls && (caFile != null || certFile != null)) {
      throw new IllegalArgumentException("a CA or client certificate is given, but the connection is plaintext");
    }
  }

  /** Plaintext, no credentials. */
  public static ClientTls plaintext() {
    return new ClientTls(false, null, null, null, null);
  }

  /** TLS with these files (any may be null) and no token. */
  public static ClientTls of(Path caFile, Path certFile, Path keyFile) {
    return new ClientTls(true, caFile, certFile, keyFile, null);
  }

  public ClientTls withToken(String bearerToken) {
    return new ClientTls(tls, caFile, certFile, keyFile, bearerToken);
  }

  /** Channel credentials: TLS (with the client certificate) plus the token; or insecure. */
  public ChannelCredentials credentials() throws IOException {
    if (!tls) return InsecureChannelCredentials.create();
    TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
    if (caFile != null) b.trustManager(readable(caFile, "CA certificate").toFile());
    if (certFile != null) b.keyManager(readable(certFile, "client certificate").toFile(), readable(keyFile, "client key").toFile());
    ChannelCredentials c = b.build();
    return token == null ? c : CompositeChannelCredentials.create(c, new BearerToken(token));
  }

  /** What the connection is, for messages: "TLS (CA ca.crt, client certificate node-1.crt)", never the token. */
  public String describe() {
    if (!tls) return "plaintext";
    StringBuilder s = new StringBuilder("TLS (CA ").append(caFile == null ? "the system's trusted CAs" : caFile);
    if (certFile != null) s.append(", client certificate ").append(certFile);
    if (token != null) s.append(", bearer token");
    return s.append(')').toString();
  }

  @Override
  public String toString() {
    return "ClientTls[" + describe() + "]";
  }

  static Path readable(Path p, String what) throws IOException {
    if (!Files.isReadable(p)) throw new IOException("cannot read the " + what + " file " + p);
    return p;
  }
}
