package io.svcplane.security;

import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A gRPC server's TLS: its certificate and key, and the CA whose client certificates it accepts
 * (null: no client certificates). With a client CA, presenting a certificate is optional (users
 * may come with bearer tokens instead), but a certificate that CA did not sign fails the
 * handshake.
 */
public record ServerTls(Path certFile, Path keyFile, Path clientCaFile) {
  public ServerCredentials credentials() throws IOException {
    TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder()
        .keyManager(ClientTls.readable(certFile, "serving certificate").toFile(), ClientTls.readable(keyFile, "serving key").toFile());
    if (clientCaFile != null) {
      b.trustManager(ClientTls.readable(clientCaFile, "client CA").toFile())
          .clientAuth(TlsServerCredentials.ClientAuth.OPTIONAL);
    }
    return b.build();
  }

  @Override
  public String toString() {
    return "TLS (certificate " + certFile + (clientCaFile == null ? ", no client certificates" : ", client CA " + clientCaFile) + ")";
  }
}
