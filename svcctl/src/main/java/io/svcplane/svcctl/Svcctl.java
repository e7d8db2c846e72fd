package io.svcplane.svcctl;

import io.grpc.StatusRuntimeException;
import io.svcplane.api.v1.Kind;
import io.svcplane.core.Kinds;
import io.svcplane.svcctl.log.HistoryCommand;
import io.svcplane.svcctl.log.LogCommand;
import io.svcplane.svcctl.log.ReplayCommand;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * svcctl: kubectl's verbs, flags, messages and output shapes for svcplane's apiserver. Every
 * failure is a message on stderr and exit code 1, never a stack trace (set SVCCTL_DEBUG=1 to see
 * one).
 */
// scope INHERIT: every subcommand gets -h/--help (and -V) too, as in kubectl.
@Command(name = "svcctl", mixinStandardHelpOptions = true, version = "svcctl 0.1.0-SNAPSHOT", scope = ScopeType.INHERIT,
    description = "svcctl controls an svcplane cluster, the way kubectl controls Kubernetes.%n"
        + "Server: --server HOST:PORT, else $SVCPLANE_SERVER, else the configuration's, else 127.0.0.1:6443.%n"
        + "Configuration (kubeconfig-style: server, CA, token or client certificate): --config, else $SVCPLANE_CONFIG,"
        + " else ~/.svcplane/config (bin/svcctl: the local cluster's .svcplane/config).",
    subcommands = {GetCommand.class, DescribeCommand.class, CreateCommand.class, ApplyCommand.class,
        DeleteCommand.class, LabelCommand.class, HistoryCommand.class, ReplayCommand.class, LogCommand.class},
    usageHelpAutoWidth = true)
public final class Svcctl implements Callable<Integer> {

  @Option(names = "--server", scope = ScopeType.INHERIT, paramLabel = "HOST:PORT",
      description = "Address of the apiserver (default: $SVCPLANE_SERVER, else 127.0.0.1:6443).")
  String server;

  @Option(names = {"--config", "--kubeconfig"}, scope = ScopeType.INHERIT, paramLabel = "FILE",
      description = "Configuration file: server, CA, credentials (default: $SVCPLANE_CONFIG, else ~/.svcplane/config).")
  java.nio.file.Path config;

  @Option(names = "--token", scope = ScopeType.INHERIT, paramLabel = "TOKEN",
      description = "Bearer token for the apiserver (default: $SVCPLANE_TOKEN, else the configuration's). Sent over TLS only.")
  String token;

  @Option(names = {"--ca-file", "--certificate-authority"}, scope = ScopeType.INHERIT, paramLabel = "FILE",
      description = "CA certificate (PEM) that signed the apiserver's certificate.")
  java.nio.file.Path caFile;

  @Option(names = {"--cert-file", "--client-certificate"}, scope = ScopeType.INHERIT, paramLabel = "FILE",
      description = "Client certificate (PEM) to authenticate with: CN = user, O = groups.")
  java.nio.file.Path certFile;

  @Option(names = {"--key-file", "--client-key"}, scope = ScopeType.INHERIT, paramLabel = "FILE",
      description = "Private key (PEM) of the client certificate.")
  java.nio.file.Path keyFile;

  @Option(names = "--request-timeout", scope = ScopeType.INHERIT, paramLabel = "DURATION", defaultValue = "30s",
      description = "How long to wait for one server answer, e.g. 5s, 1m (default: ${DEFAULT-VALUE}).")
  String requestTimeout;

  @Option(names = {"-n", "--namespace"}, scope = ScopeType.INHERIT, paramLabel = "NAMESPACE",
      description = "Namespace of the request (default: default).")
  String namespace;

  Terminal term;
  private ApiClient client;
  private Connection connection;

  public static void main(String[] args) {
    Terminal term = Terminal.system();
    int rc = run(term, args);
    term.out().flush();
    term.err().flush();
    System.exit(rc);
  }

  /** Runs one svcctl command line against {@code term}; returns the exit code. */
  public static int run(Terminal term, String... args) {
    Svcctl root = new Svcctl();
    root.term = term;
    CommandLine cl = new CommandLine(root);
    cl.setOut(new PrintWriter(term.out(), true));
    cl.setErr(new PrintWriter(term.err(), true));
    cl.setParameterExceptionHandler(Svcctl::parameterError);
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> root.failure(e));
    try {
      return cl.execute(args);
    } finally {
      root.closeClient();
      term.out().flush();
      term.err().flush();
    }
  }

  @Override
  public Integer call() {
    CommandLine.usage(this, term.out());
    return 0;
  }

  private static int parameterError(CommandLine.ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    PrintWriter err = cmd.getErr();
    String msg = e.getMessage();
    if (e instanceof CommandLine.UnmatchedArgumentException u && cmd.getParent() == null
        && !u.getUnmatched().isEmpty() && !u.getUnmatched().get(0).startsWith("-")) {
      err.println("error: unknown command \"" + u.getUnmatched().get(0) + "\" for \"svcctl\"");
      err.println("Run 'svcctl --help' for usage.");
      return 1;
    }
    Matcher m = Pattern.compile("Unknown options?: '?([^',]+)'?.*").matcher(msg);
    if (m.matches()) msg = "unknown flag: " + m.group(1);
    err.println("error: " + msg);
    err.println("See '" + cmd.getCommandSpec().qualifiedName() + " --help' for usage.");
    return 1;
  }

  private int failure(Exception e) {
    if (e instanceof CliException c) {
      term.err().println(c.getMessage());
    } else if (e instanceof StatusRuntimeException s) {
      term.err().println(apiError(s, ApiErrors.Op.of(null, null)));
    } else {
      term.err().println("error: " + e);
      if (term.env().get("SVCCTL_DEBUG") != null) e.printStackTrace(term.err());
    }
    return 1;
  }

  // ----- shared by the subcommands -----

  /** The streams, environment and clock of this run (the log tools in io.svcplane.svcctl.log use it). */
  public Terminal terminal() {
    return term;
  }

  ServerAddress serverAddress() {
    return connection().server();
  }

  /** Where and how to reach the apiserver: flags, environment, configuration file. */
  Connection connection() {
    if (connection == null) {
      connection = Connection.resolve(new Connection.Flags(server, config, token, caFile, certFile, keyFile), term.env());
    }
    return connection;
  }

  ApiClient client() {
    if (client == null) client = new ApiClient(serverAddress(), connection().tls(), timeout());
    return client;
  }

  private void closeClient() {
    if (client != null) client.close();
    client = null;
  }

  Duration timeout() {
    Matcher m = Pattern.compile("(\\d+)(ms|s|m|h)?").matcher(requestTimeout.trim());
    if (!m.matches()) {
      throw new CliException("error: invalid --request-timeout \"" + requestTimeout + "\": use e.g. 10s, 500ms, 2m");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2);
    Duration d = switch (unit) {
      case "ms" -> Duration.ofMillis(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofSeconds(n);
    };
    // kubectl: 0 means no timeout.
    return d.isZero() ? Duration.ofDays(365) : d;
  }

  /** The namespace for namespaced kinds: -n, else "default". */
  public String namespace() {
    return namespace == null || namespace.isEmpty() ? "default" : namespace;
  }

  public boolean namespaceGiven() {
    return namespace != null && !namespace.isEmpty();
  }

  /** The namespace to send for a kind: empty for cluster-scoped kinds. */
  String namespaceFor(Kind kind) {
    return Kinds.isNamespaced(kind) ? namespace() : "";
  }

  Instant now() {
    return term.clock().instant();
  }

  /** The error message for a failed call about one object. */
  String apiError(StatusRuntimeException e, ApiErrors.Op op) {
    Connection c;
    try {
      c = connection();
    } catch (CliException unreadable) {
      return ApiErrors.message(e, op, ServerAddress.resolve(server, term.env()));
    }
    return ApiErrors.message(e, op, c);
  }

  /** True for statuses that mean "no server" (every later call would fail the same way). */
  static boolean isConnectionFailure(StatusRuntimeException e) {
    return switch (e.getStatus().getCode()) {
      case UNAVAILABLE, DEADLINE_EXCEEDED, UNIMPLEMENTED -> true;
      default -> false;
    };
  }
}
