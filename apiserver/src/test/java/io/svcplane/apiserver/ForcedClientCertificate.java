package io.svcplane.apiserver;

import io.svcplane.security.pki.Pem;
import java.net.Socket;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/** A client key manager that presents its certificate whatever CAs the server asks for (as an attacker's client would). */
final class ForcedClientCertificate extends X509ExtendedKeyManager {
  private final X509ExtendedKeyManager base;

  private ForcedClientCertificate(X509ExtendedKeyManager base) {
    this.base = base;
  }

  static ForcedClientCertificate of(Path cert, Path key) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("k", Pem.readPrivateKey(key), new char[0], Pem.readCertificates(cert).toArray(Certificate[]::new));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
    kmf.init(ks, new char[0]);
    return new ForcedClientCertificate((X509ExtendedKeyManager) kmf.getKeyManagers()[0]);
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return new String[] {"k"};
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return "k";
  }

  @Override
  public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
    return "k";
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return null;
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    return base.getCertificateChain(alias);
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    return base.getPrivateKey(alias);
  }
}
