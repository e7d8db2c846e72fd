package io.svcplane.proxy.dns;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.xbill.DNS.Message;
import org.xbill.DNS.SimpleResolver;

/**
 * Where names outside the cluster go when {@code --dns-upstream} is set: dnsjava's resolver sends
 * the query over UDP (retrying over TCP when the answer is truncated) and completes with the
 * upstream's answer, or fails after the timeout.
 */
public final class Upstream {
  public static final Duration TIMEOUT = Duration.ofSeconds(2);
  private final SimpleResolver resolver;
  private final InetSocketAddress address;

  public Upstream(InetSocketAddress address) {
    this.address = address;
    this.resolver = new SimpleResolver(address);
    resolver.setTimeout(TIMEOUT);
  }

  public InetSocketAddress address() {
    return address;
  }

  public CompletionStage<Message> forward(Message query) {
    return resolver.sendAsync(query.clone());
  }
}
