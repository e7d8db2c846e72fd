package io.svcplane.eventlog.export;

/**
 * Constants of the export file format (docs/log-format.md, proto/.../export.proto):
 * {@code magic version frame*}, each frame {@code varint length, CRC32C, ExportFrame}.
 */
public final class ExportFormat {
  private ExportFormat() {}

  /** "\x89SVCLOG\n": the high byte catches 7-bit transfers, the newline catches CRLF rewriting. */
  public static final byte[] MAGIC = {(byte) 0x89, 'S', 'V', 'C', 'L', 'O', 'G', '\n'};
  /** The format version this code writes, and the newest it reads. */
  public static final int VERSION = 1;
  /** Bytes before the first frame: magic and version. */
  public static final int PREFIX_LENGTH = MAGIC.length + 4;
  /** Largest frame payload accepted; a longer length prefix means the file is corrupt. */
  public static final int MAX_FRAME_BYTES = 64 << 20;
  /** The file name extension `svcctl log export` suggests. */
  public static final String EXTENSION = ".svclog";
}
