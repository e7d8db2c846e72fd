package io.svcplane.core.allocation;

/** The range NodePorts come from, inclusive at both ends, Kubernetes' default 30000-32767. */
public record NodePortRange(int first, int last) {
  public static final String DEFAULT = "30000-32767";

  public NodePortRange {
    if (first < 1 || last > 65535 || first > last) {
      throw new IllegalArgumentException("node port range must be FIRST-LAST within 1-65535, got " + first + "-" + last);
    }
  }

  public static NodePortRange parse(String text) {
    int dash = text.indexOf('-');
    try {
      if (dash < 0) throw new NumberFormatException();
      return new NodePortRange(Integer.parseInt(text.substring(0, dash).trim()), Integer.parseInt(text.substring(dash + 1).trim()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a port range (FIRST-LAST): \"" + text + "\"");
    }
  }

  public boolean contains(int port) {
    return port >= first && port <= last;
  }

  public int size() {
    return last - first + 1;
  }

  @Override
  public String toString() {
    return first + "-" + last;
  }
}
