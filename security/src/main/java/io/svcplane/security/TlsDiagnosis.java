package io.svcplane.security;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Why a connection to the apiserver failed, when TLS is the reason: the failures of a TLS
 * handshake worded for people, and a probe that tells whether a port speaks TLS at all (a
 * plaintext client to a TLS port only sees the connection closed). Messages name the address and
 * files, never a key or token.
 */
public final class TlsDiagnosis {
  private TlsDiagnosis() {}

  public enum Problem {
    /** A plaintext client reached a TLS server. */
    SERVER_WANTS_TLS,
    /** A TLS client reached a plaintext server. */
    SERVER_NOT_TLS,
    /** The server's certificate is not signed by the CA the client trusts. */
    UNKNOWN_AUTHORITY,
    /** The server's certificate does not name the address the client used. */
    WRONG_NAME,
    /** The server's certificate has expired (or is not valid yet). */
    EXPIRED,
    /** The server refused the client's certificate, or wanted one. */
    CLIENT_CERTIFICATE_REFUSED
  }

  /** The TLS problem behind a failed call's cause chain, or null. */
  public static Problem classify(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      String name = t.getClass().getSimpleName();
      String m = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
      if (name.equals("NotSslRecordException") || m.contains("not an ssl/tls record")) return Problem.SERVER_NOT_TLS;
      if (t instanceof CertificateExpiredException || t instanceof CertificateNotYetValidException
          || m.contains("certificate_expired") || m.contains("certificate expired") || m.contains("notafter")) {
        return Problem.EXPIRED;
      }
      if (m.contains("no subject alternative") || m.contains("no name matching") || m.contains("hostname")
          && m.contains("match")) {
        return Problem.WRONG_NAME;
      }
      if (t instanceof CertPathValidatorException || m.contains("unable to find valid certification path")
          || m.contains("pkix path") || m.contains("signature check failed") || m.contains("certificate_verify_failed")) {
        return Problem.UNKNOWN_AUTHORITY;
      }
      if (m.contains("bad_certificate") || m.contains("bad certificate") || m.contains("certificate_unknown")
          || m.contains("unknown_ca") || m.contains("certificate_required") || m.contains("certificate required")
          || m.contains("decrypt_error") || m.contains("unsupported_certificate") || m.contains("handshake_failure")) {
        return Problem.CLIENT_CERTIFICATE_REFUSED;
      }
    }
    return null;
  }

  /** One sentence about {@code problem} for a connection to {@code address} made with {@code tls} (null: not known). */
  public static String explain(Problem problem, String address, ClientTls tls) {
    String ca = tls == null ? "the CA this client trusts" : tls.caFile() == null ? "the system's trusted CAs" : "the CA in " + tls.caFile();
    return switch (problem) {
      case SERVER_WANTS_TLS -> "the server at " + address + " wants TLS, and this client spoke plaintext";
      case SERVER_NOT_TLS -> "the server at " + address + " does not speak TLS (an apiserver started with --insecure?)";
      case UNKNOWN_AUTHORITY -> "the certificate of the server at " + address + " is not signed by " + ca
          + " (x509: certificate signed by unknown authority)";
      case WRONG_NAME -> "the certificate of the server at " + address + " is not valid for the address "
          + host(address) + " (x509: certificate is valid for other names)";
      case EXPIRED -> "the certificate of the server at " + address + " has expired or is not valid yet";
      case CLIENT_CERTIFICATE_REFUSED -> tls == null || tls.certFile() == null
          ? "the server at " + address + " refused the TLS handshake (does it want a client certificate?)"
          : "the server at " + address + " refused the client certificate " + tls.certFile()
              + " (is it signed by the cluster's CA, and not expired?)";
    };
  }

  /**
   * True when {@code host:port} answers a TLS ClientHello with a certificate. Sends nothing but
   * the ClientHello, and trusts nothing it receives: the handshake is aborted at once.
   */
  public static boolean speaksTls(String host, int port, Duration timeout) {
    AtomicBoolean sawCertificate = new AtomicBoolean();
    X509TrustManager recorder = new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {
        throw new UnsupportedOperationException();
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
        sawCertificate.set(true);
        throw new java.security.cert.CertificateException("probe only");
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {recorder}, null);
      try (Socket raw = new Socket()) {
        raw.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
        raw.setSoTimeout((int) timeout.toMillis());
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, host, port, false)) {
          s.startHandshake();
        }
      }
    } catch (SSLException | java.net.SocketTimeoutException e) {
      return sawCertificate.get();
    } catch (IOException | java.security.GeneralSecurityException e) {
      return sawCertificate.get();
    }
    return true;
  }

  private static String host(String address) {
    int colon = address.lastIndexOf(':');
    String h = colon > 0 ? address.substring(0, colon) : address;
    return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
  }
}
