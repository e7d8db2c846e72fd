package io.svcplane.apiserver.auth;

import io.grpc.Metadata;
import io.svcplane.security.BearerToken;
import io.svcplane.security.ClientCertificateVerifier;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLSession;

/**
 * Who a request comes from, as Kubernetes' union of its x509 and static token authenticators: a
 * client certificate signed by the client CA (CN = user, O = groups), else a bearer token from
 * the token file. Neither: not authenticated, with why (for the server's log; the client is only
 * told "Unauthorized"). A failure never quotes the token.
 */
public final class Authenticator {
  /** A user, or null and why not. */
  public record Result(UserInfo user, String failure) {}

  private final ClientCertificateVerifier certificates;
  private final TokenFile tokens;

  /** Either may be null: that way of authenticating is off. */
  public Authenticator(ClientCertificateVerifier certificates, TokenFile tokens) {
    this.certificates = certificates;
    this.tokens = tokens;
  }

  public Result authenticate(Metadata headers, SSLSession session) {
    List<String> failures = new ArrayList<>();
    if (certificates != null && session != null) {
      try {
        X509Certificate cert = certificates.verify(session);
        if (cert != null) {
          UserInfo u = fromSubject(cert);
          if (u != null) return new Result(u, null);
          failures.add("x509: the client certificate has no common name (CN)");
        }
      } catch (CertificateException e) {
        failures.add(e.getMessage());
      }
    }
    String authorization = headers.get(BearerToken.AUTHORIZATION);
    if (authorization != null) {
      String token = bearer(authorization);
      if (token == null) {
        failures.add("the authorization header is not \"Bearer TOKEN\"");
      } else if (tokens == null) {
        failures.add("a bearer token was sent, but this apiserver has no token file");
      } else {
        UserInfo u = tokens.user(token);
        if (u != null) return new Result(u, null);
        failures.add("invalid bearer token");
      }
    }
    if (failures.isEmpty()) failures.add("no client certificate and no bearer token");
    return new Result(null, String.join("; ", failures));
  }

  private static String bearer(String header) {
    String h = header.strip();
    if (h.length() < 7 || !h.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) return null;
    String t = h.substring(7).strip();
    return t.isEmpty() ? null : t;
  }

  /** CN = user name, every O = a group; null without a CN. */
  static UserInfo fromSubject(X509Certificate cert) {
    String cn = null;
    List<String> groups = new ArrayList<>();
    try {
      for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
        String type = rdn.getType().toUpperCase(Locale.ROOT);
        String value = String.valueOf(rdn.getValue());
        if (type.equals("CN")) cn = value;
        else if (type.equals("O")) groups.add(value);
      }
    } catch (InvalidNameException e) {
      return null;
    }
    if (cn == null || cn.isEmpty()) return null;
    return new UserInfo(cn, "", groups);
  }
}
