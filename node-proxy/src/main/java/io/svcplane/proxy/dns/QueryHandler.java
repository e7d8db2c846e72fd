package io.svcplane.proxy.dns;

import java.util.Arrays;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * One DNS message in, at most one out, whatever the transport: checks the query (dnsjava parses
 * it), answers cluster names from the current {@link ClusterNames}, refuses or forwards the rest,
 * and sizes the reply for UDP (512 bytes, or the client's EDNS size up to 1232; larger answers
 * are truncated with TC so the client retries over TCP).
 *
 * <p>Bad input never escapes as an exception: a packet shorter than a header, or a response, is
 * dropped; one that does not parse, or that asks no question or several, gets FORMERR; another
 * opcode NOTIMP; an EDNS version above 0 BADVERS.
 */
public final class QueryHandler {
  private static final Logger log = LoggerFactory.getLogger(QueryHandler.class);
  /** The EDNS payload size this server offers (the DNS flag day 2020 value). */
  public static final int EDNS_PAYLOAD = 1232;
  private static final int PLAIN_UDP = 512;
  private static final int MAX_TCP = 65535;

  /** What to send back: bytes now, bytes later (forwarded), or nothing. */
  public record Reply(byte[] now, CompletionStage<byte[]> later) {
    static final Reply DROP = new Reply(null, null);

    static Reply now(byte[] b) {
      return new Reply(b, null);
    }
  }

  private final DnsResponder responder;
  private final Supplier<ClusterNames> names;
  private final Upstream upstream;
  private final DnsMetrics metrics;

  public QueryHandler(DnsResponder responder, Supplier<ClusterNames> names, Upstream upstream, DnsMetrics metrics) {
    this.responder = responder;
    this.names = names;
    this.upstream = upstream;
    this.metrics = metrics;
  }

  public Reply handle(byte[] packet, boolean tcp) {
    metrics.query();
    if (packet.length < Header.LENGTH || (packet[2] & 0x80) != 0) {
      // Too short to carry an ID to answer to, or a response (answering those makes loops).
      metrics.drop();
      return Reply.DROP;
    }
    Message query;
    try {
      query = new Message(packet);
    } catch (Exception e) {
      return Reply.now(bare(packet, Rcode.FORMERR));
    }
    try {
      return answer(query, tcp);
    } catch (RuntimeException e) {
      log.warn("DNS query failed: {}", e.toString());
      return Reply.now(error(query, Rcode.SERVFAIL, PLAIN_UDP));
    }
  }

  private Reply answer(Message query, boolean tcp) {
    Header h = query.getHeader();
    OPTRecord opt = query.getOPT();
    int max = tcp ? MAX_TCP : opt == null ? PLAIN_UDP : Math.max(PLAIN_UDP, Math.min(opt.getPayloadSize(), EDNS_PAYLOAD));
    if (h.getOpcode() != Opcode.QUERY) return Reply.now(error(query, Rcode.NOTIMP, max));
    if (h.getCount(Section.QUESTION) != 1) return Reply.now(error(query, Rcode.FORMERR, max));
    if (opt != null && opt.getVersion() != 0) return Reply.now(error(query, Rcode.BADVERS, max));
    Record q = query.getQuestion();
    DnsResponder.Answer a = null;
    ClusterNames current = names.get();
    if (q.getDClass() == DClass.IN || q.getDClass() == DClass.ANY) {
      a = responder.answer(q.getName(), q.getType(), current);
    }
    if (a == null) {
      if (upstream == null) return Reply.now(error(query, Rcode.REFUSED, max));
      metrics.forwarded();
      return new Reply(null, upstream.forward(query).handle((r, err) -> forwarded(query, r, err, max)));
    }
    if (current.version() == null) {
      // Not synced with the feed yet: a NXDOMAIN now would be cached as "no such service".
      return Reply.now(error(query, Rcode.SERVFAIL, max));
    }
    if (q.getType() == Type.AXFR || q.getType() == Type.IXFR) return Reply.now(error(query, Rcode.REFUSED, max));
    Message r = reply(query, a.rcode());
    r.getHeader().setFlag(Flags.AA);
    for (Record rec : a.answer()) r.addRecord(rec, Section.ANSWER);
    for (Record rec : a.authority()) r.addRecord(rec, Section.AUTHORITY);
    for (Record rec : a.additional()) r.addRecord(rec, Section.ADDITIONAL);
    return Reply.now(wire(r, a.rcode(), max));
  }

  private byte[] forwarded(Message query, Message r, Throwable err, int max) {
    if (err != null || r == null) {
      log.debug("upstream did not answer: {}", err == null ? "no response" : err.toString());
      return error(query, Rcode.SERVFAIL, max);
    }
    r.getHeader().setID(query.getHeader().getID());
    // Answered on the client's behalf: recursion was available, and this server is not the authority.
    r.getHeader().setFlag(Flags.RA);
    r.getHeader().unsetFlag(Flags.AA);
    OPTRecord theirs = r.getOPT();
    if (theirs != null) r.removeRecord(theirs, Section.ADDITIONAL);
    if (query.getOPT() != null) r.addRecord(new OPTRecord(EDNS_PAYLOAD, 0, 0), Section.ADDITIONAL);
    return wire(r, r.getRcode(), max);
  }

  /** A reply skeleton: the query's ID, opcode, RD and question; RA when there is an upstream. */
  private Message reply(Message query, int rcode) {
    Message r = new Message(query.getHeader().getID());
    Header h = r.getHeader();
    h.setFlag(Flags.QR);
    h.setOpcode(query.getHeader().getOpcode());
    if (query.getHeader().getFlag(Flags.RD)) h.setFlag(Flags.RD);
    if (query.getHeader().getFlag(Flags.CD)) h.setFlag(Flags.CD);
    if (upstream != null) h.setFlag(Flags.RA);
    h.setRcode(rcode & 0xF);
    if (query.getHeader().getCount(Section.QUESTION) == 1) r.addRecord(query.getQuestion(), Section.QUESTION);
    OPTRecord opt = query.getOPT();
    if (opt != null) r.addRecord(new OPTRecord(EDNS_PAYLOAD, rcode >>> 4, 0), Section.ADDITIONAL);
    return r;
  }

  private byte[] error(Message query, int rcode, int max) {
    return wire(reply(query, rcode), rcode, max);
  }

  private byte[] wire(Message r, int rcode, int max) {
    byte[] b = r.toWire(max);
    if (r.getHeader().getFlag(Flags.TC) || (b.length >= 3 && (b[2] & 0x02) != 0)) metrics.truncated();
    metrics.answered(rcode);
    return b;
  }

  /** FORMERR (or another rcode) for a packet that did not parse: its header only, counts zero. */
  private byte[] bare(byte[] packet, int rcode) {
    byte[] b = Arrays.copyOf(packet, Header.LENGTH);
    b[2] = (byte) (0x80 | (b[2] & 0x79)); // QR, opcode and RD kept; AA and TC cleared
    b[3] = (byte) (rcode & 0xF);
    Arrays.fill(b, 4, Header.LENGTH, (byte) 0);
    metrics.answered(rcode);
    return b;
  }
}
