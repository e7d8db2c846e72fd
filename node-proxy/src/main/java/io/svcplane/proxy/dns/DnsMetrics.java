package io.svcplane.proxy.dns;

import java.util.concurrent.atomic.LongAdder;
import org.xbill.DNS.Rcode;

/** The DNS server's counters, in Prometheus' text format beside the proxy's own. */
public final class DnsMetrics {
  private final LongAdder queries = new LongAdder();
  private final LongAdder noError = new LongAdder();
  private final LongAdder nxDomain = new LongAdder();
  private final LongAdder refused = new LongAdder();
  private final LongAdder formErr = new LongAdder();
  private final LongAdder servFail = new LongAdder();
  private final LongAdder other = new LongAdder();
  private final LongAdder dropped = new LongAdder();
  private final LongAdder forwarded = new LongAdder();
  private final LongAdder truncated = new LongAdder();

  void query() { queries.increment(); }

  void drop() { dropped.increment(); }

  void forwarded() { forwarded.increment(); }

  void truncated() { truncated.increment(); }

  void answered(int rcode) {
    switch (rcode) {
      case Rcode.NOERROR -> noError.increment();
      case Rcode.NXDOMAIN -> nxDomain.increment();
      case Rcode.REFUSED -> refused.increment();
      case Rcode.FORMERR -> formErr.increment();
      case Rcode.SERVFAIL -> servFail.increment();
      default -> other.increment();
    }
  }

  public long queries() { return queries.sum(); }

  public long droppedCount() { return dropped.sum(); }

  public long formErrors() { return formErr.sum(); }

  public String prometheusText() {
    StringBuilder s = new StringBuilder(1024);
    String name = "svcplane_proxy_dns_queries_total";
    s.append("# HELP ").append(name).append(" DNS queries received (UDP datagrams and TCP messages).\n# TYPE ")
        .append(name).append(" counter\n").append(name).append(' ').append(queries.sum()).append('\n');
    name = "svcplane_proxy_dns_responses_total";
    s.append("# HELP ").append(name).append(" DNS responses sent, by rcode.\n# TYPE ").append(name).append(" counter\n");
    rcode(s, name, "NOERROR", noError);
    rcode(s, name, "NXDOMAIN", nxDomain);
    rcode(s, name, "REFUSED", refused);
    rcode(s, name, "FORMERR", formErr);
    rcode(s, name, "SERVFAIL", servFail);
    rcode(s, name, "other", other);
    counter(s, "svcplane_proxy_dns_dropped_total", "Packets dropped without an answer (shorter than a header, or responses).", dropped.sum());
    counter(s, "svcplane_proxy_dns_forwarded_total", "Queries for names outside the cluster sent to the upstream.", forwarded.sum());
    counter(s, "svcplane_proxy_dns_truncated_total", "UDP responses truncated (TC) to the client's size.", truncated.sum());
    return s.toString();
  }

  private static void rcode(StringBuilder s, String name, String rcode, LongAdder v) {
    s.append(name).append("{rcode=\"").append(rcode).append("\"} ").append(v.sum()).append('\n');
  }

  private static void counter(StringBuilder s, String name, String help, long v) {
    s.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" counter\n")
        .append(name).append(' ').append(v).append('\n');
  }
}
