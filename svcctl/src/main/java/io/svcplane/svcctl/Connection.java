package io.svcplane.svcctl;

import io.svcplane.security.ClientConfig;
import io.svcplane.security.ClientTls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * How svcctl reaches the apiserver, from flags, else the environment, else the configuration
 * file (a small kubeconfig: {@code --config}, else {@code $SVCPLANE_CONFIG}, else
 * {@code ~/.svcplane/config} if it exists; bin/svcctl points {@code SVCPLANE_CONFIG} at the local
 * cluster's {@code .svcplane/config}).
 *
 * <p>TLS unless the server is given as {@code http://HOST:PORT}: always with {@code https://}, a
 * CA, a client certificate or a token; a bare {@code HOST:PORT} with no credentials at all speaks
 * plaintext (an apiserver started with --insecure). A token is never sent over plaintext.
 */
record Connection(ServerAddress server, ClientTls tls, Path configFile) {
  static final String CONFIG_ENV = "SVCPLANE_CONFIG";
  static final String TOKEN_ENV = "SVCPLANE_TOKEN";

  /** What the flags said (null when not given). */
  record Flags(String server, Path config, String token, Path caFile, Path certFile, Path keyFile) {}

  static Connection resolve(Flags f, Map<String, String> env) {
    Path configFile = f.config();
    boolean explicit = configFile != null;
    if (configFile == null && env.get(CONFIG_ENV) != null && !env.get(CONFIG_ENV).isBlank()) {
      configFile = Path.of(env.get(CONFIG_ENV));
      explicit = true;
    }
    if (configFile == null && env.get("HOME") != null) {
      Path home = Path.of(env.get("HOME"), ".svcplane", "config");
      if (Files.isRegularFile(home)) configFile = home;
    }
    ClientConfig config = null;
    if (configFile != null) {
      if (explicit && !Files.exists(configFile)) {
        throw new CliException("error: the configuration file " + configFile + " does not exist ("
            + (f.config() != null ? "--config" : "$" + CONFIG_ENV) + ")");
      }
      try {
        config = ClientConfig.load(configFile);
      } catch (IOException e) {
        throw new CliException("error: " + e.getMessage());
      }
    }

    String text = f.server();
    String from = "--server";
    if (blank(text)) {
      text = env.get(ServerAddress.ENV);
      from = ServerAddress.ENV;
    }
    if (blank(text) && config != null && !blank(config.server())) {
      text = config.server();
      from = "the configuration " + configFile;
    }
    if (blank(text)) {
      text = ServerAddress.DEFAULT;
      from = "default";
    }
    text = text.trim();
    ServerAddress address = ServerAddress.parse(text, from);
    String scheme = text.contains("://") ? text.substring(0, text.indexOf("://")).toLowerCase(java.util.Locale.ROOT) : "";
    if (!scheme.isEmpty() && !scheme.equals("http") && !scheme.equals("https")) {
      throw new CliException("error: invalid server address \"" + text + "\" " + (from.equals(ServerAddress.ENV) ? "in " : "for ")
          + from + ": the scheme must be https:// (TLS) or http:// (plaintext, an --insecure apiserver)");
    }

    Path ca = f.caFile() != null ? f.caFile() : config == null ? null : config.caFile();
    Path cert = f.certFile() != null ? f.certFile() : config == null || f.keyFile() != null ? null : config.certFile();
    Path key = f.keyFile() != null ? f.keyFile() : config == null || f.certFile() != null ? null : config.keyFile();
    if ((cert == null) != (key == null)) {
      throw new CliException("error: a client certificate needs both --cert-file and --key-file");
    }
    String token = !blank(f.token()) ? f.token() : !blank(env.get(TOKEN_ENV)) ? env.get(TOKEN_ENV) : config == null ? null : config.token();
    if (blank(token)) token = null;

    boolean tls = scheme.equals("https") || !scheme.equals("http") && (ca != null || cert != null || token != null);
    if (!tls) return new Connection(address, ClientTls.plaintext(), configFile);
    try {
      return new Connection(address, new ClientTls(true, ca, cert, key, token), configFile);
    } catch (IllegalArgumentException e) {
      throw new CliException("error: " + e.getMessage());
    }
  }

  /** True when svcctl sends a token or a client certificate. */
  boolean hasCredentials() {
    return tls.token() != null || tls.certFile() != null;
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
