package io.svcplane.svcctl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TabWriterTest {
  @Test
  void tableColumnsAreLeftAlignedWithThreeSpacesAndTheLastColumnIsNotPadded() {
    StringBuilder out = new StringBuilder();
    TabWriter.forTables(out).write("NAME\tTYPE\tAGE\nkubernetes\tClusterIP\t3d\na\tNodePort\t45s\n").flush();
    assertEquals("""
        NAME         TYPE        AGE
        kubernetes   ClusterIP   3d
        a            NodePort    45s
        """, out.toString());
  }

  @Test
  void narrowColumnsAreAtLeastSixWide() {
    StringBuilder out = new StringBuilder();
    TabWriter.forTables(out).write("IP\tX\nab\tc\n").flush();
    assertEquals("IP    X\nab    c\n", out.toString());
  }

  @Test
  void rememberedWidthsKeepLaterRowsAlignedAndOnlyGrow() {
    StringBuilder out = new StringBuilder();
    TabWriter w = TabWriter.forTables(out);
    w.write("NAME\tAGE\nlong-name\t1s\n").flush();
    w.write("a\t2s\n").flush();
    w.write("an-even-longer-name\t3s\n").flush();
    assertEquals("""
        NAME        AGE
        long-name   1s
        a           2s
        an-even-longer-name   3s
        """, out.toString());
  }

  @Test
  void aLineWithoutTabsEndsAColumnBlockAsInGo() {
    StringBuilder out = new StringBuilder();
    TabWriter.forDescribe(out).write("Name:\tx\nSubsets:\n  Addresses:\t1.2.3.4\n  NotReadyAddresses:\t<none>\n"
        + "Port:\tweb\t80/TCP\nTargetPort:\t8080/TCP\n").flush();
    assertEquals("""
        Name:  x
        Subsets:
          Addresses:          1.2.3.4
          NotReadyAddresses:  <none>
        Port:                 web  80/TCP
        TargetPort:           8080/TCP
        """, out.toString());
  }

  @Test
  void unterminatedLastLineIsWrittenOnFlush() {
    StringBuilder out = new StringBuilder();
    TabWriter.forDescribe(out).write("a:\tb\nlonger:\tc").flush();
    assertEquals("a:       b\nlonger:  c", out.toString());
  }
}
