package io.svcplane.svcctl;

import io.svcplane.eventlog.testing.KafkaExtension;
import io.svcplane.eventlog.testing.TestKafka;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Hands tests one {@link TestApiServer} per test JVM, on the JVM's shared broker. It is stored in
 * the root store after the broker, so JUnit (closing in inverse order) stops it first.
 */
final class ApiServerExtension implements ParameterResolver {
  private static final String KEY = ApiServerExtension.class.getName();

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
    return p.getParameter().getType() == TestApiServer.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext e) {
    // The broker first, so that it is in the store before (and closed after) the apiserver.
    TestKafka kafka = broker(p, e);
    ExtensionContext.Store store = e.getRoot().getStore(ExtensionContext.Namespace.GLOBAL);
    return store.getOrComputeIfAbsent(KEY, k -> new Holder(TestApiServer.start(kafka, 0, "svcctl-test")),
        Holder.class).server;
  }

  /** The broker of KafkaExtension (it resolves every TestKafka to the JVM's one shared broker). */
  private static TestKafka broker(ParameterContext p, ExtensionContext e) {
    return (TestKafka) new KafkaExtension().resolveParameter(p, e);
  }

  private record Holder(TestApiServer server) implements AutoCloseable {
    @Override
    public void close() {
      server.close();
    }
  }
}
