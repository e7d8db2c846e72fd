package io.svcplane.security;

import io.svcplane.security.pki.Pem;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.Certificate;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Checks a TLS peer's client certificate against the client CA, as Kubernetes' x509
 * authenticator does after a handshake that only asked for a certificate: the chain leads to the
 * CA, every certificate is valid now, and the leaf may be used for client authentication. A TLS
 * engine asked for optional client certificates may let an unverifiable one through the
 * handshake; nothing that fails here is taken as an identity.
 */
public final class ClientCertificateVerifier {
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

  private final Set<TrustAnchor> anchors = new HashSet<>();

  public ClientCertificateVerifier(Path clientCaFile) throws IOException {
    for (X509Certificate c : Pem.readCertificates(clientCaFile)) anchors.add(new TrustAnchor(c, null));
  }

  /** The verified client certificate of this session, or null when the client presented none. */
  public X509Certificate verify(SSLSession session) throws CertificateException {
    Certificate[] peer;
    try {
      peer = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException none) {
      return null;
    }
    if (peer == null || peer.length == 0) return null;
    List<X509Certificate> chain = Arrays.stream(peer).map(c -> (X509Certificate) c).toList();
    try {
      CertPath path = CertificateFactory.getInstance("X.509").generateCertPath(chain);
      PKIXParameters params = new PKIXParameters(anchors);
      params.setRevocationEnabled(false);
      CertPathValidator.getInstance("PKIX").validate(path, params);
    } catch (CertPathValidatorException e) {
      throw new CertificateException("x509: certificate signed by unknown authority or not valid now ("
          + (e.getReason() == null ? e.getMessage() : e.getReason()) + ")");
    } catch (GeneralSecurityException e) {
      throw new CertificateException("x509: cannot check the certificate: " + e.getMessage());
    }
    X509Certificate leaf = chain.get(0);
    List<String> eku = leaf.getExtendedKeyUsage();
    if (eku != null && !eku.contains(CLIENT_AUTH)) {
      throw new CertificateException("x509: certificate specifies an incompatible key usage (not for client authentication)");
    }
    return leaf;
  }
}
