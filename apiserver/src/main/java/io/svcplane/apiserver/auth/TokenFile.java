package io.svcplane.apiserver.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Kubernetes' static token file ({@code --token-auth-file}): one user per line,
 * {@code token,user,uid,"group1,group2"} (groups optional; lines starting with # and empty lines
 * are skipped). Kept as SHA-256 digests of the tokens, so the tokens themselves stay in the file
 * only; a lookup compares digests. Error messages name the line, never a token.
 */
public final class TokenFile {
  private final Map<String, UserInfo> byDigest;

  private TokenFile(Map<String, UserInfo> byDigest) {
    this.byDigest = byDigest;
  }

  public static TokenFile load(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    Map<String, UserInfo> users = new HashMap<>();
    Map<String, Integer> lineOf = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) continue;
      String where = file + " line " + (i + 1);
      List<String> fields = csv(line, where);
      if (fields.size() < 3) {
        throw new IOException(where + ": expected token,user,uid[,\"group1,group2\"]: found " + fields.size() + " fields");
      }
      String token = fields.get(0);
      if (token.isEmpty()) throw new IOException(where + ": the token is empty");
      if (token.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
        throw new IOException(where + ": the token holds spaces or characters that are not printable ASCII");
      }
      if (fields.get(1).isEmpty()) throw new IOException(where + ": the user name is empty");
      List<String> groups = new ArrayList<>();
      for (int f = 3; f < fields.size(); f++) {
        for (String g : fields.get(f).split(",")) if (!g.isBlank()) groups.add(g.strip());
      }
      String digest = digest(token);
      Integer earlier = lineOf.putIfAbsent(digest, i + 1);
      if (earlier != null) throw new IOException(where + ": the same token as line " + earlier);
      users.put(digest, new UserInfo(fields.get(1), fields.get(2), groups));
    }
    return new TokenFile(users);
  }

  /** The user of this token, or null. */
  public UserInfo user(String token) {
    return byDigest.get(digest(token));
  }

  public int size() {
    return byDigest.size();
  }

  static String digest(String token) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** One CSV record: fields separated by commas, a field may be quoted ("" inside is a quote). */
  private static List<String> csv(String line, String where) throws IOException {
    List<String> out = new ArrayList<>();
    StringBuilder f = new StringBuilder();
    boolean quoted = false;
    boolean wasQuoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          f.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          f.append(c);
        }
      } else if (c == '"' && f.toString().isBlank()) {
        quoted = true;
        wasQuoted = true;
        f.setLength(0);
      } else if (c == ',') {
        out.add(wasQuoted ? f.toString() : f.toString().strip());
        f.setLength(0);
        wasQuoted = false;
      } else {
        f.append(c);
      }
    }
    if (quoted) throw new IOException(where + ": a quoted field is not closed");
    out.add(wasQuoted ? f.toString() : f.toString().strip());
    return out;
  }
}
