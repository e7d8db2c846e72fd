package io.svcplane.security.pki;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

/**
 * PEM text of certificates and keys, by BouncyCastle. Keys are written as unencrypted PKCS#8
 * ({@code BEGIN PRIVATE KEY}), the form gRPC (Java, Netty and Python) reads.
 */
public final class Pem {
  private Pem() {}

  public static String certificate(X509Certificate cert) {
    return write(cert);
  }

  public static String privateKey(PrivateKey key) {
    try {
      return write(new JcaPKCS8Generator(key, null).generate());
    } catch (org.bouncycastle.util.io.pem.PemGenerationException e) {
      throw new IllegalStateException("cannot encode the private key", e);
    }
  }

  private static String write(Object o) {
    StringWriter s = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(s)) {
      w.writeObject(o);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return s.toString();
  }

  /** Every certificate in a PEM file, in order. */
  public static List<X509Certificate> readCertificates(Path file) throws IOException {
    List<X509Certificate> out = new ArrayList<>();
    try (Reader r = Files.newBufferedReader(file); PEMParser p = new PEMParser(r)) {
      for (Object o = p.readObject(); o != null; o = p.readObject()) {
        if (o instanceof X509CertificateHolder h) out.add(new JcaX509CertificateConverter().getCertificate(h));
      }
    } catch (CertificateException e) {
      throw new IOException(file + ": not a valid certificate: " + e.getMessage(), e);
    }
    if (out.isEmpty()) throw new IOException(file + ": no PEM certificate (BEGIN CERTIFICATE) in it");
    return out;
  }

  /** The private key of a PEM file (PKCS#8, or a traditional EC/RSA key pair). Errors never quote the file. */
  public static PrivateKey readPrivateKey(Path file) throws IOException {
    try (Reader r = Files.newBufferedReader(file); PEMParser p = new PEMParser(r)) {
      for (Object o = p.readObject(); o != null; o = p.readObject()) {
        JcaPEMKeyConverter c = new JcaPEMKeyConverter();
        if (o instanceof PrivateKeyInfo info) return c.getPrivateKey(info);
        if (o instanceof PEMKeyPair pair) return c.getPrivateKey(pair.getPrivateKeyInfo());
      }
    } catch (IOException | RuntimeException e) {
      throw new IOException(file + ": cannot read a private key from it (" + e.getClass().getSimpleName() + ")");
    }
    throw new IOException(file + ": no unencrypted PEM private key (BEGIN PRIVATE KEY) in it");
  }
}
