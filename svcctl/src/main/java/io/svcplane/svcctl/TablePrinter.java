package io.svcplane.svcctl;

import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Resource;
import io.svcplane.core.Kinds;
import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One kind's table as kubectl get prints it: header once, NAMESPACE first with {@code -A},
 * {@code kind/} before names when several kinds print, LABELS last with {@code --show-labels}.
 * Widths are remembered across flushes, so rows printed later by {@code -w} stay aligned.
 */
final class TablePrinter {
  private final Kind kind;
  private final boolean wide;
  private final boolean withNamespace;
  private final boolean withKind;
  private final boolean showLabels;
  private final boolean headers;
  private final StringBuilder buf = new StringBuilder();
  private final TabWriter tw = TabWriter.forTables(buf);
  private boolean headerDone;

  TablePrinter(Kind kind, boolean wide, boolean allNamespaces, boolean withKind, boolean showLabels, boolean headers) {
    this.kind = kind;
    this.wide = wide;
    this.withNamespace = allNamespaces && Kinds.isNamespaced(kind);
    this.withKind = withKind;
    this.showLabels = showLabels;
    this.headers = headers;
  }

  void add(Resource r, Instant now) {
    if (!headerDone && headers) {
      List<String> h = new ArrayList<>();
      if (withNamespace) h.add("NAMESPACE");
      h.addAll(Tables.header(kind, wide));
      if (showLabels) h.add("LABELS");
      tw.row(h);
    }
    headerDone = true;
    List<String> row = new ArrayList<>();
    var meta = Kinds.metadata(r);
    if (withNamespace) row.add(meta.getNamespace());
    List<String> cells = new ArrayList<>(Tables.row(r, wide, now));
    if (withKind) cells.set(0, Kinds.singular(kind) + "/" + cells.get(0));
    row.addAll(cells);
    if (showLabels) row.add(Tables.formatLabels(meta.getLabelsMap()));
    tw.row(row);
  }

  /** Writes the rows added so far. */
  void flushTo(PrintStream out) {
    tw.flush();
    out.print(buf);
    buf.setLength(0);
    out.flush();
  }
}
