package io.svcplane.security.pki;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.regex.Pattern;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A cluster's certificate authority, made with BouncyCastle: an ECDSA P-256 key and a
 * self-signed CA certificate, which signs the apiserver's serving certificate (its names and
 * addresses as subject alternative names) and client certificates whose subject carries the
 * identity as Kubernetes reads it: CN = the user name, O = its groups (a node proxy is
 * {@code CN=system:node:NAME, O=system:nodes}).
 */
public final class CertificateAuthority {
  /** How long a CA certificate is valid (Kubernetes' kubeadm: 10 years). */
  public static final Duration CA_VALIDITY = Duration.ofDays(3650);
  /** How long a leaf certificate is valid (kubeadm: 1 year); {@code init} renews them. */
  public static final Duration LEAF_VALIDITY = Duration.ofDays(365);
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A certificate with its private key. */
  public record Issued(X509Certificate certificate, PrivateKey key) {}

  private final X509Certificate certificate;
  private final PrivateKey key;

  public CertificateAuthority(X509Certificate certificate, PrivateKey key) {
    this.certificate = certificate;
    this.key = key;
  }

  /** A new CA with a self-signed certificate of this common name. */
  public static CertificateAuthority create(String commonName) {
    KeyPair pair = newKeyPair();
    X500Name name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
    Instant now = Instant.now();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(), Date.from(now.minusSeconds(300)),
          Date.from(now.plus(CA_VALIDITY)), name, pair.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
      return new CertificateAuthority(sign(b, pair.getPrivate()), pair.getPrivate());
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot make the CA certificate", e);
    }
  }

  public X509Certificate certificate() {
    return certificate;
  }

  public PrivateKey key() {
    return key;
  }

  /**
   * A serving certificate for these DNS names and IPv4 addresses (the first one is also its
   * common name): what clients check the server's address against.
   */
  public Issued issueServer(List<String> namesAndAddresses) {
    if (namesAndAddresses.isEmpty()) throw new IllegalArgumentException("a serving certificate needs at least one name or address");
    List<GeneralName> sans = new ArrayList<>();
    for (String n : namesAndAddresses) {
      sans.add(IPV4.matcher(n).matches() || n.contains(":") ? new GeneralName(GeneralName.iPAddress, ip(n))
          : new GeneralName(GeneralName.dNSName, n));
    }
    X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, namesAndAddresses.get(0)).build();
    return issue(subject, KeyPurposeId.id_kp_serverAuth, new GeneralNames(sans.toArray(GeneralName[]::new)));
  }

  /** A client certificate: CN = {@code user}, one O per group (Kubernetes' x509 authentication). */
  public Issued issueClient(String user, List<String> groups) {
    if (user.isEmpty()) throw new IllegalArgumentException("a client certificate needs a user name (CN)");
    return issue(clientName(user, groups), KeyPurposeId.id_kp_clientAuth, null);
  }

  /** The subject of a client certificate for this identity. */
  public static X500Principal clientSubject(String user, List<String> groups) {
    try {
      return new X500Principal(clientName(user, groups).getEncoded());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static X500Name clientName(String user, List<String> groups) {
    X500NameBuilder nb = new X500NameBuilder(BCStyle.INSTANCE);
    for (String g : groups) nb.addRDN(BCStyle.O, g);
    nb.addRDN(BCStyle.CN, user);
    return nb.build();
  }

  private Issued issue(X500Name subject, KeyPurposeId purpose, GeneralNames sans) {
    KeyPair pair = newKeyPair();
    Instant now = Instant.now();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate, serial(), Date.from(now.minusSeconds(300)),
          Date.from(now.plus(LEAF_VALIDITY)), subject, pair.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
      b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
      if (sans != null) b.addExtension(Extension.subjectAlternativeName, false, sans);
      return new Issued(sign(b, key), pair.getPrivate());
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot issue a certificate for " + subject, e);
    }
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signer) throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private static KeyPair newKeyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no ECDSA P-256 key generator in this JVM", e);
    }
  }

  private static BigInteger serial() {
    return new BigInteger(127, RANDOM).add(BigInteger.ONE);
  }

  private static String ip(String literal) {
    try {
      // A literal address: no lookup happens.
      return InetAddress.getByName(literal).getHostAddress();
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException("not an IP address: " + literal);
    }
  }
}
