package io.svcplane.svcctl;

import java.util.Map;

/** Where the apiserver is: {@code --server}, else {@code SVCPLANE_SERVER}, else 127.0.0.1:6443. */
record ServerAddress(String host, int port) {
  static final String DEFAULT = "127.0.0.1:6443";
  static final String ENV = "SVCPLANE_SERVER";

  static ServerAddress resolve(String flag, Map<String, String> env) {
    String s = flag;
    String from = "--server";
    if (s == null || s.isBlank()) {
      s = env.get(ENV);
      from = ENV;
    }
    if (s == null || s.isBlank()) {
      s = DEFAULT;
      from = "default";
    }
    return parse(s.trim(), from);
  }

  /** HOST:PORT, [IPv6]:PORT, or a URL such as http://host:port (kubectl's --server is a URL). */
  static ServerAddress parse(String s, String from) {
    String rest = s;
    int scheme = rest.indexOf("://");
    if (scheme >= 0) rest = rest.substring(scheme + 3);
    int slash = rest.indexOf('/');
    if (slash >= 0) rest = rest.substring(0, slash);
    String host;
    String port = null;
    if (rest.startsWith("[")) {
      int end = rest.indexOf(']');
      if (end < 0) throw bad(s, from);
      host = rest.substring(1, end);
      if (rest.length() > end + 1) {
        if (rest.charAt(end + 1) != ':') throw bad(s, from);
        port = rest.substring(end + 2);
      }
    } else {
      int colon = rest.lastIndexOf(':');
      host = colon < 0 ? rest : rest.substring(0, colon);
      port = colon < 0 ? null : rest.substring(colon + 1);
    }
    if (host.isEmpty()) throw bad(s, from);
    int p = 6443;
    if (port != null) {
      try {
        p = Integer.parseInt(port);
      } catch (NumberFormatException e) {
        throw bad(s, from);
      }
      if (p < 1 || p > 65535) throw bad(s, from);
    }
    return new ServerAddress(host, p);
  }

  private static CliException bad(String s, String from) {
    String where = from.equals(ENV) ? "in " + ENV : "for " + from;
    return new CliException("error: invalid server address \"" + s + "\" " + where + ": expected HOST:PORT, e.g. 127.0.0.1:6443");
  }

  @Override
  public String toString() {
    return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
  }
}
