package io.svcplane.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * svcctl's configuration file: a small kubeconfig (the same YAML shape kubectl reads) naming the
 * apiserver, the CA that signed its certificate and the user's credentials, a bearer token or a
 * client certificate and key. Relative paths are relative to the file's directory, as in
 * kubectl. The context used is {@code current-context} (or the only one). What is read:
 *
 * <pre>
 * clusters[].cluster:   server, certificate-authority
 * users[].user:         token, tokenFile, client-certificate, client-key
 * contexts[].context:   cluster, user, namespace
 * </pre>
 *
 * {@link #toString()} never shows the token.
 */
public final class ClientConfig {
  private final Path file;
  private final String server;
  private final Path caFile;
  private final Path certFile;
  private final Path keyFile;
  private final String token;
  private final String namespace;

  private ClientConfig(Path file, String server, Path caFile, Path certFile, Path keyFile, String token, String namespace) {
    this.file = file;
    this.server = server;
    this.caFile = caFile;
    this.certFile = certFile;
    this.keyFile = keyFile;
    this.token = token;
    this.namespace = namespace;
  }

  /** Reads a configuration file; errors name the file and the field. */
  public static ClientConfig load(Path file) throws IOException {
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new IOException(file + ": not a valid YAML configuration: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) throw new IOException(file + ": empty, or not a kubeconfig-style mapping");
    Path base = file.toAbsolutePath().getParent();

    String contextName = text(root, "current-context");
    JsonNode contexts = root.path("contexts");
    JsonNode context = null;
    if (contextName != null && !contextName.isEmpty()) {
      context = named(contexts, contextName, "context");
      if (context == null) throw new IOException(file + ": current-context: context \"" + contextName + "\" is not in contexts");
    } else if (contexts.isArray() && contexts.size() == 1) {
      context = contexts.get(0).path("context");
    }
    JsonNode cluster;
    JsonNode user;
    String namespace = null;
    if (context != null) {
      String c = text(context, "cluster");
      String u = text(context, "user");
      namespace = text(context, "namespace");
      cluster = c == null ? null : named(root.path("clusters"), c, "cluster");
      if (c != null && cluster == null) throw new IOException(file + ": context names cluster \"" + c + "\", which is not in clusters");
      user = u == null ? null : named(root.path("users"), u, "user");
      if (u != null && user == null) throw new IOException(file + ": context names user \"" + u + "\", which is not in users");
    } else {
      cluster = only(root.path("clusters"), "cluster");
      user = only(root.path("users"), "user");
    }
    String server = cluster == null ? null : text(cluster, "server");
    Path ca = cluster == null ? null : path(base, text(cluster, "certificate-authority"));
    if (cluster != null && cluster.has("certificate-authority-data")) {
      throw new IOException(file + ": certificate-authority-data is not supported: put the CA in a file and name it in"
          + " certificate-authority");
    }
    String token = null;
    Path cert = null;
    Path key = null;
    if (user != null) {
      if (user.has("client-certificate-data") || user.has("client-key-data")) {
        throw new IOException(file + ": client-certificate-data and client-key-data are not supported: use"
            + " client-certificate and client-key with files");
      }
      token = text(user, "token");
      String tokenFile = text(user, "tokenFile");
      if (token == null && tokenFile != null) token = readToken(path(base, tokenFile));
      cert = path(base, text(user, "client-certificate"));
      key = path(base, text(user, "client-key"));
      if ((cert == null) != (key == null)) {
        throw new IOException(file + ": a client certificate needs both client-certificate and client-key");
      }
    }
    return new ClientConfig(file, server, ca, cert, key, token, namespace);
  }

  /** A bearer token from a file: its first line, trimmed. */
  public static String readToken(Path file) throws IOException {
    String t = Files.readString(file).strip();
    int nl = t.indexOf('\n');
    if (nl >= 0) t = t.substring(0, nl).strip();
    if (t.isEmpty()) throw new IOException(file + ": no token in it");
    return t;
  }

  /** The configuration bin/svcplane writes for the admin; {@code caPath} as written (relative to the file's directory). */
  public static String render(String server, String caPath, String token) {
    return "# svcctl's configuration for this cluster (kubeconfig-style), written by bin/svcplane up.\n"
        + "# It holds the admin's token: keep it to yourself (mode 0600). Paths are relative to this file.\n"
        + "apiVersion: v1\n"
        + "kind: Config\n"
        + "clusters:\n"
        + "- name: svcplane\n"
        + "  cluster:\n"
        + "    server: " + server + "\n"
        + "    certificate-authority: " + caPath + "\n"
        + "users:\n"
        + "- name: admin\n"
        + "  user:\n"
        + "    token: " + token + "\n"
        + "contexts:\n"
        + "- name: admin@svcplane\n"
        + "  context:\n"
        + "    cluster: svcplane\n"
        + "    user: admin\n"
        + "current-context: admin@svcplane\n";
  }

  public Path file() {
    return file;
  }

  /** The apiserver's address as written (a URL such as https://127.0.0.1:6443, or HOST:PORT), or null. */
  public String server() {
    return server;
  }

  public Path caFile() {
    return caFile;
  }

  public Path certFile() {
    return certFile;
  }

  public Path keyFile() {
    return keyFile;
  }

  /** The bearer token, or null. Never log it. */
  public String token() {
    return token;
  }

  /** The context's namespace, or null. */
  public String namespace() {
    return namespace;
  }

  @Override
  public String toString() {
    return "ClientConfig{" + file + ", server " + server + ", CA " + caFile + ", cert " + certFile
        + (token == null ? "" : ", token (hidden)") + "}";
  }

  private static JsonNode named(JsonNode list, String name, String field) {
    if (!list.isArray()) return null;
    for (JsonNode n : list) {
      if (name.equals(n.path("name").asText(null))) return n.path(field);
    }
    return null;
  }

  private static JsonNode only(JsonNode list, String field) {
    return list.isArray() && list.size() == 1 ? list.get(0).path(field) : null;
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static Path path(Path base, String p) {
    if (p == null || p.isEmpty()) return null;
    Path path = Path.of(p.startsWith("~/") ? System.getProperty("user.home") + p.substring(1) : p);
    return path.isAbsolute() ? path : base.resolve(path);
  }
}
