package io.svcplane.security.pki;

import io.svcplane.security.OwnerOnlyFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code svcplane-pki}: a cluster's CA, certificates and tokens (see {@link ClusterPki} for the
 * files). {@code init} is what {@code bin/svcplane up} and docker-compose's one-shot job run;
 * {@code issue} and {@code token} add users. Prints the files it made, never a key; {@code token}
 * prints the new token, which is its purpose.
 */
@Command(name = "svcplane-pki", mixinStandardHelpOptions = true,
    description = "Makes a cluster's CA, certificates and tokens (BouncyCastle; ECDSA P-256 keys, files mode 0600).",
    subcommands = {PkiMain.Init.class, PkiMain.Issue.class, PkiMain.Token.class})
public final class PkiMain implements Callable<Integer> {
  @Override
  public Integer call() {
    CommandLine.usage(this, System.out);
    return 0;
  }

  public static void main(String[] args) {
    CommandLine cl = new CommandLine(new PkiMain());
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("svcplane-pki: " + (e instanceof IOException || e instanceof IllegalArgumentException ? e.getMessage() : e));
      return 1;
    });
    System.exit(cl.execute(args));
  }

  @Command(name = "init", mixinStandardHelpOptions = true,
      description = "Makes what is missing in DIR: the CA, the apiserver's serving certificate, one client certificate per"
          + " node, the admin's token, the default policy and svcctl's configuration. Keeps what exists; issues"
          + " certificates again when they expire within 30 days or no longer match the names asked for.")
  static final class Init implements Callable<Integer> {
    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "The cluster's state directory (e.g. .svcplane).")
    Path dir;

    @Option(names = "--apiserver-name", required = true, paramLabel = "NAME|IP",
        description = "A DNS name or IP address clients use for the apiserver (repeat; e.g. 127.0.0.1, localhost).")
    List<String> apiserverNames = new ArrayList<>();

    @Option(names = "--node", paramLabel = "NAME", description = "A node whose proxy gets a client certificate (repeat).")
    List<String> nodes = new ArrayList<>();

    @Option(names = "--server", paramLabel = "URL",
        description = "The apiserver's address for svcctl's configuration DIR/config (e.g. https://127.0.0.1:6443).")
    String server;

    @Override
    public Integer call() throws IOException {
      ClusterPki pki = new ClusterPki(dir, System.out);
      CertificateAuthority ca = pki.ensureCa();
      pki.ensureServer(ca, "apiserver", apiserverNames);
      for (String n : nodes) pki.ensureNode(ca, n);
      String token = pki.ensureAdminToken();
      pki.ensurePolicy();
      if (server != null) pki.ensureConfig(server, token);
      return 0;
    }
  }

  @Command(name = "issue", mixinStandardHelpOptions = true,
      description = "Issues a client certificate signed by the cluster's CA: CN = the user, one O per group"
          + " (written to PKI-DIR/NAME.crt and NAME.key).")
  static final class Issue implements Callable<Integer> {
    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "The cluster's state directory (its pki/ holds the CA).")
    Path dir;

    @Option(names = "--name", required = true, paramLabel = "NAME", description = "File name: pki/NAME.crt, pki/NAME.key.")
    String name;

    @Option(names = "--user", required = true, paramLabel = "USER", description = "The user name (CN).")
    String user;

    @Option(names = "--group", paramLabel = "GROUP", description = "A group (O); repeat for several.")
    List<String> groups = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
      if (!name.matches("[A-Za-z0-9._-]+") || name.startsWith(".")) {
        throw new IllegalArgumentException("--name: Invalid value: \"" + name + "\": letters, digits, '.', '_' and '-' only");
      }
      ClusterPki pki = new ClusterPki(dir, System.out);
      if (!Files.exists(pki.caCert())) throw new IOException("no CA in " + pki.pkiDir() + ": run init first");
      pki.ensureClient(pki.ensureCa(), name, user, groups);
      return 0;
    }
  }

  @Command(name = "token", mixinStandardHelpOptions = true,
      description = "Adds a user with a new random token to a static token file and prints the token (once; the file"
          + " keeps it). Restart the apiserver to use it.")
  static final class Token implements Callable<Integer> {
    @Option(names = "--tokens-file", required = true, paramLabel = "FILE", description = "The apiserver's --token-auth-file.")
    Path file;

    @Option(names = "--user", required = true, paramLabel = "USER")
    String user;

    @Option(names = "--uid", paramLabel = "UID", description = "The user's uid (default: the user name).")
    String uid;

    @Option(names = "--group", paramLabel = "GROUP", description = "A group; repeat for several.")
    List<String> groups = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
      for (String f : concat(user, uid, groups)) {
        if (f.contains(",") || f.contains("\"") || f.contains("\n")) {
          throw new IllegalArgumentException("user, uid and groups may not contain ',', '\"' or a line break: \"" + f + "\"");
        }
      }
      String token = OwnerOnlyFiles.newToken();
      String existing = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
      if (!existing.isEmpty() && !existing.endsWith("\n")) existing += "\n";
      String line = token + "," + user + "," + (uid == null ? user : uid) + (groups.isEmpty() ? "" : ",\"" + String.join(",", groups) + "\"");
      OwnerOnlyFiles.write(file, existing + line + "\n");
      System.out.println(token);
      return 0;
    }

    private static List<String> concat(String user, String uid, List<String> groups) {
      List<String> all = new ArrayList<>(groups);
      all.add(user);
      if (uid != null) all.add(uid);
      return all;
    }
  }
}
