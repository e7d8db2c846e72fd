package io.svcplane.svcctl;

import java.util.ArrayList;
import java.util.List;

/**
 * Go's {@code text/tabwriter} as kubectl uses it, so that columns line up exactly as kubectl's do:
 * cells end at a tab; a column is aligned within a block of adjacent lines that all have a
 * tab-terminated cell at that index (the text after a line's last tab belongs to no column);
 * width = widest cell + padding, at least {@code minWidth}. With {@code rememberWidths} (kubectl's
 * fork, used for {@code get -w}) column widths only grow across {@link #flush()}es.
 */
final class TabWriter {
  private final StringBuilder out;
  private final int minWidth;
  private final int padding;
  private final boolean rememberWidths;

  private final List<List<String>> lines = new ArrayList<>();
  private final StringBuilder cell = new StringBuilder();
  private final List<Integer> widths = new ArrayList<>();
  private final List<Integer> maxWidths = new ArrayList<>();

  TabWriter(StringBuilder out, int minWidth, int padding, boolean rememberWidths) {
    this.out = out;
    this.minWidth = minWidth;
    this.padding = padding;
    this.rememberWidths = rememberWidths;
    reset();
  }

  /** kubectl get's table writer: minwidth 6, padding 3, remembered widths. */
  static TabWriter forTables(StringBuilder out) {
    return new TabWriter(out, 6, 3, true);
  }

  /** kubectl describe's writer: minwidth 0, padding 2. */
  static TabWriter forDescribe(StringBuilder out) {
    return new TabWriter(out, 0, 2, false);
  }

  TabWriter write(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\t') {
        terminateCell();
      } else if (c == '\n') {
        terminateCell();
        int cells = lastLine().size();
        lines.add(new ArrayList<>());
        // A line with a single cell cannot influence later lines: flush, as Go does.
        if (cells == 1) flushLines();
      } else {
        cell.append(c);
      }
    }
    return this;
  }

  /** Writes one row: the cells joined by tabs, then a newline. */
  TabWriter row(List<String> cells) {
    return write(String.join("\t", cells) + "\n");
  }

  /** Formats and emits everything written so far. */
  void flush() {
    if (cell.length() > 0) terminateCell();
    flushLines();
  }

  void forgetWidths() {
    maxWidths.clear();
  }

  private void flushLines() {
    format(0, lines.size());
    reset();
  }

  private void reset() {
    lines.clear();
    cell.setLength(0);
    widths.clear();
    lines.add(new ArrayList<>());
  }

  private List<String> lastLine() {
    return lines.get(lines.size() - 1);
  }

  private void terminateCell() {
    lastLine().add(cell.toString());
    cell.setLength(0);
  }

  private void format(int line0, int line1) {
    int column = widths.size();
    for (int current = line0; current < line1; current++) {
      List<String> line = lines.get(current);
      if (column >= line.size() - 1) continue;
      // A cell exists in this column: print the lines before the block, then size the block.
      writeLines(line0, current);
      line0 = current;
      int width = minWidth;
      for (; current < line1; current++) {
        line = lines.get(current);
        if (column >= line.size() - 1) break;
        width = Math.max(width, textWidth(line.get(column)) + padding);
      }
      if (rememberWidths) {
        while (maxWidths.size() < widths.size()) maxWidths.add(widths.get(maxWidths.size()));
        if (maxWidths.size() == widths.size()) {
          maxWidths.add(width);
        } else if (maxWidths.get(widths.size()) > width) {
          width = maxWidths.get(widths.size());
        } else {
          maxWidths.set(widths.size(), width);
        }
      }
      widths.add(width);
      format(line0, current);
      widths.remove(widths.size() - 1);
      line0 = current;
    }
    writeLines(line0, line1);
  }

  private void writeLines(int line0, int line1) {
    for (int i = line0; i < line1; i++) {
      List<String> line = lines.get(i);
      for (int j = 0; j < line.size(); j++) {
        String c = line.get(j);
        out.append(c);
        if (j < widths.size()) out.append(" ".repeat(Math.max(0, widths.get(j) - textWidth(c))));
      }
      // The last buffered line is the one still being written: no newline yet.
      if (i + 1 < lines.size()) out.append('\n');
    }
  }

  private static int textWidth(String s) {
    return s.codePointCount(0, s.length());
  }
}
